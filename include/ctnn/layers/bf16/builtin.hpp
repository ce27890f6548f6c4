// ctnn's bf16 stages, gathered (each descriptor in dsl/layers/ names its bf16_stage; the
// definitions are here). ctnn::to_bf16 (runtime/bf16.hpp) includes this header.
#pragma once

#include <ctnn/layers/bf16/dense.hpp>
