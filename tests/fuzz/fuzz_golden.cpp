// libFuzzer target: ctnn::read_golden on arbitrary bytes, then check_layers against a network.
// Every failure must be a file_error naming the file; anything else aborts (and the sanitizers
// this is built with abort on memory errors and undefined behaviour).
// Run long: ./fuzz_golden -max_total_time=600 <new corpus dir> tests/fuzz/corpus/golden
#include <ctnn/ctnn.hpp>
#include <ctnn/interop/golden.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace {
// the topology of the seed corpus's layer_dense.golden (tests/import/fixtures)
using model = ctnn::network<ctnn::input<ctnn::shape<7>>, ctnn::dense<5>>;

const std::string& scratch() {
  static const std::string p =
      (std::filesystem::temp_directory_path() / ("ctnn-fuzz-golden-" + std::to_string(::getpid()))).string();
  return p;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::ofstream(scratch(), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  static const ctnn::net<model> net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  try {
    const auto g = ctnn::read_golden(scratch());
    (void)ctnn::check_layers(net, g);
  } catch (const ctnn::file_error& e) {
    if (e.path() != scratch()) {
      std::fprintf(stderr, "file_error names %s, not %s\n", e.path().c_str(), scratch().c_str());
      std::abort();
    }
  }
  return 0;
}
