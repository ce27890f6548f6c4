// quantize(net, calibration): the integer network of a float network. The arithmetic by hand on
// one layer; a random MLP against its float network (inputs of both signs, so the input's zero
// point is folded into the bias); percentiles that clip an outlier; layers the integer network
// leaves out; calibration of the wrong size. quantize_sparse (Stockfish's scheme over sparse binary
// features) against its float network, its updates against refreshes, and weights it refuses.
// to_bf16 against its float network. A relu after the last stage in both forms, and a user's
// layers taking part by their declarations alone.
#define BOOST_TEST_MODULE quantize
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>
#include <ctnn/runtime/bf16.hpp>
#include <ctnn/runtime/quantize.hpp>
#include <ctnn/runtime/quantize_sparse.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {

/// predict over n samples (tiles of quantized::tile and a remainder) equals n single calls, bit
/// for bit.
template <class Q, class Data>
void predict_equals_single_calls(const Q& q, const Data& data, std::size_t n) {
  BOOST_TEST_REQUIRE(n <= data.size());
  std::vector<float> batch(n * Q::output_size);
  q.predict(data.input(0), batch.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto y = q(data.input_tensor(i));
    for (std::size_t o = 0; o < Q::output_size; ++o)
      BOOST_TEST_REQUIRE(batch[i * Q::output_size + o] == y[o], "sample " << i << ", output " << o);
  }
}

/// The largest |y - y'| over every output of every sample of `data`, y from the float network
/// and y' from its other form, and the largest |y|.
struct difference {
  float worst = 0, scale = 0;
};
template <class Net, class Other, class Data>
difference largest_difference(const Net& net, const Other& other, const Data& data) {
  difference d;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto yf = net(data.input_tensor(i)), yo = other(data.input_tensor(i));
    for (std::size_t o = 0; o < yf.size(); ++o) {
      d.worst = std::max(d.worst, std::abs(yf[o] - yo[o]));
      d.scale = std::max(d.scale, std::abs(yf[o]));
    }
  }
  return d;
}

} // namespace

BOOST_AUTO_TEST_CASE(one_layer_by_hand) {
  using model = nn::network<nn::input<nn::shape<2>>, nn::dense<1>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  auto l = net.layer<1>();
  l.weight(0, 0) = 1.0f;
  l.weight(0, 1) = -0.5f;
  l.bias(0) = 0.25f;
  nn::dataset<float, nn::shape<2>, nn::shape<1>> calibration;
  calibration.push_back(nn::tensor<float, nn::shape<2>>{0.0f, 0.0f}, nn::tensor<float, nn::shape<1>>{});
  calibration.push_back(nn::tensor<float, nn::shape<2>>{1.0f, 1.0f}, nn::tensor<float, nn::shape<1>>{});
  const auto q = nn::quantize(net, calibration);
  // inputs in [0, 1]: scale 1/127, zero point 0; weights: scale 1/127, codes 127 and -64 (-63.5
  // rounded away from zero); bias 0.25 * 127 * 127 = 4032.25 -> 4032
  BOOST_TEST(q.input_range().zero == 0);
  BOOST_TEST(q.stage<0>().layer.weight(0, 0) == 127);
  BOOST_TEST(q.stage<0>().layer.weight(0, 1) == -64);
  BOOST_TEST(q.stage<0>().layer.bias(0) == 4032);
  // x = (1, 0.5): codes 127 and 64 (63.5 rounded half up); 4032 + 127 * 127 - 64 * 64 = 16065
  const auto y = q(nn::tensor<float, nn::shape<2>>{1.0f, 0.5f});
  BOOST_TEST(y[0] == static_cast<float>(1.0 / (127.0 * 127.0)) * 16065.0f);
  BOOST_TEST(std::abs(y[0] - net(nn::tensor<float, nn::shape<2>>{1.0f, 0.5f})[0]) < 0.01f);
}

BOOST_AUTO_TEST_CASE(a_random_mlp_follows_its_float_network) {
  using model = nn::network<nn::input<nn::shape<12>>, nn::dense<32>, nn::relu, nn::dropout<1, 5>, nn::dense<16>,
                            nn::relu, nn::dense<16>, nn::dense<3>>; // a dense without relu: a zero point inside
  auto net = nn::make<model>(nn::init::pytorch_default{}, 3);
  std::mt19937 gen(5);
  std::normal_distribution<float> d(0.0f, 1.0f);
  nn::dataset<float, nn::shape<12>, nn::shape<3>> calibration, test;
  for (int i = 0; i < 2000; ++i) {
    nn::tensor<float, nn::shape<12>> x;
    for (auto& v : x) v = d(gen);
    (i < 1500 ? calibration : test).push_back(x, nn::tensor<float, nn::shape<3>>{});
  }
  const auto q = nn::quantize(net, calibration);
  float worst = 0, scale = 0;
  std::size_t same_argmax = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const auto x = test.input_tensor(i);
    const auto yf = net(x), yq = q(x);
    for (std::size_t o = 0; o < 3; ++o) {
      worst = std::max(worst, std::abs(yf[o] - yq[o]));
      scale = std::max(scale, std::abs(yf[o]));
    }
    same_argmax +=
        std::max_element(yf.begin(), yf.end()) - yf.begin() == std::max_element(yq.begin(), yq.end()) - yq.begin();
  }
  BOOST_TEST_MESSAGE("largest difference " << worst << " of outputs up to " << scale << "; argmax agrees on "
                                           << same_argmax << " of " << test.size());
  BOOST_TEST(worst < 0.05f * scale);
  BOOST_TEST(same_argmax >= test.size() * 95 / 100);
  BOOST_TEST(q.input_range().zero > 0, "inputs of both signs need a zero point");
  BOOST_TEST(q.stage<2>().out_zero > 0, "the dense without relu has outputs of both signs");
  predict_equals_single_calls(q, test, 2 * decltype(q)::tile + 5);
}

