// quantize(net, calibration) through composite blocks: residual<...>, residual<project, ...> and
// parallel<concat | add, branch<...>...> (layers/int8/block.hpp). The merge's integer arithmetic
// by hand on a quantized network's own stages; networks of blocks (dense and conv, nested, a
// block last) against their float networks; save, load and predict; quantization-aware training
// reaching the weights inside blocks; blocks whose layers have no integer form.
#define BOOST_TEST_MODULE quantize_blocks
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>
#include <ctnn/runtime/bf16.hpp>
#include <ctnn/runtime/quantize.hpp>
#include <ctnn/train/quantization_aware.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {

/// Calibration inputs: n rows of normal values (both signs: the input's zero point is inside).
template <class In>
nn::dataset<float, In, nn::shape<1>> calibration(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d;
  nn::dataset<float, In, nn::shape<1>> data;
  for (std::size_t i = 0; i < n; ++i) {
    nn::tensor<float, In> x;
    for (auto& v : x) v = d(gen);
    data.push_back(x, nn::tensor<float, nn::shape<1>>{});
  }
  return data;
}

/// The mean |y - y'| over the mean |y|, y from the float network and y' from the int8 one.
template <class Net, class Q, class Data>
double relative_error(const Net& net, const Q& q, const Data& data) {
  double error = 0, size = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto y = net(data.input_tensor(i)), z = q(data.input_tensor(i));
    for (std::size_t o = 0; o < y.size(); ++o) {
      error += std::abs(double(y[o]) - double(z[o]));
      size += std::abs(double(y[o]));
    }
  }
  return error / size;
}

