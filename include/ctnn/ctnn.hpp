// The umbrella header: everything a user of ctnn needs.
#pragma once

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/config.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/core/shape.hpp>
#include <ctnn/core/tensor.hpp>
#include <ctnn/dsl/descriptors.hpp>
#include <ctnn/dsl/lower.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/dsl/summary.hpp>
#include <ctnn/io/csv.hpp>
#include <ctnn/io/datasets.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/io/weights.hpp>
#include <ctnn/layers/builtin.hpp>
#include <ctnn/runtime/network.hpp>
#include <ctnn/train/dataset.hpp>
#include <ctnn/train/init.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/gan.hpp>
#include <ctnn/train/metrics.hpp>
#include <ctnn/train/optim.hpp>
#include <ctnn/train/predict.hpp>
#include <ctnn/train/schedule.hpp>
#include <ctnn/train/trainer.hpp>
