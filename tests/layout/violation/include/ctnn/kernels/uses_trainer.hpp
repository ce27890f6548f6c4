// A kernel that includes the trainer: tests/layout/include_directions.cmake must reject it (the
// ctest include_directions.catches_a_violation runs the check on this tree and expects failure).
#pragma once

#include <ctnn/train/trainer.hpp>
#include <ctnn/train/update.hpp>

namespace ctnn::kernels {}
