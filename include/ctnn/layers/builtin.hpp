// The stages of ctnn's built-in layers, one header per layer kind (each descriptor in
// dsl/layers/ names its stage; the definitions are here). ctnn.hpp includes this header.
#pragma once

#include <ctnn/layers/activation.hpp>
#include <ctnn/layers/batch_norm.hpp>
#include <ctnn/layers/conv.hpp>
#include <ctnn/layers/conv_transpose.hpp>
#include <ctnn/layers/dense.hpp>
#include <ctnn/layers/dropout.hpp>
#include <ctnn/layers/fake_quantize.hpp>
#include <ctnn/layers/from.hpp>
#include <ctnn/layers/norm.hpp>
#include <ctnn/layers/parallel.hpp>
#include <ctnn/layers/per_step.hpp>
#include <ctnn/layers/pool.hpp>
#include <ctnn/layers/prelu.hpp>
#include <ctnn/layers/recurrent.hpp>
#include <ctnn/layers/residual.hpp>
#include <ctnn/layers/sequence_conv.hpp>
#include <ctnn/layers/stage.hpp>
#include <ctnn/layers/upsample.hpp>