/// The codes of a merge by the formula of layers/int8/block.hpp, from its branches' codes.
template <class Block>
std::vector<int> merge_by_hand(const Block& b, const std::vector<const std::uint8_t*>& q,
                               const std::vector<std::size_t>& widths, bool concatenates) {
  std::vector<int> out;
  const auto code = [&](std::int64_t v) {
    const std::int64_t c = b.out_zero + static_cast<std::int64_t>(std::floor((double(v) + 32768) / 65536));
    return static_cast<int>(std::clamp<std::int64_t>(c, Block::clamp ? b.out_zero : 0, 127));
  };
  if (concatenates) {
    for (std::size_t k = 0; k < q.size(); ++k)
      for (std::size_t i = 0; i < widths[k]; ++i)
        out.push_back(code(std::int64_t{b.multiplier[k]} * (q[k][i] - b.zero[k])));
  } else {
    for (std::size_t i = 0; i < widths[0]; ++i) {
      std::int64_t v = 0;
      for (std::size_t k = 0; k < q.size(); ++k) v += std::int64_t{b.multiplier[k]} * (q[k][i] - b.zero[k]);
      out.push_back(code(v));
    }
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_merges_compute_as_documented) {
  using model = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu,   // stage 0
                            nn::residual<nn::dense<8>>, nn::relu,              // stage 1: add, clamped
                            nn::parallel<nn::concat, nn::branch<nn::dense<4>>, // stage 2: concat
                                         nn::branch<>>,
                            nn::dense<3>>;
  static_assert(nn::has_int8_form<model> && nn::quantized<model>::stage_count == 4);
  const auto net = nn::make<model>(nn::init::he_uniform{}, 4);
  const auto data = calibration<nn::shape<6>>(200, 1);
  const auto q = nn::quantize(net, data);

  alignas(64) std::uint8_t x[512], a[512], b[512], c[512], f[512], g[512];
  for (std::size_t s = 0; s < 20; ++s) {
    q.input_range().codes<6>(data.input(s), x);
    q.stage<0>().run(x, a, nullptr);

    const auto& residual = q.stage<1>();
    static_assert(std::remove_cvref_t<decltype(residual)>::clamp, "the relu after the block clamps it");
    const std::uint8_t* inner = std::get<1>(residual.chains).run(a, f, g, nullptr);
    residual.run(a, b, nullptr);
    const auto added = merge_by_hand(residual, {a, inner}, {8}, false);
    for (std::size_t i = 0; i < 8; ++i) {
      BOOST_TEST_REQUIRE(int(b[i]) == added[i], "sample " << s << ", output " << i);
      BOOST_TEST_REQUIRE(int(b[i]) >= residual.out_zero);
    }

    const auto& concat = q.stage<2>();
    const std::uint8_t* first = std::get<0>(concat.chains).run(b, f, g, nullptr);
    concat.run(b, c, nullptr);
    const auto joined = merge_by_hand(concat, {first, b}, {4, 8}, true);
    for (std::size_t i = 0; i < 12; ++i) BOOST_TEST_REQUIRE(int(c[i]) == joined[i], "sample " << s << ", output " << i);
  }
  // the identity branch of the concat keeps its codes when the block's range is the same: at
  // least its multiplier is near 2^16 s_b / s, positive
  BOOST_TEST(q.stage<2>().multiplier[1] > 0);
}

BOOST_AUTO_TEST_CASE(a_block_last_gives_floats) {
  using model = nn::network<nn::input<nn::shape<5>>, nn::dense<6>,
                            nn::parallel<nn::add, nn::branch<nn::dense<3>>, nn::branch<nn::dense<3>, nn::relu>>>;
  const auto net = nn::make<model>(nn::init::he_uniform{}, 2);
  const auto data = calibration<nn::shape<5>>(300, 3);
  const auto q = nn::quantize(net, data);
  const auto& block = q.stage<1>();
  static_assert(std::remove_cvref_t<decltype(block)>::last);
  alignas(64) std::uint8_t x[512], a[512], f[2][2][512];
  for (std::size_t s = 0; s < 10; ++s) {
    q.input_range().codes<5>(data.input(s), x);
    q.stage<0>().run(x, a, nullptr);
    float y[3];
    block.run(a, nullptr, y);
    const std::uint8_t* p = std::get<0>(block.chains).run(a, f[0][0], f[0][1], nullptr);
    const std::uint8_t* r = std::get<1>(block.chains).run(a, f[1][0], f[1][1], nullptr);
    const float unit = static_cast<float>(block.reference_scale / 65536);
    for (std::size_t i = 0; i < 3; ++i) {
      const std::int64_t v = std::int64_t{block.multiplier[0]} * (p[i] - block.zero[0]) +
                             std::int64_t{block.multiplier[1]} * (r[i] - block.zero[1]);
      BOOST_TEST_REQUIRE(y[i] == static_cast<float>(v) * unit);
    }
    const auto full = q(data.input_tensor(s));
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(full[i] == y[i]);
  }
  BOOST_TEST(relative_error(net, q, data) < 0.06);
}

BOOST_AUTO_TEST_CASE(networks_of_blocks_follow_their_float_networks) {
  using vec = nn::shape<12>;
  const auto data = calibration<vec>(400, 7);
  const auto check = [&]<class Model>(std::type_identity<Model>, const char* name) {
    static_assert(nn::has_int8_form<Model>);
    const auto net = nn::make<Model>(nn::init::he_uniform{}, 11);
    const auto q = nn::quantize(net, data);
    const double e = relative_error(net, q, data);
    BOOST_TEST_MESSAGE(name << ": " << e);
    BOOST_TEST(e < 0.08, name << ": mean error " << e << " of the mean output");
  };
  using in = nn::input<vec>;
  check(std::type_identity<nn::network<in, nn::dense<16>, nn::relu,
                                       nn::residual<nn::dense<32>, nn::relu, nn::dense<16>>, nn::relu, nn::dense<4>>>{},
        "residual");
  check(
      std::type_identity<
          nn::network<in, nn::dense<16>, nn::relu, nn::residual<nn::project, nn::dense<8>>, nn::relu, nn::dense<4>>>{},
      "residual<project>");
  check(std::type_identity<nn::network<
            in, nn::parallel<nn::concat, nn::branch<nn::dense<8>, nn::relu>, nn::branch<>, nn::branch<nn::dense<4>>>,
            nn::dense<4>>>{},
        "concat with the input itself");
  check(std::type_identity<nn::network<
            in, nn::dense<16>, nn::relu,
            nn::parallel<nn::add, nn::branch<nn::residual<nn::dense<16>>, nn::relu>, nn::branch<nn::dense<16>>>,
            nn::relu, nn::residual<nn::dense<16>>>>{},
        "nested, a block last");
  using map = nn::shape<2, 8, 8>;
  const auto maps = calibration<map>(200, 9);
  using cnn = nn::network<nn::input<map>, nn::conv2d<4, nn::kernel<3>, nn::padding<1>>, nn::relu,
                          nn::residual<nn::conv2d<4, nn::kernel<3>, nn::padding<1>>>, nn::relu,
                          nn::residual<nn::project, nn::conv2d<6, nn::kernel<3>, nn::stride<2>, nn::padding<1>>>,
                          nn::max_pool2d<nn::window<2>>, nn::flatten, nn::dense<3>>;
  static_assert(nn::has_int8_form<cnn>);
  const auto net = nn::make<cnn>(nn::init::he_uniform{}, 5);
  const auto q = nn::quantize(net, maps);
  BOOST_TEST(relative_error(net, q, maps) < 0.08);
}

BOOST_AUTO_TEST_CASE(a_residual_and_inception_cnn_with_a_global_average) {
  // bench/README.md's graph_cnn, smaller: a residual block, an Inception module (a max pool with
  // padding in one branch), a global average pool
  using map = nn::shape<3, 12, 12>;
  using model = nn::network<
      nn::input<map>, nn::conv2d<8, nn::kernel<3>, nn::padding<1>>, nn::relu,
      nn::residual<nn::conv2d<8, nn::kernel<3>, nn::padding<1>>, nn::relu,
                   nn::conv2d<8, nn::kernel<3>, nn::padding<1>>>,
      nn::relu, nn::max_pool2d<nn::window<2>>,
      nn::parallel<
          nn::concat, nn::branch<nn::conv2d<4, nn::kernel<1>>>,
          nn::branch<nn::conv2d<4, nn::kernel<1>>, nn::relu, nn::conv2d<4, nn::kernel<3>, nn::padding<1>>>,
          nn::branch<nn::max_pool2d<nn::window<3>, nn::stride<1>, nn::padding<1>>, nn::conv2d<4, nn::kernel<1>>>>,
      nn::relu, nn::global_avg_pool, nn::dense<5>>;
  static_assert(nn::has_int8_form<model>);
  const auto net = nn::make<model>(nn::init::he_uniform{}, 21);
  const auto maps = calibration<map>(100, 8);
  const auto q = nn::quantize(net, maps);
  const double e = relative_error(net, q, maps);
  BOOST_TEST_MESSAGE("graph cnn: " << e);
  BOOST_TEST(e < 0.08);

  // the global average by hand: the codes before it, their sum per channel, one multiply
  const auto& pool = q.stage<std::tuple_size_v<nn::quantized<model>::ops_type> - 2>();
  using P = std::remove_cvref_t<decltype(pool)>;
  static_assert(P::in_codes == 12 * 6 * 6 && P::out_codes == 12 && !P::last);
  alignas(64) std::uint8_t codes[512], out[64];
  for (std::size_t i = 0; i < P::in_codes; ++i) codes[i] = static_cast<std::uint8_t>((i * 37 + 11) % 128);
  pool.run(codes, out, nullptr);
  for (std::size_t c = 0; c < 12; ++c) {
    std::int32_t sum = 0;
    for (std::size_t i = 0; i < 36; ++i) sum += codes[c * 36 + i];
    const int rounded = static_cast<int>(std::nearbyint(static_cast<float>(sum - 36 * pool.in_zero) * pool.multiplier));
    BOOST_TEST(int(out[c]) == std::clamp(pool.out_zero + rounded, P::clamp ? pool.out_zero : 0, 127));
  }
}

BOOST_AUTO_TEST_CASE(blocks_are_saved_loaded_and_predicted_like_layers) {
  using model =
      nn::network<nn::input<nn::shape<10>>, nn::dense<16>, nn::relu,
                  nn::residual<nn::dense<16>, nn::relu, nn::dense<16>>, nn::relu,
                  nn::parallel<nn::concat, nn::branch<nn::dense<5>>, nn::branch<nn::dense<3>, nn::relu>>, nn::dense<2>>;
  const auto net = nn::make<model>(nn::init::he_uniform{}, 8);
  const auto data = calibration<nn::shape<10>>(50, 5);
  const auto q = nn::quantize(net, data);

  std::vector<float> batch(50 * 2);
  q.predict(data.input(0), batch.data(), 50); // 6 tiles and 2 single samples
  for (std::size_t i = 0; i < 50; ++i) {
    const auto y = q(data.input_tensor(i));
    for (std::size_t o = 0; o < 2; ++o) BOOST_TEST_REQUIRE(batch[i * 2 + o] == y[o], "sample " << i);
  }

  const auto dir = std::filesystem::temp_directory_path() / ("ctnn-quantize-blocks-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "q.ctnn").string();
  nn::save(q, path);
  auto other = nn::quantize(net, data, {.percentile = 90});
  BOOST_TEST((other.export_parameters() != q.export_parameters()));
  nn::load(other, path);
  BOOST_TEST((other.export_parameters() == q.export_parameters()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto a = q(data.input_tensor(i)), b = other(data.input_tensor(i));
    for (std::size_t o = 0; o < 2; ++o) BOOST_TEST_REQUIRE(a[o] == b[o]);
  }
  std::filesystem::remove_all(dir);

  // a merge's zero point out of range (the residual block's: after stage 0's and the block's
  // inner stages' values, two multipliers, then two zero points): refused, the network unchanged
  auto values = q.export_parameters();
  const std::size_t block_at = 2 + std::tuple_element_t<0, nn::quantized<model>::ops_type>::value_count;
  using residual = std::tuple_element_t<1, nn::quantized<model>::ops_type>;
  const std::size_t zero_at = block_at + residual::value_count - 4;
  BOOST_TEST(values[zero_at] >= 0);
  values[zero_at] = 200;
  auto bad = q;
  try {
    bad.import_parameters(values);
    BOOST_FAIL("a zero point of 200 was taken");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("zero point") != std::string::npos, e.what());
  }
  BOOST_TEST((bad.export_parameters() == q.export_parameters()));
}

BOOST_AUTO_TEST_CASE(quantization_aware_training_reaches_the_weights_inside_blocks) {
  using model = nn::network<nn::input<nn::shape<6>>, nn::residual<nn::project, nn::dense<5>, nn::relu, nn::dense<4>>,
                            nn::relu, nn::parallel<nn::add, nn::branch<nn::dense<3>>, nn::branch<nn::dense<3>>>>;
  auto net = nn::make<model>(nn::init::he_uniform{}, 3);
  // whether every weight of a dense view lies on its channel's grid: w = k max|w| / 127
  const auto on_grid = [](auto view, std::size_t outs, std::size_t ins) {
    for (std::size_t o = 0; o < outs; ++o) {
      double m = 0;
      for (std::size_t i = 0; i < ins; ++i) m = std::max(m, std::abs(double(view.weight(o, i))));
      for (std::size_t i = 0; i < ins; ++i) {
        const double k = double(view.weight(o, i)) / (m / 127);
        if (std::abs(k - std::nearbyint(k)) > 1e-3) return false;
      }
    }
    return true;
  };
  const auto all = [&] {
    auto r = net.layer<1>();
    auto p = net.layer<3>();
    return std::array<bool, 5>{on_grid(r.layer<0>(), 5, 6), on_grid(r.layer<2>(), 4, 5), on_grid(r.projection(), 4, 6),
                               on_grid(p.branch<0>().layer<0>(), 3, 4), on_grid(p.branch<1>().layer<0>(), 3, 4)};
  };
  for (bool b : all()) BOOST_TEST(!b, "he_uniform's weights are not on the grid");
  nn::detail::fake_quantize_weights(net);
  const auto after = all();
  for (std::size_t k = 0; k < after.size(); ++k) BOOST_TEST(after[k], "weight set " << k << " after fake-quantizing");
}

BOOST_AUTO_TEST_CASE(the_trainer_steps_on_the_fake_quantized_weights_inside_blocks) {
  using model = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu, nn::residual<nn::dense<8>, nn::relu>,
                            nn::parallel<nn::concat, nn::branch<nn::dense<2>>, nn::branch<nn::dense<1>>>>;
  auto net = nn::make<model>(nn::init::he_uniform{}, 12);
  std::mt19937 gen(4);
  std::normal_distribution<float> d;
  nn::dataset<float, nn::shape<6>, nn::shape<3>> data;
  for (int i = 0; i < 32; ++i) {
    nn::tensor<float, nn::shape<6>> x;
    for (auto& v : x) v = d(gen);
    data.push_back(x, nn::tensor<float, nn::shape<3>>{d(gen), d(gen), d(gen)});
  }
  // the loss of the network with every weight, inside the blocks too, fake-quantized
  auto fake = net;
  nn::detail::fake_quantize_weights(fake);
  const auto loss_of = [&](const auto& n) {
    double l = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const auto y = n(data.input_tensor(i));
      for (std::size_t o = 0; o < 3; ++o) l += std::pow(double(y[o]) - data.target(i)[o], 2);
    }
    return l / double(data.size() * 3);
  };
  const double expected = loss_of(fake), unquantized = loss_of(net);
  BOOST_TEST(std::abs(unquantized - expected) > 1e-4 * expected, "far enough apart to tell");
  const auto before = net.export_parameters();
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.0f}};
  const auto report = fit.train(data, {.epochs = 1, .batch = data.size(), .quantization_aware = true, .log = nullptr});
  BOOST_TEST(report.history.at(0).train.loss == expected, boost::test_tools::tolerance(1e-5));
  BOOST_TEST((net.export_parameters() == before), "the float weights came back after the step");
}

