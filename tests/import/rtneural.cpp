// RTNeural's JSON model files (include/ctnn/interop/rtneural.hpp): files written from PyTorch models
// in RTNeural's layout (tests/import/generate.py) load into ctnn types and match PyTorch's golden
// outputs, also when stepped as RTNeural runs them; hand-written malformed files
// (fixtures/rtneural_bad/) are refused naming the layer, the field and both values, and leave the
// network as it was.
#define BOOST_TEST_MODULE import_rtneural
#include "exported.hpp"

#include <ctnn/interop/rtneural.hpp>

#include "fixtures/rtneural_dense.hpp"
#include "fixtures/rtneural_frames.hpp"
#include "fixtures/rtneural_gru.hpp"
#include "fixtures/rtneural_lstm.hpp"
#include "fixtures/rtneural_mlp.hpp"
#include "fixtures/rtneural_tcn.hpp"

using ctnn::test::import_fixture;

template <class Model>
void check_json(const std::string& name) {
  const auto n = ctnn::read_rtneural<Model>(import_fixture(name + ".json"));
  const auto r = ctnn::check_layers(n, ctnn::read_golden(import_fixture(name + ".golden")));
  BOOST_TEST(r.ok(), name << ": " << r.message());
  BOOST_TEST_MESSAGE(name << ": " << r.message());
}

BOOST_AUTO_TEST_CASE(dense_layers_with_activations) { check_json<rtneural_dense::model>("rtneural_dense"); }
BOOST_AUTO_TEST_CASE(gru_keras_gate_order) { check_json<rtneural_gru::model>("rtneural_gru"); }
BOOST_AUTO_TEST_CASE(lstm_with_a_dense_head) { check_json<rtneural_lstm::model>("rtneural_lstm"); }

BOOST_AUTO_TEST_CASE(stepped_as_rtneural_runs_it) {
  // RTNeural's forward is one time step; ctnn's is net.step(state, x)
  auto n = ctnn::read_rtneural<rtneural_gru::model>(import_fixture("rtneural_gru.json"));
  const auto g = ctnn::read_golden(import_fixture("rtneural_gru.golden"));
  for (std::size_t k = 0; k < g.inputs; ++k) {
    auto state = n.make_state();
    float y = 0;
    for (double x : g.output(0, k)) y = n.step(state, ctnn::tensor<float, ctnn::shape<1>>{float(x)})[0];
    const double ref = g.output(rtneural_gru::model::layer_count - 1, k)[0];
    BOOST_TEST(std::abs(y - ref) <= 1e-5 * std::max(1.0, std::abs(ref)));
  }
}

namespace {
/// The largest difference from the golden outputs when each golden input is stepped one step per
/// call, as RTNeural runs a model (the network's output a sequence, compared at every step).
template <class Model>
double stepped_difference(const ctnn::net<Model, double>& n, const ctnn::golden_activations& g) {
  constexpr std::size_t in_step = Model::input_shape::dims.extent[1], out_step = Model::output_shape::dims.extent[1];
  double worst = 0;
  for (std::size_t k = 0; k < g.inputs; ++k) {
    auto state = n.make_state();
    const auto x = g.output(0, k), want = g.output(Model::layer_count - 1, k);
    for (std::size_t t = 0; t < Model::input_shape::dims.extent[0]; ++t) {
      typename ctnn::net<Model, double>::step_input_type xt;
      std::copy_n(x.begin() + std::ptrdiff_t(t * in_step), in_step, xt.begin());
      const auto y = n.step(state, xt);
      for (std::size_t j = 0; j < out_step; ++j) worst = std::max(worst, std::abs(y[j] - want[out_step * t + j]));
    }
  }
  return worst;
}
} // namespace

// RTNeural's other layer kinds, in double within RTNeural's own tolerance (1e-6), as a whole and
// stepped one sample per call as RTNeural runs them: conv1d (causal, dilated, grouped, with an
// activation field), batchnorm on every step (Keras's epsilon), prelu, a standalone elu,
// time-distributed-dense without a bias, gru and a per-step dense; and a vector model with a dense
// without bias, batchnorm without scale and centre, prelu and softmax
BOOST_AUTO_TEST_CASE(every_layer_kind_rtneural_writes) {
  const auto mlp = ctnn::read_rtneural<rtneural_mlp::model, double>(import_fixture("rtneural_mlp.json"));
  const auto rm = ctnn::check_layers(mlp, ctnn::read_golden(import_fixture("rtneural_mlp.golden")), 1e-6);
  BOOST_TEST(rm.ok(), "rtneural_mlp: " << rm.message());
  BOOST_TEST_MESSAGE("rtneural_mlp (double): " << rm.message());

  using tcn = rtneural_tcn::model;
  const auto n = ctnn::read_rtneural<tcn, double>(import_fixture("rtneural_tcn.json"));
  const auto g = ctnn::read_golden(import_fixture("rtneural_tcn.golden"));
  const auto r = ctnn::check_layers(n, g, 1e-6);
  BOOST_TEST(r.ok(), "rtneural_tcn: " << r.message());
  BOOST_TEST_MESSAGE("rtneural_tcn (double): " << r.message());
  const double worst = stepped_difference(n, g);
  BOOST_TEST(worst <= 1e-6);
  BOOST_TEST_MESSAGE("rtneural_tcn stepped: largest difference " << worst);
  // in float, the tolerance of float
  const auto f = ctnn::read_rtneural<tcn>(import_fixture("rtneural_tcn.json"));
  BOOST_TEST(ctnn::check_layers(f, g).ok());
}