BOOST_AUTO_TEST_CASE(a_percentile_clips_an_outlier) {
  using model = nn::network<nn::input<nn::shape<1>>, nn::dense<2>, nn::relu, nn::dense<1>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::dataset<float, nn::shape<1>, nn::shape<1>> calibration;
  for (int i = 0; i <= 1000; ++i)
    calibration.push_back(nn::tensor<float, nn::shape<1>>{i == 500 ? 1000.0f : float(i % 100) / 100.0f},
                          nn::tensor<float, nn::shape<1>>{});
  const auto all = nn::quantize(net, calibration);
  const auto clipped = nn::quantize(net, calibration, {.percentile = 99});
  BOOST_TEST(all.input_range().scale == 1000.0 / 127, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(clipped.input_range().scale < 1.0 / 127 + 1e-12);
}

BOOST_AUTO_TEST_CASE(layers_left_out_and_calibration_of_the_wrong_size) {
  using model = nn::network<nn::input<nn::shape<2, 3>>, nn::flatten, nn::dense<4>, nn::relu, nn::dense<2>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  static_assert(nn::quantized<model>::stage_count == 2);
  std::vector<float> rows(6 * 10, 0.5f);
  BOOST_CHECK_NO_THROW(nn::quantize_rows(net, rows, 10));
  BOOST_CHECK_THROW(nn::quantize_rows(net, rows, 9), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_random_cnn_follows_its_float_network) {
  // padding, stride, dilation, a 1-D convolution's cousin and a pool with padding: the geometry of
  // every window is the float network's
  using model =
      nn::network<nn::input<nn::shape<3, 15, 13>>, nn::conv2d<8, nn::kernel<3>, nn::padding<1>>, nn::relu,
                  nn::max_pool2d<nn::window<2>>, nn::conv2d<6, nn::kernel<3, 2>, nn::stride<2, 1>, nn::dilation<1, 2>>,
                  nn::relu, nn::max_pool2d<nn::window<3>, nn::stride<2>, nn::padding<1>>, nn::flatten, nn::dense<5>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 11);
  std::mt19937 gen(9);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  nn::dataset<float, nn::shape<3, 15, 13>, nn::shape<5>> calibration, test;
  for (int i = 0; i < 400; ++i) {
    nn::tensor<float, nn::shape<3, 15, 13>> x;
    for (auto& v : x) v = d(gen);
    (i < 300 ? calibration : test).push_back(x, nn::tensor<float, nn::shape<5>>{});
  }
  const auto q = nn::quantize(net, calibration);
  const auto [worst, scale] = largest_difference(net, q, test);
  BOOST_TEST_MESSAGE("CNN: largest difference " << worst << " of outputs up to " << scale);
  BOOST_TEST(worst < 0.05f * scale);
  BOOST_TEST(scale > 0.01f);
  predict_equals_single_calls(q, test, decltype(q)::tile + 3);
}

BOOST_AUTO_TEST_CASE(a_conv_as_the_last_layer_gives_floats) {
  using model = nn::network<nn::input<nn::shape<2, 6>>, nn::conv1d<4, 3, nn::padding<1>>, nn::relu, nn::conv1d<2, 3>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 2);
  std::mt19937 gen(4);
  std::uniform_real_distribution<float> d(0.0f, 2.0f);
  nn::dataset<float, nn::shape<2, 6>, nn::shape<2, 4>> calibration;
  for (int i = 0; i < 200; ++i) {
    nn::tensor<float, nn::shape<2, 6>> x;
    for (auto& v : x) v = d(gen);
    calibration.push_back(x, nn::tensor<float, nn::shape<2, 4>>{});
  }
  const auto q = nn::quantize(net, calibration);
  const auto x = calibration.input_tensor(7);
  const auto yf = net(x), yq = q(x);
  for (std::size_t o = 0; o < yf.size(); ++o) BOOST_TEST(std::abs(yf[o] - yq[o]) < 0.05f, "output " << o);
}

