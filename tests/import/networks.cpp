// Whole networks exported from PyTorch (an MLP, a CNN with a folded batch norm and a dropout, an
// LSTM model written as `out, _ = lstm(x); head(out[-1])`) match it layer by layer; the check
// names the first layer that differs; golden files are read as carefully as weight files.
#define BOOST_TEST_MODULE import_networks
#include "exported.hpp"

#include "fixtures/net_cnn.hpp"
#include "fixtures/net_lstm.hpp"
#include "fixtures/net_mlp.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

using ctnn::test::check_exported;
using ctnn::test::import_fixture;

BOOST_AUTO_TEST_CASE(mlp) { check_exported<net_mlp::model>("net_mlp"); }
BOOST_AUTO_TEST_CASE(cnn) { check_exported<net_cnn::model>("net_cnn"); }
BOOST_AUTO_TEST_CASE(lstm) { check_exported<net_lstm::model>("net_lstm"); }

BOOST_AUTO_TEST_CASE(streaming_the_lstm_model_gives_the_golden_output) {
  // deployed as a stream: one step per time step, the state carried by the caller
  ctnn::net<net_lstm::model> n;
  ctnn::load(n, import_fixture("net_lstm.ctnn"));
  const auto g = ctnn::read_golden(import_fixture("net_lstm.golden"));
  for (std::size_t k = 0; k < g.inputs; ++k) {
    auto state = n.make_state();
    const auto x = g.output(0, k);
    ctnn::tensor<float, ctnn::shape<1>> y{};
    for (std::size_t t = 0; t < 12; ++t)
      y = n.step(state, ctnn::tensor<float, ctnn::shape<2>>{float(x[2 * t]), float(x[2 * t + 1])});
    const double ref = g.output(net_lstm::model::layer_count - 1, k)[0];
    BOOST_TEST(std::abs(double(y[0]) - ref) <= 1e-5 * std::max(1.0, std::abs(ref)));
  }
}

BOOST_AUTO_TEST_CASE(the_first_differing_layer_is_named) {
  ctnn::net<net_cnn::model> n;
  ctnn::load(n, import_fixture("net_cnn.ctnn"));
  const auto g = ctnn::read_golden(import_fixture("net_cnn.golden"));
  auto p = n.export_parameters();
  p[8 * 9 + 8 + 5] += 0.25f; // a weight of the second convolution, layer 4
  n.import_parameters(p);
  const auto r = ctnn::check_layers(n, g);
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.first_differing.value_or(0) == 4u);
  BOOST_TEST(r.message().find("layer 4 (conv2d<16, kernel<3, 3>>) differs") != std::string::npos, r.message());
  for (const auto& e : r.layers) BOOST_TEST(e.within == (e.layer < 4), "layer " << e.layer); // and every one after
}

namespace {
std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
std::string write_temp(const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::temp_directory_path() / ("ctnn-import-" + name)).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ctnn::file_error& e) {
    return e.what();
  }
  return "(no error)";
}
} // namespace

BOOST_AUTO_TEST_CASE(golden_files_for_another_topology_or_damaged_are_refused) {
  ctnn::net<net_mlp::model> mlp;
  const auto other = ctnn::read_golden(import_fixture("net_cnn.golden"));
  const auto e = error_of([&] { (void)ctnn::check_layers(mlp, other); });
  BOOST_TEST(e.find("fingerprint, layer 0") != std::string::npos, e);
  BOOST_TEST(e.find("input<shape<16>>") != std::string::npos, e);

  const std::string good = bytes_of(import_fixture("net_mlp.golden"));
  const auto truncated = write_temp("truncated.golden", good.substr(0, good.size() / 2));
  BOOST_TEST(error_of([&] { (void)ctnn::read_golden(truncated); }).find("checksum") != std::string::npos);
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  const auto corrupt = write_temp("corrupt.golden", flipped);
  BOOST_TEST(error_of([&] { (void)ctnn::read_golden(corrupt); }).find("corrupt") != std::string::npos);
  const auto foreign = write_temp("foreign.golden", bytes_of(import_fixture("net_mlp.ctnn")));
  BOOST_TEST(error_of([&] { (void)ctnn::read_golden(foreign); }).find("CTNNGLD") != std::string::npos);
  BOOST_TEST(error_of([&] { (void)ctnn::read_golden(import_fixture("missing.golden")); }).find("no such file") !=
             std::string::npos);
  for (const auto& p : {truncated, corrupt, foreign}) std::filesystem::remove(p);
}
