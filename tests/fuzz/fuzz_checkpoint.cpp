// libFuzzer target: trainer::resume on arbitrary bytes as a checkpoint. Every failure must be a
// file_error naming the file (or std::invalid_argument for options the checkpoint was not written
// with), and a failed resume must leave the network and the trainer's step count as they were;
// a resume that succeeds trains on and leaves finite weights.
// Run long: ./fuzz_checkpoint -max_total_time=600 <new corpus dir> tests/fuzz/corpus/checkpoint
#include "fuzz_model.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace {
const std::string& scratch() {
  static const std::string p =
      (std::filesystem::temp_directory_path() / ("ctnn-fuzz-checkpoint-" + std::to_string(::getpid()))).string();
  return p;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::ofstream(scratch(), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  const auto samples = ctnn::fuzz::checkpoint_data();
  auto net = ctnn::make<ctnn::fuzz::model>(ctnn::init::he_uniform{}, 1);
  const auto before = net.export_parameters();
  ctnn::trainer fit{net, ctnn::loss::mse{}, ctnn::optim::adam{}};
  try {
    (void)fit.resume(scratch(), samples, {.epochs = 3, .batch = 4, .log = nullptr});
    for (float v : net.export_parameters())
      if (!std::isfinite(v)) std::abort();
  } catch (const ctnn::file_error& e) {
    if (e.path() != scratch()) {
      std::fprintf(stderr, "file_error names %s, not %s\n", e.path().c_str(), scratch().c_str());
      std::abort();
    }
    if (net.export_parameters() != before || fit.steps() != 0) std::abort();
  } catch (const std::invalid_argument&) {
    if (net.export_parameters() != before || fit.steps() != 0) std::abort();
  }
  return 0;
}