BOOST_AUTO_TEST_CASE(saved_and_loaded_like_float_networks) {
  using model = nn::network<nn::input<nn::shape<1, 8, 8>>, nn::conv2d<4, nn::kernel<3>>, nn::relu,
                            nn::max_pool2d<nn::window<2>>, nn::flatten, nn::dense<3>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 5);
  std::mt19937 gen(2);
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  nn::dataset<float, nn::shape<1, 8, 8>, nn::shape<3>> calibration;
  for (int i = 0; i < 50; ++i) {
    nn::tensor<float, nn::shape<1, 8, 8>> x;
    for (auto& v : x) v = d(gen);
    calibration.push_back(x, nn::tensor<float, nn::shape<3>>{});
  }
  const auto q = nn::quantize(net, calibration);
  const auto dir = std::filesystem::temp_directory_path() / ("ctnn-quantize-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "q.ctnn").string();
  nn::save(q, path);

  // into a quantized network of another calibration: every output equal, bit for bit
  auto other = nn::quantize(net, calibration, {.percentile = 90});
  BOOST_TEST(other(calibration.input_tensor(3))[0] != q(calibration.input_tensor(3))[0]);
  nn::load(other, path);
  for (std::size_t i = 0; i < calibration.size(); ++i) {
    const auto a = q(calibration.input_tensor(i)), b = other(calibration.input_tensor(i));
    for (std::size_t o = 0; o < 3; ++o) BOOST_TEST_REQUIRE(a[o] == b[o]);
  }
  BOOST_TEST((q.export_parameters() == other.export_parameters()));

  // a float network's file is not an integer network's, and the other way round
  const auto float_path = (dir / "float.ctnn").string();
  nn::save(net, float_path);
  try {
    nn::load(other, float_path);
    BOOST_FAIL("a float network's weights loaded into an integer network");
  } catch (const nn::file_error& e) {
    BOOST_TEST(e.where() == "fingerprint, scalar type");
  }
  BOOST_CHECK_THROW(nn::load(net, path), nn::file_error);

  // a value out of its type's range: the file is refused and the network is unchanged
  auto values = q.export_parameters();
  values[2] = 300; // the first weight of the conv
  using weights = nn::quantized<model>;
  std::vector<std::string> lines = weights::fingerprint();
  BOOST_TEST(lines[0].find("int8") == 0u);
  auto bad = q;
  BOOST_CHECK_THROW(bad.import_parameters(values), std::invalid_argument);
  BOOST_TEST((bad.export_parameters() == q.export_parameters()));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(quantization_aware_training_sees_fake_quantized_weights) {
  using model = nn::network<nn::input<nn::shape<5>>, nn::dense<7>, nn::relu, nn::dense<2>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 8);
  std::mt19937 gen(6);
  std::normal_distribution<float> d(0.0f, 1.0f);
  nn::dataset<float, nn::shape<5>, nn::shape<2>> data;
  for (int i = 0; i < 32; ++i) {
    nn::tensor<float, nn::shape<5>> x;
    for (auto& v : x) v = d(gen);
    data.push_back(x, nn::tensor<float, nn::shape<2>>{d(gen), d(gen)});
  }
  // the loss of the network with its weights fake-quantized per output channel
  auto fake = net;
  nn::detail::fake_quantize_weights(fake);
  BOOST_TEST(fake.layer<1>().weight(0, 0) != net.layer<1>().weight(0, 0));
  double expected = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto y = fake(data.input_tensor(i));
    for (std::size_t o = 0; o < 2; ++o) expected += std::pow(double(y[o]) - data.target(i)[o], 2);
  }
  expected /= double(data.size() * 2);
  double unquantized = 0; // what the step would report with the float weights: far enough to tell
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto y = net(data.input_tensor(i));
    for (std::size_t o = 0; o < 2; ++o) unquantized += std::pow(double(y[o]) - data.target(i)[o], 2);
  }
  unquantized /= double(data.size() * 2);
  BOOST_TEST(std::abs(unquantized - expected) > 1e-4 * expected, unquantized << " vs " << expected);

  const auto before = net.export_parameters();
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.0f}};
  const auto report = fit.train(data, {.epochs = 1, .batch = data.size(), .quantization_aware = true, .log = nullptr});
  BOOST_TEST(report.history.at(0).train.loss == expected, boost::test_tools::tolerance(1e-5));
  BOOST_TEST((net.export_parameters() == before), "the float weights came back after the step");

  // with a learning rate the float weights move, and are not left quantized
  nn::trainer fit2{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.05f}};
  fit2.train(data, {.epochs = 3, .batch = 8, .quantization_aware = true, .log = nullptr});
  auto requantized = net;
  nn::detail::fake_quantize_weights(requantized);
  BOOST_TEST((net.export_parameters() != before));
  BOOST_TEST((requantized.export_parameters() != net.export_parameters()));
}

