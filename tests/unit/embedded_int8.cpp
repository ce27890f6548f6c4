// An int8 network embedded as constexpr values: write_embedded's header (committed beside this
// file, tests/unit/embedded/tiny_int8.hpp) built by make_embedded, its values exact, its outputs
// those of the float network it was quantized from, and the header written again from it the
// same, character for character. To regenerate the header from the float network:
//   CTNN_WRITE_EMBEDDED=tests/unit/embedded/tiny_int8.hpp build/g++/tests/unit_embedded_int8
#define BOOST_TEST_MODULE embedded_int8
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

namespace tiny {
// a residual block, so that embedding (values, the compile-time proof) goes through blocks too
using float_model = ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, ctnn::relu,
                                  ctnn::residual<ctnn::dense<8>>, ctnn::relu, ctnn::dense<3>>;
} // namespace tiny

#include "embedded/tiny_int8.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {
nn::net<tiny::float_model, float> float_network() {
  return nn::make<tiny::float_model>(nn::init::pytorch_default{}, 4);
}
/// Inputs in [-1, 1], the same on every machine and compiler.
std::vector<float> inputs(std::size_t rows) {
  std::vector<float> v(rows * 6);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(std::sin(0.37 * double(i) + 0.1));
  return v;
}
std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
} // namespace

BOOST_AUTO_TEST_CASE(an_embedded_int8_network_is_built_without_a_file) {
  const auto net = float_network();
  if (const char* out = std::getenv("CTNN_WRITE_EMBEDDED")) { // regenerate the committed header
    const auto rows = inputs(200);
    nn::write_embedded(nn::quantize_rows(net, rows, 200), out, "tiny_int8", "tiny::float_model");
  }
  const auto q = nn::make_embedded<tiny_int8::embedded_weights>();
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(q)>, nn::quantized<tiny::float_model>>);
  // the values, exactly
  const auto values = q.export_parameters();
  BOOST_TEST_REQUIRE(values.size() == tiny_int8::embedded_weights.size);
  for (std::size_t i = 0; i < values.size(); ++i)
    BOOST_TEST_REQUIRE(values[i] == tiny_int8::embedded_weights.values[i]);
  // the outputs: those of the float network it was quantized from
  const auto rows = inputs(50);
  float worst = 0, scale = 0;
  for (std::size_t r = 0; r < 50; ++r) {
    nn::tensor<float, nn::shape<6>> x;
    std::copy_n(rows.begin() + static_cast<std::ptrdiff_t>(6 * r), 6, x.begin());
    const auto yf = net(x), yq = q(x);
    for (std::size_t o = 0; o < 3; ++o) {
      worst = std::max(worst, std::abs(yf[o] - yq[o]));
      scale = std::max(scale, std::abs(yf[o]));
    }
  }
  BOOST_TEST(worst < 0.03f * scale);
  BOOST_TEST(scale > 0.05f);
  // written again, character for character
  const auto dir = std::filesystem::temp_directory_path() / ("ctnn_embedded_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string again = (dir / "tiny_int8.hpp").string();
  nn::write_embedded(q, again, "tiny_int8", "tiny::float_model");
  const std::string committed = (std::filesystem::path(__FILE__).parent_path() / "embedded" / "tiny_int8.hpp").string();
  BOOST_TEST(read(again) == read(committed));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(an_unwritable_header_is_a_file_error) {
  const auto q = nn::make_embedded<tiny_int8::embedded_weights>();
  BOOST_CHECK_THROW(nn::write_embedded(q, "/nonexistent-dir/x.hpp", "x", "tiny::float_model"), nn::file_error);
}
