// libFuzzer target: ctnn::load_rtneural on arbitrary bytes. Every failure must be a file_error
// naming the file, and a failed load must leave the network bit-identical; anything else (an
// exception of nlohmann/json's escaping the reader, a crash) aborts.
// Run long: ./fuzz_rtneural -max_total_time=600 <new corpus dir> tests/fuzz/corpus/rtneural
#include <ctnn/ctnn.hpp>
#include <ctnn/interop/rtneural.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {
// the topology of the seed corpus (tests/import/fixtures/rtneural_bad/good.json)
using model = ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<1>>;
using gru_model = ctnn::network<ctnn::input<ctnn::sequence<4, 1>>, ctnn::gru<2>, ctnn::last, ctnn::dense<1>>;

const std::string& scratch() {
  static const std::string p =
      (std::filesystem::temp_directory_path() / ("ctnn-fuzz-rtneural-" + std::to_string(::getpid()))).string();
  return p;
}

template <class Model>
void load_or_keep() {
  auto net = ctnn::make<Model>(ctnn::init::glorot_uniform{}, 1);
  const auto before = net.export_parameters();
  try {
    ctnn::load_rtneural(net, scratch());
  } catch (const ctnn::file_error& e) {
    if (e.path() != scratch()) {
      std::fprintf(stderr, "file_error names %s, not %s\n", e.path().c_str(), scratch().c_str());
      std::abort();
    }
    if (net.export_parameters() != before) {
      std::fprintf(stderr, "a failed load changed the network: %s\n", e.what());
      std::abort();
    }
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::ofstream(scratch(), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  load_or_keep<model>();
  load_or_keep<gru_model>();
  return 0;
}
