// Weights inside the binary: the generated NAME_weights.hpp builds the network with no file
// system, equal to loading NAME.ctnn; the check of the topology is at compile time
// (tests/compile_fail/embedded_weights_for_another_topology.cpp is the failing case).
#define BOOST_TEST_MODULE import_embedded
#include "exported.hpp"

#include <ctnn/interop/embedded.hpp>

#include "fixtures/layer_batch_norm_layer.hpp"
#include "fixtures/layer_batch_norm_layer_weights.hpp"
#include "fixtures/net_cnn.hpp"
#include "fixtures/net_cnn_weights.hpp"
#include "fixtures/net_lstm.hpp"
#include "fixtures/net_lstm_weights.hpp"
#include "fixtures/onnx_branches.hpp"
#include "fixtures/onnx_branches_weights.hpp"
#include "fixtures/seq_per_step_last.hpp"
#include "fixtures/seq_per_step_last_weights.hpp"

#include <type_traits>

using ctnn::test::import_fixture;

// The weights' topology is the model's, so first_differing_layer finds none; for another model it
// finds the first layer that differs (the compile error reports this index).
static_assert(ctnn::detail::first_differing_layer<net_cnn::model, net_cnn::model>() == ctnn::detail::npos);
static_assert(ctnn::detail::first_differing_layer<net_cnn::model, net_lstm::model>() == 0);
using cnn_with_other_head =
    ctnn::network<ctnn::input<ctnn::shape<1, 28, 28>>, ctnn::conv2d<8, ctnn::kernel<3, 3>, ctnn::padding<1, 1>>,
                  ctnn::relu, ctnn::max_pool2d<ctnn::window<2, 2>>, ctnn::conv2d<16, ctnn::kernel<3, 3>>, ctnn::relu,
                  ctnn::max_pool2d<ctnn::window<2, 2>>, ctnn::flatten, ctnn::dense<32>, ctnn::tanh, ctnn::dense<10>>;
static_assert(ctnn::detail::first_differing_layer<net_cnn::model, cnn_with_other_head>() == 9);
static_assert(ctnn::detail::first_differing_layer<net_cnn::model, cnn_with_other_head>() == 9);
using cnn_cut_short =
    ctnn::network<ctnn::input<ctnn::shape<1, 28, 28>>, ctnn::conv2d<8, ctnn::kernel<3, 3>, ctnn::padding<1, 1>>>;
static_assert(ctnn::detail::first_differing_layer<net_cnn::model, cnn_cut_short>() == 2);

template <class Model, class Weights>
void check_embedded(const Weights& weights, const std::string& name) {
  auto n = ctnn::make<Model>(weights);
  static_assert(std::is_same_v<decltype(n), ctnn::net<Model, float>>);
  ctnn::net<Model> loaded;
  ctnn::load(loaded, import_fixture(name + ".ctnn"));
  const auto a = n.export_parameters(), b = loaded.export_parameters();
  BOOST_TEST(a == b, name << ": the embedded parameters equal the weight file's");
  const auto r = ctnn::check_layers(n, ctnn::read_golden(import_fixture(name + ".golden")));
  BOOST_TEST(r.ok(), name << ": " << r.message());
}

BOOST_AUTO_TEST_CASE(embedded_cnn_equals_the_weight_file_and_pytorch) {
  check_embedded<net_cnn::model>(net_cnn::embedded_weights, "net_cnn");
}
BOOST_AUTO_TEST_CASE(embedded_lstm_equals_the_weight_file_and_pytorch) {
  check_embedded<net_lstm::model>(net_lstm::embedded_weights, "net_lstm");
}
BOOST_AUTO_TEST_CASE(embedded_batch_norm_keeps_its_running_statistics) {
  check_embedded<layer_batch_norm_layer::model>(layer_batch_norm_layer::embedded_weights, "layer_batch_norm_layer");
}
BOOST_AUTO_TEST_CASE(embedded_per_step_layers_equal_the_weight_file_and_pytorch) {
  check_embedded<seq_per_step_last::model>(seq_per_step_last::embedded_weights, "seq_per_step_last");
}
BOOST_AUTO_TEST_CASE(embedded_weights_of_an_onnx_model) {
  check_embedded<onnx_branches::model>(onnx_branches::embedded_weights, "onnx_branches");
}