// RTNeural's Conv2D and BatchNorm2D over frames (its python/conv2d.py model, smaller): valid and
// "same" (strided) padding in features, dilation in time, batchnorm2d with and without scale and
// centre, a conv2d's activation field; whole and one frame per call
BOOST_AUTO_TEST_CASE(conv2d_and_batchnorm2d_over_frames) {
  using model = rtneural_frames::model;
  const auto n = ctnn::read_rtneural<model, double>(import_fixture("rtneural_frames.json"));
  const auto g = ctnn::read_golden(import_fixture("rtneural_frames.golden"));
  const auto r = ctnn::check_layers(n, g, 1e-6);
  BOOST_TEST(r.ok(), "rtneural_frames: " << r.message());
  BOOST_TEST_MESSAGE("rtneural_frames (double): " << r.message());
  const double worst = stepped_difference(n, g);
  BOOST_TEST(worst <= 1e-6);
  BOOST_TEST_MESSAGE("rtneural_frames stepped: largest difference " << worst);
}

namespace {
using small = ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<1>>;
using small_gru = ctnn::network<ctnn::input<ctnn::sequence<4, 1>>, ctnn::gru<2>, ctnn::last, ctnn::dense<1>>;

template <class Model>
std::string refusal(const std::string& file) {
  auto n = ctnn::make<Model>(ctnn::init::glorot_uniform{}, 3);
  const auto before = n.export_parameters();
  std::string what = "(no error)";
  try {
    ctnn::load_rtneural(n, import_fixture("rtneural_bad/" + file));
  } catch (const ctnn::file_error& e) {
    what = e.what();
  }
  BOOST_TEST(n.export_parameters() == before, file << ": the network is unchanged");
  return what;
}
void check_refusal(const std::string& file, std::initializer_list<const char*> parts) {
  const auto what = refusal<small>(file);
  for (const char* p : parts) BOOST_TEST(what.find(p) != std::string::npos, file << ": '" << p << "' in: " << what);
}
} // namespace

BOOST_AUTO_TEST_CASE(the_hand_written_good_file_loads) {
  const auto n = ctnn::read_rtneural<small>(import_fixture("rtneural_bad/good.json"));
  const float x0 = 0.5f, x1 = -1.f;
  double h[3];
  const double k[2][3] = {{0.1, 0.2, 0.3}, {0.4, 0.5, 0.6}}, b[3] = {0.01, 0.02, 0.03}, v[3] = {1.0, -1.0, 0.5};
  double y = 0.1;
  for (int j = 0; j < 3; ++j) {
    h[j] = std::tanh(k[0][j] * x0 + k[1][j] * x1 + b[j]);
    y += v[j] * h[j];
  }
  BOOST_TEST(std::abs(n(ctnn::tensor<float, ctnn::shape<2>>{x0, x1})[0] - y) < 1e-6);
}

BOOST_AUTO_TEST_CASE(a_standalone_activation_as_rtneural_writes_it_loads) {
  // RTNeural's exporter writes {"type": "activation", "activation": "tanh"}: the same network as
  // a dense layer whose "activation" field says tanh
  const auto a = ctnn::read_rtneural<small>(import_fixture("rtneural_bad/activation_layer.json"));
  const auto b = ctnn::read_rtneural<small>(import_fixture("rtneural_bad/good.json"));
  BOOST_TEST(a.export_parameters() == b.export_parameters());
  const ctnn::tensor<float, ctnn::shape<2>> x{0.5f, -1.f};
  BOOST_TEST(a(x)[0] == b(x)[0]);
  check_refusal("unknown_activation.json", {"layers[1], activation", "\"swish\" (not read by ctnn)"});
}

