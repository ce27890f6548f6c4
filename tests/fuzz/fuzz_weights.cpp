// libFuzzer target: ctnn::load on arbitrary bytes, into the fuzzed network in float, in double and
// as an integer network (ctnn::quantize). Every failure must be a file_error naming the
// file, and a failed load must leave the network bit-identical; anything else aborts (and
// AddressSanitizer/UBSan, with which this is built, abort on memory errors and undefined
// behaviour). Run long: ./fuzz_weights -max_total_time=600 <new corpus dir> tests/fuzz/corpus/weights
#include "fuzz_model.hpp"

#include <ctnn/runtime/quantize.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

const std::string& scratch() {
  static const std::string p =
      (std::filesystem::temp_directory_path() / ("ctnn-fuzz-weights-" + std::to_string(::getpid()))).string();
  return p;
}

template <class Net>
auto values_of(const Net& net) {
  if constexpr (requires { net.parameters(); }) {
    const auto p = net.parameters();
    return std::vector<typename Net::value_type>(p.begin(), p.end());
  } else {
    return net.export_parameters(); // an integer network: its values as a weight file holds them
  }
}

template <class Net>
void load_or_keep(Net& net, const std::string& path) {
  using T = typename Net::value_type;
  const auto copy = values_of(net);
  try {
    ctnn::load(net, path);
  } catch (const ctnn::file_error& e) {
    if (e.path() != path) {
      std::fprintf(stderr, "file_error names %s, not %s\n", e.path().c_str(), path.c_str());
      std::abort();
    }
    if (std::memcmp(copy.data(), values_of(net).data(), copy.size() * sizeof(T)) != 0) {
      std::fprintf(stderr, "a failed load changed the network: %s\n", e.what());
      std::abort();
    }
  }
  // any other exception escapes and libFuzzer reports it as a crash
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream f(scratch(), std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  static auto f32 = ctnn::make<ctnn::fuzz::model>(ctnn::init::he_uniform{}, 1);
  static auto f64 = ctnn::make<ctnn::fuzz::model, double>(ctnn::init::he_uniform{}, 1);
  static auto i8 = ctnn::quantize(f32, ctnn::fuzz::checkpoint_data());
  load_or_keep(f32, scratch());
  load_or_keep(f64, scratch());
  load_or_keep(i8, scratch());
  return 0;
}
