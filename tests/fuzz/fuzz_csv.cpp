// libFuzzer target: ctnn::read_csv on arbitrary bytes (plain and, through zlib, gzip). Every
// failure must be a file_error naming the file; a table that is returned must be rectangular
// and, unless non-finite values are allowed, finite. Built with AddressSanitizer and UBSan.
// Run long: ./fuzz_csv -max_total_time=600 <new corpus dir> tests/fuzz/corpus/csv
#include <ctnn/ctnn.hpp>

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
      (std::filesystem::temp_directory_path() / ("ctnn-fuzz-csv-" + std::to_string(::getpid()))).string();
  return p;
}
void check(const ctnn::csv_options& opts) {
  try {
    const auto t = ctnn::read_csv(scratch(), opts);
    if (t.values.size() != t.rows * t.cols || t.line_of.size() != t.rows || t.rows == 0) std::abort();
    if (!opts.allow_non_finite)
      for (double v : t.values)
        if (!std::isfinite(v)) std::abort();
    for (std::size_t r = 0; r < t.rows; ++r)
      for (std::size_t c = 0; c < t.cols; ++c) {
        try {
          (void)t.get<float>(r, c);
        } catch (const ctnn::file_error& e) {
          if (e.path() != scratch()) std::abort();
        }
      }
  } catch (const ctnn::file_error& e) {
    if (e.path() != scratch()) {
      std::fprintf(stderr, "file_error names %s\n", e.path().c_str());
      std::abort();
    }
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream f(scratch(), std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  check({});
  check({.skip_lines = 1, .delimiter = ';', .allow_non_finite = true});
  return 0;
}