BOOST_AUTO_TEST_CASE(malformed_files_name_the_layer_the_field_and_both_values) {
  check_refusal("syntax.json", {"syntax.json", "byte ", "expected JSON"});
  check_refusal("kernel_rows.json", {"layers[0], weights[0]", "expected 2 rows", "layer 1, dense<3>", "found 3 rows"});
  check_refusal("units.json", {"layers[1], shape", "expected 1 features", "layer 3, dense<1>", "found 2"});
  check_refusal("unknown_type.json", {"layers[1], type", "\"lambda\" (not read by ctnn)"});
  check_refusal("activation.json", {"layers[0], activation", "expected 'tanh'", "layer 2, tanh", "found 'relu'"});
  check_refusal("extra_layer.json", {"layers[2]", "expected no more layers", "found 'dense'"});
  check_refusal("string_value.json", {"layers[1], weights[0][2][0]", "expected a number", "the string \"0.5\""});
  check_refusal("in_shape.json", {"\"in_shape\"", "expected 2 input features", "found 3"});
  check_refusal("missing_weights.json", {"layers[1], weights", "no such field"});
  check_refusal("missing_layer.json",
                {"\"layers\"", "a layer for the network's layer 3, dense<1>", "found the end of the 1 layers"});
  check_refusal("no_such_file.json", {"no_such_file.json", "no such file"});
  // a number beyond double's range: nlohmann/json's out_of_range, turned into a file_error
  check_refusal("number_overflow.json", {"number_overflow.json", "JSON numbers within double's range", "406"});
  // bounded by what the network can hold: a device that never ends is a file_error, not bad_alloc;
  // and a JSON model is never compressed
  auto n = ctnn::make<small>(ctnn::init::glorot_uniform{}, 3);
  const auto before = n.export_parameters();
  try {
    ctnn::load_rtneural(n, "/dev/zero");
    BOOST_ERROR("/dev/zero was read");
  } catch (const ctnn::file_error& e) {
    BOOST_TEST(std::string(e.what()).find("ctnn's limit for this file") != std::string::npos, e.what());
  }
  check_refusal("compressed.json.gz", {"compressed.json.gz", "byte 0", "gzip-compressed data (decompress it first)"});
  BOOST_TEST(n.export_parameters() == before);
  // the new kinds: a conv1d whose kernel is not the network's, a softmax over each step
  using small_conv = ctnn::network<ctnn::input<ctnn::sequence<4, 1>>, ctnn::conv1d<2, 2, ctnn::causal>,
                                   ctnn::per_step<ctnn::dense<1>>>;
  using conv_softmax =
      ctnn::network<ctnn::input<ctnn::sequence<4, 1>>, ctnn::conv1d<2, 2, ctnn::causal>, ctnn::softmax>;
  const auto good = ctnn::read_rtneural<small_conv, double>(import_fixture("rtneural_bad/conv_good.json"));
  // y_t = 0.1 + (b0 + 0.1 x_{t-1} + 0.3 x_t) - (b1 + 0.2 x_{t-1} + 0.4 x_t): Keras's taps, oldest first
  const auto y = good(ctnn::tensor<double, ctnn::sequence<4, 1>>{1, 2, 0, 0});
  BOOST_TEST(std::abs(y[1] - (0.1 + 0.01 - 0.02 + (0.1 - 0.2) * 1 + (0.3 - 0.4) * 2)) < 1e-12);
  const auto kernel = refusal<small_conv>("conv_kernel_size.json");
  BOOST_TEST(kernel.find("layers[0], kernel_size") != std::string::npos, kernel);
  BOOST_TEST(kernel.find("expected 2 (the network's layer 1, conv1d<2, 2, causal>)") != std::string::npos, kernel);
  const auto softmax = refusal<conv_softmax>("softmax_on_steps.json");
  BOOST_TEST(softmax.find("softmax on a sequence") != std::string::npos, softmax);
  // conv2d over frames: Keras's kernel [KT][KF][C][F], oldest tap first; a time kernel that is not
  // the network's; TensorFlow's "same" with an odd total padding, which padding<0, P> cannot say
  using small_frames =
      ctnn::network<ctnn::input<ctnn::sequence<3, 2, 1>>, ctnn::conv2d<1, ctnn::kernel<2, 1>, ctnn::causal>>;
  const auto frames = ctnn::read_rtneural<small_frames, double>(import_fixture("rtneural_bad/conv2d_good.json"));
  const auto yf = frames(ctnn::tensor<double, ctnn::sequence<3, 2, 1>>{1, 2, 3, 4, 0, 0});
  BOOST_TEST(std::abs(yf[0] - (0.25 + 1.0)) < 1e-12);
  BOOST_TEST(std::abs(yf[3] - (0.25 + 0.5 * 2 + 1.0 * 4)) < 1e-12);
  BOOST_TEST(std::abs(yf[4] - (0.25 + 0.5 * 3)) < 1e-12);
  const auto time_kernel = refusal<small_frames>("conv2d_time_kernel.json");
  BOOST_TEST(time_kernel.find("layers[0], kernel_size_time") != std::string::npos, time_kernel);
  BOOST_TEST(time_kernel.find("expected 2 (the network's layer 1, conv2d<1, kernel<2, 1>, causal>)") !=
                 std::string::npos,
             time_kernel);
  using strided_frames =
      ctnn::network<ctnn::input<ctnn::sequence<3, 4, 1>>,
                    ctnn::conv2d<1, ctnn::kernel<2, 3>, ctnn::causal, ctnn::stride<1, 2>, ctnn::padding<0, 1>>>;
  const auto odd = refusal<strided_frames>("conv2d_same_odd.json");
  BOOST_TEST(odd.find("layers[0], padding") != std::string::npos, odd);
  BOOST_TEST(odd.find("\"same\" with 0 zero(s) before and 1 after the features") != std::string::npos, odd);
  const auto gru = refusal<small_gru>("gru_reset_before.json");
  BOOST_TEST(gru.find("layers[0], weights[2]") != std::string::npos, gru);
  BOOST_TEST(gru.find("reset_after=False") != std::string::npos, gru);
}