BOOST_AUTO_TEST_CASE(blocks_without_an_integer_form_are_refused) {
  using in = nn::input<nn::shape<4>>;
  static_assert(nn::has_int8_form<nn::network<in, nn::residual<nn::dense<4>, nn::relu>>>);
  static_assert(!nn::has_int8_form<nn::network<in, nn::residual<nn::dense<4>, nn::tanh>>>);
  static_assert(
      !nn::has_int8_form<nn::network<in, nn::parallel<nn::multiply, nn::branch<nn::dense<4>>, nn::branch<>>>>);
  static_assert(!nn::has_int8_form<nn::network<in, nn::heads<nn::branch<nn::dense<2>>, nn::branch<nn::dense<1>>>>>);
  // a relu first in a branch clamps nothing before it: no form
  static_assert(!nn::has_int8_form<nn::network<in, nn::parallel<nn::add, nn::branch<nn::relu>, nn::branch<>>>>);
  // bf16: blocks of dense layers; a conv projection has no bf16 form
  static_assert(nn::has_bf16_form<nn::network<in, nn::residual<nn::dense<4>>>>);
  static_assert(!nn::has_bf16_form<nn::network<in, nn::residual<nn::dense<4>, nn::tanh>>>);
  using map = nn::input<nn::shape<2, 4, 4>>;
  static_assert(nn::has_int8_form<
                nn::network<map, nn::residual<nn::project, nn::conv2d<3, nn::kernel<1>>>, nn::flatten, nn::dense<1>>>);
  static_assert(!nn::has_bf16_form<
                nn::network<map, nn::residual<nn::project, nn::conv2d<3, nn::kernel<1>>>, nn::flatten, nn::dense<1>>>);
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(bf16_goes_through_blocks_too) {
  using model = nn::network<nn::input<nn::shape<12>>, nn::dense<16>, nn::relu,
                            nn::residual<nn::project, nn::dense<24>, nn::relu, nn::dense<8>>, nn::relu,
                            nn::parallel<nn::concat, nn::branch<nn::dense<5>, nn::relu>, nn::branch<>,
                                         nn::branch<nn::residual<nn::dense<8>>>>,
                            nn::parallel<nn::add, nn::branch<nn::dense<3>>, nn::branch<nn::dense<3>, nn::relu>>>;
  static_assert(nn::has_bf16_form<model> && nn::bf16_network<model>::stage_count == 4);
  const auto net = nn::make<model>(nn::init::he_uniform{}, 6);
  const auto data = calibration<nn::shape<12>>(50, 2);
  const auto b = nn::to_bf16(net);
  const double e = relative_error(net, b, data);
  BOOST_TEST(e < 0.02, "bf16 keeps 8 bits of mantissa: " << e);
  BOOST_TEST(e > 0.0, "and rounds");

  // the merge by hand on the last block: its branches' bf16 outputs, added in float
  const auto& last = b.layer<3>();
  alignas(64) std::uint16_t codes[64]{}, mine[2][64]{};
  std::vector<float> batch(50 * 3);
  b.predict(data.input(0), batch.data(), 50);
  for (std::size_t s = 0; s < 50; ++s) {
    // the first three stages, as the network runs them
    nn::kernels::round_to_bf16<12>(data.input(s), codes);
    b.layer<0>().run(codes, nullptr);
    b.layer<1>().run(codes, nullptr);
    b.layer<2>().run(codes, nullptr);
    float y[3];
    last.run(codes, y);
    for (std::size_t k = 0; k < 2; ++k) {
      std::copy_n(codes, 64, mine[k]);
      std::fill(mine[k] + 21, mine[k] + 64, std::uint16_t{0});
    }
    std::get<0>(last.chains).run(mine[0], nullptr);
    std::get<1>(last.chains).run(mine[1], nullptr);
    const auto z = b(data.input_tensor(s));
    for (std::size_t i = 0; i < 3; ++i) {
      const float sum = nn::kernels::bf16_to_float(mine[0][i]) + nn::kernels::bf16_to_float(mine[1][i]);
      BOOST_TEST_REQUIRE(y[i] == sum);
      BOOST_TEST_REQUIRE(z[i] == sum);
      BOOST_TEST_REQUIRE(batch[s * 3 + i] == sum, "predict, sample " << s);
    }
  }
}