BOOST_AUTO_TEST_CASE(fake_quantize_layers_observe_ranges_and_quantize_adopts_them) {
  // activations fake-quantized in training as PyTorch's FakeQuantize does (its arithmetic against
  // PyTorch: tests/oracle/batch_norm.cpp), weights as quantize will quantize them
  using model =
      nn::network<nn::input<nn::shape<5>>, nn::fake_quantize, nn::dense<8>, nn::relu, nn::fake_quantize, nn::dense<2>>;
  static_assert(nn::has_int8_form<model> && nn::quantized<model>::stage_count == 2);
  auto net = nn::make<model>(nn::init::pytorch_default{}, 9);
  BOOST_TEST((net.layer<1>().min() == 0.0f && net.layer<1>().max() == 0.0f), "nothing observed yet");
  BOOST_TEST(!net.layer<1>().codes().has_value());
  std::mt19937 gen(12);
  std::normal_distribution<float> d(0.0f, 1.0f);
  nn::dataset<float, nn::shape<5>, nn::shape<2>> data;
  float lo = 0, hi = 0;
  for (int i = 0; i < 64; ++i) {
    nn::tensor<float, nn::shape<5>> x;
    for (auto& v : x) {
      v = d(gen);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    data.push_back(x, nn::tensor<float, nn::shape<2>>{d(gen), d(gen)});
  }
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.01f}};
  fit.train(data, {.epochs = 2, .batch = 16, .quantization_aware = true, .log = nullptr});
  // the input's range: inside the data's, a moving average of the batches' (first batch: its own)
  const float observed_lo = net.layer<1>().min(), observed_hi = net.layer<1>().max();
  BOOST_TEST(observed_lo < 0.0f);
  BOOST_TEST(observed_hi > 0.0f);
  BOOST_TEST(observed_lo >= lo);
  BOOST_TEST(observed_hi <= hi);
  BOOST_TEST(net.layer<4>().max() > 0.0f);
  BOOST_TEST(net.layer<4>().min() == 0.0f, "after a relu the observed min is 0");
  // at inference the inputs are rounded to the 128 codes of the observed range
  nn::net<nn::network<nn::input<nn::shape<5>>, nn::fake_quantize>, float> rounding;
  rounding.layer<1>().min() = observed_lo;
  rounding.layer<1>().max() = observed_hi;
  const auto r = rounding(data.input_tensor(3));
  const double scale = (double(observed_hi) - double(observed_lo)) / 127;
  for (std::size_t i = 0; i < 5; ++i) {
    const double steps = double(r[i]) / scale;
    BOOST_TEST(std::abs(steps - std::nearbyint(steps)) < 1e-3, "value " << i << ": " << steps << " steps");
    BOOST_TEST(std::abs(r[i] - data.input_tensor(3)[i]) <= scale, "value " << i);
  }
  // before training observed anything, the int8 network calibrates every range
  const auto fresh = nn::quantize(nn::make<model>(nn::init::pytorch_default{}, 9), data);
  const auto calibrated = nn::layers::int8::affine_range::of(lo, hi);
  BOOST_TEST(fresh.input_range().scale == calibrated.scale);
  BOOST_TEST(fresh.input_range().zero == calibrated.zero);
  // after, it leaves the layers out and codes the activations there as training rounded them:
  // the input with the first one's scale and zero point, the hidden layer's outputs with the
  // second one's
  const auto q = nn::quantize(net, data);
  const auto in_codes = net.layer<1>().codes(), hidden_codes = net.layer<4>().codes();
  BOOST_TEST_REQUIRE((in_codes && hidden_codes));
  BOOST_TEST(q.input_range().scale == in_codes->scale);
  BOOST_TEST(q.input_range().zero == in_codes->zero);
  BOOST_TEST(q.input_range().scale != calibrated.scale, "the observed range is a moving average inside the data's");
  BOOST_TEST(q.stage<0>().out_zero == hidden_codes->zero);
  BOOST_TEST(hidden_codes->zero == 0, "after a relu");
  BOOST_TEST(q.stage<1>().in_zero == hidden_codes->zero);
  // the codes of every input are those fake_quantize rounds it to
  for (std::size_t r = 0; r < data.size(); ++r) {
    alignas(64) std::uint8_t c[64];
    q.input_range().codes<5>(data.input_tensor(r).data(), c);
    const auto rounded = rounding(data.input_tensor(r));
    for (std::size_t i = 0; i < 5; ++i)
      BOOST_TEST(rounded[i] == float(int(c[i]) - in_codes->zero) * float(in_codes->scale),
                 "sample " << r << ", value " << i);
  }
  const auto diff = largest_difference(net, q, data);
  BOOST_TEST(diff.worst < 0.05f * diff.scale);
}

