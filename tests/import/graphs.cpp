// Graphs exported from PyTorch as people write them (tests/import/generate.py): ResNet's
// BasicBlock (`out += identity`, a strided block with a 1x1 projection, batch norms folded),
// MobileNetV2's inverted residual (depthwise convolutions, `x + self.conv(x)`), an Inception
// module (torch.cat of branches and the input), two heads (forward returns a tuple), two inputs
// (forward(window, features): inputs<...>, from<I>) and a gated
// skip (a product and a sum). Each loads into its generated type and matches PyTorch layer by
// layer, in float and double; embedded (constexpr) weights build the same networks.
#define BOOST_TEST_MODULE import_graphs
#include "exported.hpp"

#include "fixtures/graph_gated.hpp"
#include "fixtures/graph_heads.hpp"
#include "fixtures/graph_heads_weights.hpp"
#include "fixtures/graph_inception.hpp"
#include "fixtures/graph_mobilenet.hpp"
#include "fixtures/graph_resnet.hpp"
#include "fixtures/graph_resnet_weights.hpp"
#include "fixtures/graph_two_inputs.hpp"

#include <ctnn/interop/embedded.hpp>

#include <tuple>
#include <type_traits>

using ctnn::test::check_exported;
using ctnn::test::import_fixture;

BOOST_AUTO_TEST_CASE(resnet_basic_blocks) { check_exported<graph_resnet::model>("graph_resnet"); }
BOOST_AUTO_TEST_CASE(mobilenet_inverted_residuals) { check_exported<graph_mobilenet::model>("graph_mobilenet"); }
BOOST_AUTO_TEST_CASE(inception_concatenation) { check_exported<graph_inception::model>("graph_inception"); }
BOOST_AUTO_TEST_CASE(gated_skip) { check_exported<graph_gated::model>("graph_gated"); }

BOOST_AUTO_TEST_CASE(two_heads_as_forward_returns_them) {
  check_exported<graph_heads::model>("graph_heads");
  // the network's outputs are the tuple forward returned: (policy logits, value)
  ctnn::net<graph_heads::model> n;
  ctnn::load(n, import_fixture("graph_heads.ctnn"));
  static_assert(std::is_same_v<decltype(n)::output_type,
                               std::tuple<ctnn::tensor<float, ctnn::shape<4>>, ctnn::tensor<float, ctnn::shape<1>>>>);
  const auto g = ctnn::read_golden(import_fixture("graph_heads.golden"));
  const auto x = g.output(0, 1);
  ctnn::tensor<float, ctnn::shape<6>> in;
  for (std::size_t i = 0; i < 6; ++i) in[i] = float(x[i]);
  const auto [policy, value] = n(in);
  const auto want = g.output(graph_heads::model::layer_count - 1, 1);
  for (std::size_t i = 0; i < 4; ++i)
    BOOST_TEST(std::abs(policy[i] - want[i]) <= 1e-5 * std::max(1.0, std::abs(want[i])));
  BOOST_TEST(std::abs(value[0] - want[4]) <= 1e-5 * std::max(1.0, std::abs(want[4])));
}

BOOST_AUTO_TEST_CASE(two_inputs_and_two_heads_as_forward_takes_and_returns_them) {
  // forward(window, features) -> (signal, regime): inputs<...> with from<I> branches, then heads
  check_exported<graph_two_inputs::model>("graph_two_inputs");
  ctnn::net<graph_two_inputs::model> n;
  ctnn::load(n, import_fixture("graph_two_inputs.ctnn"));
  const auto g = ctnn::read_golden(import_fixture("graph_two_inputs.golden"));
  const auto x = g.output(0, 2); // the row of both inputs
  ctnn::tensor<float, ctnn::sequence<5, 2>> window;
  ctnn::tensor<float, ctnn::shape<3>> features;
  for (std::size_t i = 0; i < 10; ++i) window[i] = float(x[i]);
  for (std::size_t i = 0; i < 3; ++i) features[i] = float(x[10 + i]);
  const auto [signal, regime] = n(window, features);
  const auto want = g.output(graph_two_inputs::model::layer_count - 1, 2);
  BOOST_TEST(std::abs(signal[0] - want[0]) <= 1e-5 * std::max(1.0, std::abs(want[0])));
  for (std::size_t i = 0; i < 3; ++i)
    BOOST_TEST(std::abs(regime[i] - want[1 + i]) <= 1e-5 * std::max(1.0, std::abs(want[1 + i])));
}

BOOST_AUTO_TEST_CASE(embedded_graph_weights_equal_the_weight_files) {
  // constexpr weights compiled into the program build graphs as they build chains
  const auto check = [](auto n, auto& loaded, const std::string& name) {
    ctnn::load(loaded, import_fixture(name + ".ctnn"));
    BOOST_TEST(n.export_parameters() == loaded.export_parameters(), name);
    const auto r = ctnn::check_layers(n, ctnn::read_golden(import_fixture(name + ".golden")));
    BOOST_TEST(r.ok(), name << ": " << r.message());
  };
  ctnn::net<graph_resnet::model> resnet;
  check(ctnn::make<graph_resnet::model>(graph_resnet::embedded_weights), resnet, "graph_resnet");
  ctnn::net<graph_heads::model> heads;
  check(ctnn::make<graph_heads::model>(graph_heads::embedded_weights), heads, "graph_heads");
}
