// ctnn's int8 stages, gathered (each descriptor in dsl/layers/ names its int8_stage; the
// definitions are here). ctnn::quantize (runtime/quantize.hpp) includes this header.
#pragma once

#include <ctnn/layers/int8/block.hpp>
#include <ctnn/layers/int8/conv.hpp>
#include <ctnn/layers/int8/dense.hpp>
#include <ctnn/layers/int8/pool.hpp>