BOOST_AUTO_TEST_CASE(a_fake_quantize_after_a_pool_gives_the_codes_of_the_stage_before_it) {
  // a max pool keeps its input's codes: the range observed after it is that of the conv's outputs
  using model = nn::network<nn::input<nn::shape<1, 6, 6>>, nn::conv2d<2, nn::kernel<3>>, nn::relu,
                            nn::max_pool2d<nn::window<2>>, nn::fake_quantize, nn::flatten, nn::dense<2>>;
  static_assert(nn::quantized<model>::stage_count == 3);
  auto net = nn::make<model>(nn::init::pytorch_default{}, 3);
  net.layer<4>().min() = -4.0f; // a range no calibration of these outputs gives: zero point 64
  net.layer<4>().max() = 4.0f;
  const auto codes = net.layer<4>().codes();
  BOOST_TEST_REQUIRE(codes.has_value());
  BOOST_TEST(codes->zero == 64);
  std::mt19937 gen(4);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  nn::dataset<float, nn::shape<1, 6, 6>, nn::shape<2>> data;
  for (int i = 0; i < 100; ++i) {
    nn::tensor<float, nn::shape<1, 6, 6>> x;
    for (auto& v : x) v = d(gen);
    data.push_back(x, nn::tensor<float, nn::shape<2>>{});
  }
  const auto q = nn::quantize(net, data);
  BOOST_TEST(q.stage<0>().out_zero == codes->zero, "the conv's outputs get the observed codes");
  BOOST_TEST(q.stage<1>().zero == codes->zero);
  BOOST_TEST(q.stage<2>().in_zero == codes->zero);
  // the float network rounds the pool's outputs to the same codes
  const auto diff = largest_difference(net, q, data);
  BOOST_TEST(diff.worst < 0.05f * diff.scale);
}

BOOST_AUTO_TEST_CASE(quantization_aware_training_needs_an_integer_form) {
  using model = nn::network<nn::input<nn::shape<3>>, nn::dense<4>, nn::tanh, nn::dense<1>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::dataset<float, nn::shape<3>, nn::shape<1>> data;
  data.push_back(nn::tensor<float, nn::shape<3>>{}, nn::tensor<float, nn::shape<1>>{});
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.1f}};
  try {
    fit.train(data, {.epochs = 1, .quantization_aware = true, .log = nullptr});
    BOOST_FAIL("a tanh network trained quantization-aware");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("layer 2 has no integer form") != std::string::npos, e.what());
  }
}

// ---- quantize_sparse: Stockfish's scheme for networks over sparse binary features ----

namespace {

using sparse_model = nn::network<nn::input<nn::shape<300>>, nn::dense<64>, nn::hardtanh_range<0, 1>, nn::dense<16>,
                                 nn::hardtanh_range<0, 1>, nn::dense<2>>;

/// `count` distinct features below 300.
std::vector<std::uint32_t> some_features(std::mt19937& gen, std::size_t count) {
  std::vector<std::uint32_t> f;
  std::uniform_int_distribution<std::uint32_t> d(0, 299);
  while (f.size() < count) {
    const auto v = d(gen);
    if (std::find(f.begin(), f.end(), v) == f.end()) f.push_back(v);
  }
  return f;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_sparse_network_follows_its_float_network) {
  auto net = nn::make<sparse_model>(nn::init::pytorch_default{}, 5);
  // weights of the size a trained network has (activations mostly inside (0, 1), the hidden
  // weights spread over the int8 range): a default initialization's are a few int8 steps wide
  {
    std::mt19937 gen(1);
    std::normal_distribution<float> d(0.0f, 1.0f);
    auto first = net.layer<1>();
    for (std::size_t j = 0; j < 64; ++j) {
      for (std::size_t f = 0; f < 300; ++f) first.weight(j, f) = 0.15f * d(gen);
      first.bias(j) = 0.3f;
    }
    auto second = net.layer<3>();
    for (std::size_t o = 0; o < 16; ++o)
      for (std::size_t i = 0; i < 64; ++i) second.weight(o, i) = std::clamp(0.4f * d(gen), -1.9f, 1.9f);
    auto last = net.layer<5>();
    for (std::size_t o = 0; o < 2; ++o)
      for (std::size_t i = 0; i < 16; ++i) last.weight(o, i) = std::clamp(0.8f * d(gen), -1.9f, 1.9f);
  }
  const auto q = nn::quantize_sparse<24>(net);
  // the scheme's definition by hand, in 64-bit integers: the integer network equals it exactly
  const auto by_hand = [&](const std::vector<std::uint32_t>& active) {
    auto first = net.layer<1>();
    std::vector<std::int64_t> codes(64);
    for (std::size_t j = 0; j < 64; ++j) {
      std::int64_t a = std::llround(double(first.bias(j)) * 127);
      for (const auto f : active) a += std::llround(double(first.weight(j, f)) * 127);
      codes[j] = std::clamp<std::int64_t>(a, 0, 127);
    }
    const auto dense = [&](auto view, std::size_t out, const std::vector<std::int64_t>& in) {
      std::vector<std::int64_t> sums(out);
      for (std::size_t o = 0; o < out; ++o) {
        sums[o] = std::llround(double(view.bias(o)) * 127 * 64);
        for (std::size_t i = 0; i < in.size(); ++i)
          sums[o] += in[i] * std::clamp<std::int64_t>(std::llround(double(view.weight(o, i)) * 64), -127, 127);
      }
      return sums;
    };
    auto hidden = dense(net.layer<3>(), 16, codes);
    for (auto& v : hidden) v = std::clamp<std::int64_t>(v >> 6, 0, 127);
    const auto out = dense(net.layer<5>(), 2, hidden);
    return std::array<float, 2>{float(out[0]) / (127 * 64), float(out[1]) / (127 * 64)};
  };
  std::mt19937 gen(2);
  float worst = 0, scale = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const auto active = some_features(gen, 1 + trial % 24);
    nn::tensor<float, nn::shape<300>> x{};
    for (const auto f : active) x[f] = 1.0f;
    const auto yf = net(x);
    const auto yq = q(active);
    BOOST_TEST_REQUIRE((yq == by_hand(active)), "trial " << trial);
    for (std::size_t o = 0; o < 2; ++o) {
      worst = std::max(worst, std::abs(yf[o] - yq[o]));
      scale = std::max(scale, std::abs(yf[o]));
    }
  }
  BOOST_TEST_MESSAGE("sparse: largest difference " << worst << " of outputs up to " << scale);
  BOOST_TEST(scale > 0.5f);
  BOOST_TEST(worst < 0.05f * scale); // activations in steps of 1/127, floored between layers
}

