// Layer descriptors as users spell them: input<shape<...>>, dense<64>, flatten, relu, ...
// Each kind lives in its own file under dsl/layers/ (see protocol.hpp); this header gathers the
// built-in ones. A descriptor carries hyperparameters and its shape rule, nothing else (no
// xsimd, no storage).
#pragma once

#include <ctnn/dsl/layers/activation.hpp>
#include <ctnn/dsl/layers/batch_norm.hpp>
#include <ctnn/dsl/layers/conv.hpp>
#include <ctnn/dsl/layers/conv_transpose.hpp>
#include <ctnn/dsl/layers/dense.hpp>
#include <ctnn/dsl/layers/dropout.hpp>
#include <ctnn/dsl/layers/fake_quantize.hpp>
#include <ctnn/dsl/layers/flatten.hpp>
#include <ctnn/dsl/layers/from.hpp>
#include <ctnn/dsl/layers/heads.hpp>
#include <ctnn/dsl/layers/input.hpp>
#include <ctnn/dsl/layers/norm.hpp>
#include <ctnn/dsl/layers/parallel.hpp>
#include <ctnn/dsl/layers/per_step.hpp>
#include <ctnn/dsl/layers/pool.hpp>
#include <ctnn/dsl/layers/prelu.hpp>
#include <ctnn/dsl/layers/recurrent.hpp>
#include <ctnn/dsl/layers/residual.hpp>
#include <ctnn/dsl/layers/upsample.hpp>
#include <ctnn/dsl/layers/window.hpp>
#include <ctnn/dsl/protocol.hpp>
