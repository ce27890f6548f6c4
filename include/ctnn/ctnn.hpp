// The umbrella header: everything a user of ctnn needs to declare, run, train, save and load
// networks. Not included (each is one include away): the Debian datasets (ctnn/data/datasets.hpp,
// which runs apt-get as a child process), plotting (ctnn/plot/plot.hpp, cairo), the readers of
// other formats (ctnn/interop/: RTNeural JSON with nlohmann-json, golden files, embedded
// weights) and runtime ISA dispatch (ctnn/runtime/dispatch.hpp).
#pragma once

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/config.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/core/shape.hpp>
#include <ctnn/core/tensor.hpp>
#include <ctnn/data/dataset.hpp>
#include <ctnn/dsl/chain.hpp>
#include <ctnn/dsl/descriptors.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/dsl/rewrite.hpp>
#include <ctnn/dsl/summary.hpp>
#include <ctnn/io/csv.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/io/weights.hpp>
#include <ctnn/layers/builtin.hpp>
#include <ctnn/runtime/chain.hpp>
#include <ctnn/runtime/fold.hpp>
#include <ctnn/runtime/lower.hpp>
#include <ctnn/runtime/network.hpp>
#include <ctnn/train/gan.hpp>
#include <ctnn/train/init.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/metrics.hpp>
#include <ctnn/train/optim.hpp>
#include <ctnn/train/predict.hpp>
#include <ctnn/train/schedule.hpp>
#include <ctnn/train/trainer.hpp>