BOOST_AUTO_TEST_CASE(a_sparse_update_equals_a_refresh) {
  const auto net = nn::make<sparse_model>(nn::init::pytorch_default{}, 6);
  const auto q = nn::quantize_sparse<24>(net);
  std::mt19937 gen(3);
  auto active = some_features(gen, 20);
  auto s = q.make_state(), fresh = q.make_state();
  q.refresh(s, active);
  for (int step = 0; step < 100; ++step) {
    // one feature leaves, another comes: as a move changes a position's pieces
    const std::size_t k = gen() % active.size();
    std::uint32_t next;
    do next = static_cast<std::uint32_t>(gen() % 300);
    while (std::find(active.begin(), active.end(), next) != active.end());
    const std::uint32_t removed[] = {active[k]}, added[] = {next};
    active[k] = next;
    auto child = q.make_state();
    q.update(s, child, removed, added);
    q.refresh(fresh, active);
    BOOST_TEST_REQUIRE((child == fresh), "step " << step);
    BOOST_TEST_REQUIRE((q.evaluate(child) == q.evaluate(fresh)));
    s = child;
  }
}

BOOST_AUTO_TEST_CASE(sparse_weights_too_large_are_refused_by_name) {
  auto net = nn::make<sparse_model>(nn::init::pytorch_default{}, 7);
  net.layer<1>().weight(5, 17) = 300.0f; // 300 x 127 does not fit in int16
  try {
    (void)nn::quantize_sparse<24>(net);
    BOOST_FAIL("expected a bound_error");
  } catch (const nn::bound_error& e) {
    BOOST_TEST(std::string(e.what()).find("layer 1 (the sparse layer), weight 5, 17") != std::string::npos, e.what());
  }
  net.layer<1>().weight(5, 17) = 100.0f; // fits in int16 alone, but 24 such features would not
  for (std::size_t f = 0; f < 300; ++f) net.layer<1>().weight(5, f) = 100.0f;
  BOOST_CHECK_THROW((void)nn::quantize_sparse<24>(net), nn::bound_error);
  for (std::size_t f = 0; f < 300; ++f) net.layer<1>().weight(5, f) = 0.01f;
  BOOST_CHECK_NO_THROW((void)nn::quantize_sparse<24>(net));
}

