// libFuzzer target: ctnn::read_idx on arbitrary bytes (plain and, through zlib, gzip). Every
// failure must be a file_error naming the file; an array that is returned holds exactly the
// product of its extents. Built with AddressSanitizer and UBSan.
// Run long: ./fuzz_idx -max_total_time=600 <new corpus dir> tests/fuzz/corpus/idx
#include <ctnn/ctnn.hpp>

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
      (std::filesystem::temp_directory_path() / ("ctnn-fuzz-idx-" + std::to_string(::getpid()))).string();
  return p;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::ofstream(scratch(), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  for (std::size_t rank : {0u, 3u}) {
    try {
      const auto a = ctnn::read_idx(scratch(), rank);
      std::size_t total = 1;
      for (std::size_t d : a.dims) total *= d;
      if (a.dims.empty() || total != a.data.size() || (rank && a.dims.size() != rank)) std::abort();
    } catch (const ctnn::file_error& e) {
      if (e.path() != scratch()) {
        std::fprintf(stderr, "file_error names %s, not %s\n", e.path().c_str(), scratch().c_str());
        std::abort();
      }
    }
  }
  return 0;
}
