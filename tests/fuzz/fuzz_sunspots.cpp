// libFuzzer target: datasets::sunspots on arbitrary bytes as statsmodels' sunspots.csv. Every
// failure must be a file_error naming the file; a task that is returned has the documented split
// (249 training and 50 test windows) and finite, scaled values. Built with ASan and UBSan.
// Run long: ./fuzz_sunspots -max_total_time=600 <new corpus dir> tests/fuzz/corpus/sunspots
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace {
const std::string& scratch() {
  static const std::string p =
      (std::filesystem::temp_directory_path() / ("ctnn-fuzz-sunspots-" + std::to_string(::getpid()))).string();
  return p;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::ofstream(scratch(), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    const auto task = ctnn::datasets::sunspots<double>(scratch());
    if (task.train.size() != 249 || task.test.size() != 50 || !(task.scale > 0) || !std::isfinite(task.mean))
      std::abort();
    for (double v : task.train.inputs())
      if (!std::isfinite(v)) std::abort();
  } catch (const ctnn::file_error& e) {
    if (e.path() != scratch()) {
      std::fprintf(stderr, "file_error names %s, not %s\n", e.path().c_str(), scratch().c_str());
      std::abort();
    }
  }
  return 0;
}