BOOST_AUTO_TEST_CASE(quantization_aware_training_of_a_sparse_network) {
  auto net = nn::make<sparse_model>(nn::init::pytorch_default{}, 9);
  net.layer<3>().weight(2, 5) = 3.0f; // beyond int8's +-127/64: the training sees it clipped
  auto fake = net;
  nn::detail::fake_quantize_weights(fake);
  const auto on_grid = [](double v, double unit) { return std::abs(v * unit - std::nearbyint(v * unit)) < 1e-3; };
  bool gridded = true;
  for (std::size_t j = 0; j < 64; ++j)
    for (std::size_t f = 0; f < 300; ++f) gridded = gridded && on_grid(fake.layer<1>().weight(j, f), 127);
  for (std::size_t o = 0; o < 16; ++o)
    for (std::size_t i = 0; i < 64; ++i)
      gridded =
          gridded && on_grid(fake.layer<3>().weight(o, i), 64) && std::abs(fake.layer<3>().weight(o, i)) <= 127.0 / 64;
  BOOST_TEST(gridded, "sparse weights on steps of 1/127, int8 weights on steps of 1/64 within +-127/64");
  BOOST_TEST(fake.layer<3>().weight(2, 5) == 127.0f / 64);

  // the training step's loss is the fake-quantized network's, and the float weights come back
  std::mt19937 gen(4);
  nn::dataset<float, nn::shape<300>, nn::shape<2>> data;
  for (int i = 0; i < 16; ++i) {
    nn::tensor<float, nn::shape<300>> x{};
    for (const auto f : some_features(gen, 12)) x[f] = 1.0f;
    data.push_back(x, nn::tensor<float, nn::shape<2>>{0.5f, -0.25f});
  }
  double expected = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto y = fake(data.input_tensor(i));
    for (std::size_t o = 0; o < 2; ++o) expected += std::pow(double(y[o]) - data.target(i)[o], 2);
  }
  expected /= double(data.size() * 2);
  const auto before = net.export_parameters();
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.0f}};
  const auto report = fit.train(data, {.epochs = 1, .batch = data.size(), .quantization_aware = true, .log = nullptr});
  BOOST_TEST(report.history.at(0).train.loss == expected, boost::test_tools::tolerance(1e-5));
  BOOST_TEST((net.export_parameters() == before));
}

BOOST_AUTO_TEST_CASE(a_sparse_network_saved_and_loaded) {
  const auto net = nn::make<sparse_model>(nn::init::pytorch_default{}, 10);
  const auto q = nn::quantize_sparse<24>(net);
  const auto dir = std::filesystem::temp_directory_path() / ("ctnn-sparse-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "sparse.ctnn").string();
  nn::save(q, path);
  auto other = nn::quantize_sparse<24>(nn::make<sparse_model>(nn::init::pytorch_default{}, 11));
  std::mt19937 gen(5);
  const auto active = some_features(gen, 20);
  BOOST_TEST((other(active) != q(active)));
  nn::load(other, path);
  BOOST_TEST((other(active) == q(active)));
  BOOST_TEST((other.export_parameters() == q.export_parameters()));

  // another MaxActive proved other bounds: its file is refused by the fingerprint
  auto wider = nn::quantize_sparse<30>(net);
  try {
    nn::load(wider, path);
    BOOST_FAIL("a network proved for 24 active features loaded as one for 30");
  } catch (const nn::file_error& e) {
    BOOST_TEST(e.where() == "fingerprint, scalar type");
  }
  // a weight out of int16's range: refused, the network unchanged
  auto values = q.export_parameters();
  values[0] = 40000;
  BOOST_CHECK_THROW(other.import_parameters(values), std::invalid_argument);
  BOOST_TEST((other.export_parameters() == q.export_parameters()));
  // weights each in range whose sum over 24 features could overflow int16: refused by name
  values = q.export_parameters();
  for (std::size_t f = 0; f < 300; ++f) values[f] = 2000; // the first accumulator value's row
  try {
    other.import_parameters(values);
    BOOST_FAIL("an accumulator that could overflow was loaded");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("layer 1") != std::string::npos, e.what());
  }
  BOOST_TEST((other.export_parameters() == q.export_parameters()));
  std::filesystem::remove_all(dir);
}

// ---- to_bf16: bf16 weights and activations, float sums, no calibration ----

namespace {
/// The outputs of q and of the float network over `n` random inputs: the relu at the end clamps
/// both (some outputs are 0, none is below), and they stay close.
template <class Model, class Q>
void a_relu_at_the_end_clamps(const nn::net<Model, float>& net, const Q& q, float tolerance) {
  std::mt19937 gen(21);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::size_t zeros = 0;
  for (int t = 0; t < 100; ++t) {
    nn::tensor<float, typename Model::input_shape> x;
    for (auto& v : x) v = d(gen);
    const auto yf = net(x), yq = q(x);
    for (std::size_t o = 0; o < yf.size(); ++o) {
      BOOST_TEST_REQUIRE(yq[o] >= 0.0f, "sample " << t << ", output " << o << ": " << yq[o]);
      BOOST_TEST(std::abs(yf[o] - yq[o]) < tolerance);
      zeros += yf[o] == 0.0f;
    }
  }
  BOOST_TEST(zeros > 0u, "the float network's relu clamped some outputs");
}
} // namespace

BOOST_AUTO_TEST_CASE(a_relu_after_the_last_stage_clamps_its_outputs) {
  // int8: a dense and a conv as the last stage (their float outputs); bf16: a dense
  using mlp = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu, nn::dense<5>, nn::relu>;
  using cnn = nn::network<nn::input<nn::shape<2, 6>>, nn::conv1d<3, 3>, nn::relu, nn::conv1d<2, 3>, nn::dropout<1, 4>,
                          nn::relu>;
  const auto mlp_net = nn::make<mlp>(nn::init::pytorch_default{}, 5);
  const auto cnn_net = nn::make<cnn>(nn::init::pytorch_default{}, 6);
  std::mt19937 gen(2);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> mlp_rows(6 * 300), cnn_rows(12 * 300);
  for (auto& v : mlp_rows) v = d(gen);
  for (auto& v : cnn_rows) v = d(gen);
  a_relu_at_the_end_clamps(mlp_net, nn::quantize_rows(mlp_net, mlp_rows, 300), 0.05f);
  a_relu_at_the_end_clamps(cnn_net, nn::quantize_rows(cnn_net, cnn_rows, 300), 0.05f);
  a_relu_at_the_end_clamps(mlp_net, nn::to_bf16(mlp_net), 0.02f);
}

namespace my {
/// A user's layer that does nothing at inference (a marker, say): it declares the identity role.
struct marker : nn::activation_layer<nn::kernels::identity_fn> {
  static constexpr nn::narrow_role narrow = nn::narrow_role::identity;
  static std::string name() { return "my::marker"; }
};
/// The same without the declaration: it has no narrow form.
struct silent : nn::activation_layer<nn::kernels::identity_fn> {
  static std::string name() { return "my::silent"; }
};
/// A user's dense layer under its own name, deployed by the int8 and bf16 stages it names.
template <std::size_t Units>
struct wide : nn::dense<Units> {
  static std::string name() { return "my::wide<" + std::to_string(Units) + ">"; }
};
} // namespace my

BOOST_AUTO_TEST_CASE(a_users_layers_take_part_through_their_declarations) {
  // quantize and to_bf16 name no layer kind: a layer outside ctnn takes part by what it declares
  using declared = nn::network<nn::input<nn::shape<5>>, my::wide<6>, nn::relu, my::marker, nn::dense<2>>;
  using undeclared = nn::network<nn::input<nn::shape<5>>, nn::dense<6>, my::silent, nn::dense<2>>;
  static_assert(nn::has_int8_form<declared> && nn::has_bf16_form<declared>);
  static_assert(!nn::has_int8_form<undeclared> && !nn::has_bf16_form<undeclared>);
  static_assert(nn::quantized<declared>::stage_count == 2);
  const auto net = nn::make<declared>(nn::init::pytorch_default{}, 3);
  std::mt19937 gen(5);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> rows(5 * 200);
  for (auto& v : rows) v = d(gen);
  const auto q = nn::quantize_rows(net, rows, 200);
  const auto b = nn::to_bf16(net);
  nn::tensor<float, nn::shape<5>> x;
  std::copy_n(rows.begin(), 5, x.begin());
  const auto yf = net(x), yq = q(x), yb = b(x);
  for (std::size_t o = 0; o < 2; ++o) {
    BOOST_TEST(std::abs(yf[o] - yq[o]) < 0.05f);
    BOOST_TEST(std::abs(yf[o] - yb[o]) < 0.02f);
  }
}

BOOST_AUTO_TEST_CASE(a_bf16_network_follows_its_float_network) {
  using model = nn::network<nn::input<nn::shape<33>>, nn::dense<20>, nn::relu, nn::dropout<1, 2>, nn::dense<7>,
                            nn::relu, nn::dense<3>>; // odd widths: the pairs' padding
  auto net = nn::make<model>(nn::init::pytorch_default{}, 12);
  const auto b = nn::to_bf16(net);
  std::mt19937 gen(8);
  std::normal_distribution<float> d(0.0f, 1.0f);
  float worst = 0, scale = 0;
  std::vector<float> xs, ys(50 * 3);
  for (int t = 0; t < 50; ++t) {
    nn::tensor<float, nn::shape<33>> x;
    for (auto& v : x) v = d(gen);
    xs.insert(xs.end(), x.begin(), x.end());
    const auto yf = net(x), yb = b(x);
    for (std::size_t o = 0; o < 3; ++o) {
      worst = std::max(worst, std::abs(yf[o] - yb[o]));
      scale = std::max(scale, std::abs(yf[o]));
    }
  }
  BOOST_TEST_MESSAGE("bf16 (" << nn::kernels::bf16_isa << "): largest difference " << worst << " of " << scale);
  BOOST_TEST(worst < 0.01f * scale); // 8 bits of mantissa: about 0.4% per rounding
  BOOST_TEST(worst > 0.0f);          // it did round
  // the weights are the float ones rounded to the nearest bf16
  BOOST_TEST(nn::kernels::bf16_to_float(b.layer<1>().weights[nn::kernels::bf16_affine_layout<20, 7>::index(3, 2)]) ==
             nn::kernels::bf16_to_float(nn::kernels::round_to_bf16(net.layer<4>().weight(2, 3))));
  b.predict(xs.data(), ys.data(), 50);
  for (std::size_t t = 0; t < 50; ++t) {
    nn::tensor<float, nn::shape<33>> x;
    std::copy_n(xs.data() + 33 * t, 33, x.begin());
    const auto y = b(x);
    for (std::size_t o = 0; o < 3; ++o) BOOST_TEST_REQUIRE(ys[3 * t + o] == y[o]);
  }
}
