// net<Model>: whole-network forward against an independent double reference; batched against
// single-sample; fused against unfused stages; parameter views, import/export, seeding.
#define BOOST_TEST_MODULE network
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace nn = ctnn;
using nn::test::random_values;
using nn::test::scaled_error;

namespace {

// Every activation, fused and standalone (tanh follows sigmoid, so it gets its own stage).
using all_kinds = nn::network<nn::input<nn::shape<5>>, nn::dense<7>, nn::gelu, nn::dense<9>, nn::leaky_relu,
                              nn::dense<6>, nn::sigmoid, nn::tanh, nn::dense<4>, nn::softmax>;

/// The same network written out in double from PyTorch-layout parameters with std:: math.
std::vector<double> reference_all_kinds(const std::vector<double>& p, std::vector<double> x) {
  std::size_t at = 0;
  auto linear = [&](std::size_t in, std::size_t out) {
    std::vector<double> y(out);
    for (std::size_t o = 0; o < out; ++o) {
      double s = p[at + in * out + o];
      for (std::size_t i = 0; i < in; ++i) s += p[at + o * in + i] * x[i];
      y[o] = s;
    }
    at += in * out + out;
    x = y;
  };
  linear(5, 7);
  for (auto& v : x) v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
  linear(7, 9);
  for (auto& v : x) v = v > 0 ? v : 0.01 * v;
  linear(9, 6);
  for (auto& v : x) v = std::tanh(1 / (1 + std::exp(-v)));
  linear(6, 4);
  double m = x[0], s = 0;
  for (double v : x) m = std::max(m, v);
  for (auto& v : x) s += (v = std::exp(v - m));
  for (auto& v : x) v /= s;
  return x;
}

} // namespace

BOOST_AUTO_TEST_CASE(forward_matches_an_independent_reference) {
  auto net = nn::make<all_kinds, double>(nn::init::pytorch_default{}, 3);
  const auto params = net.export_parameters();
  for (std::uint64_t trial = 0; trial < 5; ++trial) {
    const auto xv = random_values<double>(5, trial, -2, 2);
    nn::tensor<double, nn::shape<5>> x;
    std::copy(xv.begin(), xv.end(), x.begin());
    const auto y = net(x);
    BOOST_TEST(scaled_error(y, reference_all_kinds(params, xv)) <= 1e-12);
  }
  // and in float, within float rounding
  auto netf = nn::make<all_kinds, float>(nn::init::pytorch_default{}, 3);
  const auto pf = netf.export_parameters();
  const std::vector<double> pd(pf.begin(), pf.end());
  const auto xv = random_values<float>(5, 11, -2, 2);
  nn::tensor<float, nn::shape<5>> x;
  std::copy(xv.begin(), xv.end(), x.begin());
  BOOST_TEST(scaled_error(netf(x), reference_all_kinds(pd, std::vector<double>(xv.begin(), xv.end()))) <= 1e-5);
}

BOOST_AUTO_TEST_CASE(batched_forward_equals_single_sample) {
  auto net = nn::make<all_kinds>(nn::init::glorot_uniform{}, 9);
  constexpr std::size_t n = 13;
  auto ws = net.make_workspace(n);
  const auto x = random_values<float>(n * 5, 5);
  std::vector<float> y(n * 4);
  net.predict(ws, x.data(), y.data(), n);
  for (std::size_t r = 0; r < n; ++r) {
    nn::tensor<float, nn::shape<5>> xr;
    std::copy_n(x.data() + r * 5, 5, xr.data());
    BOOST_TEST(scaled_error(std::span(y).subspan(r * 4, 4), net(xr)) <= 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(fused_and_unfused_stages_agree_forward_and_backward) {
  // relu fused into dense<8>, versus relu as its own stage after an identity-fused dense<8>
  using fused = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu, nn::dense<3>>;
  using unfused = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::identity, nn::relu, nn::dense<3>>;
  static_assert(fused::stage_count == 2 && unfused::stage_count == 3);
  auto a = nn::make<fused, double>(nn::init::he_uniform{}, 4);
  nn::net<unfused, double> b;
  b.import_parameters(a.export_parameters());

  constexpr std::size_t n = 5;
  auto wa = a.make_workspace(n);
  auto wb = b.make_workspace(n);
  const auto x = random_values<double>(n * 6, 8);
  const double* ya = a.forward_train(wa, x.data(), n);
  const double* yb = b.forward_train(wb, x.data(), n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < 3; ++k) BOOST_TEST(ya[r * a.output_stride + k] == yb[r * b.output_stride + k]);

  const auto dy = random_values<double>(n * 3, 12);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < a.output_stride; ++k) {
      wa.output_gradient()[r * a.output_stride + k] = k < 3 ? dy[r * 3 + k] : 0.0;
      wb.output_gradient()[r * b.output_stride + k] = k < 3 ? dy[r * 3 + k] : 0.0;
    }
  nn::aligned_buffer<double> ga(a.param_size), gb(b.param_size); // gradients must be aligned
  a.backward(wa, x.data(), n, ga.data());
  b.backward(wb, x.data(), n, gb.data());
  // same layout (the standalone relu has no parameters), so compare directly
  BOOST_TEST(ga.size() == gb.size());
  BOOST_TEST(scaled_error(ga, gb) <= 1e-14);
}

BOOST_AUTO_TEST_CASE(layer_views_and_pytorch_layout_import_export) {
  using model = nn::network<nn::input<nn::shape<3>>, nn::dense<2>, nn::relu, nn::dense<1>>;
  nn::net<model> net;
  // PyTorch order: W1 [2][3], b1 [2], W2 [1][2], b2 [1]
  const std::vector<float> p{1, 2, 3, 4, 5, 6, 0.5f, -0.5f, 2, -1, 0.25f};
  net.import_parameters(p);
  BOOST_TEST(net.layer<1>().weight(1, 0) == 4.0f);
  BOOST_TEST(net.layer<1>().bias(1) == -0.5f);
  BOOST_TEST(net.layer<3>().weight(0, 1) == -1.0f);
  BOOST_TEST(net.export_parameters() == p, boost::test_tools::per_element());
  // y = W2 relu(W1 x + b1) + b2 for x = (1, 0, -1): W1 x = (-2, -2), + b1 = (-1.5, -2.5) -> relu 0
  const auto y = net(nn::tensor<float, nn::shape<3>>{1, 0, -1});
  BOOST_TEST(y[0] == 0.25f);
  const auto y2 = net(nn::tensor<float, nn::shape<3>>{1, 1, 1}); // (6.5, 14.5) -> 13 - 14.5 + .25
  BOOST_TEST(y2[0] == -1.25f);

  const std::vector<float> wrong(5);
  BOOST_CHECK_THROW(net.import_parameters(wrong), std::invalid_argument);
  BOOST_TEST(net.export_parameters() == p, boost::test_tools::per_element()); // unchanged
}

BOOST_AUTO_TEST_CASE(seeds_reproduce_and_padding_stays_zero) {
  using model = nn::network<nn::input<nn::shape<4>>, nn::dense<3>, nn::tanh, nn::dense<2>>;
  const auto a = nn::make<model>(nn::init::pytorch_default{}, 42);
  const auto b = nn::make<model>(nn::init::pytorch_default{}, 42);
  const auto c = nn::make<model>(nn::init::pytorch_default{}, 43);
  BOOST_TEST(a.export_parameters() == b.export_parameters(), boost::test_tools::per_element());
  BOOST_TEST(a.export_parameters() != c.export_parameters());
  // PyTorch's default bound for fan_in 4 is 1/2
  for (float v : a.export_parameters()) BOOST_TEST(std::abs(v) <= 0.5f);
  // stored values other than the logical parameters are all zero
  std::size_t nonzero = 0;
  for (float v : a.parameters()) nonzero += v != 0.0f;
  BOOST_TEST(nonzero <= a.param_count);
}

BOOST_AUTO_TEST_CASE(flatten_reads_an_image_row_major) {
  using model = nn::network<nn::input<nn::shape<2, 2, 2>>, nn::flatten, nn::dense<1>>;
  nn::net<model> net;
  net.import_parameters(std::vector<float>{1, 10, 100, 1000, 1e4f, 1e5f, 1e6f, 1e7f, 0});
  nn::tensor<float, nn::shape<2, 2, 2>> x{};
  x(1, 0, 1) = 1; // flat index 5
  BOOST_TEST(net(x)[0] == 1e5f);
}

BOOST_AUTO_TEST_CASE(fingerprint_names_layers_shapes_and_scalar_type) {
  using model = nn::network<nn::input<nn::shape<4>>, nn::dense<3>, nn::leaky_relu>;
  const auto fp = nn::net<model, double>::fingerprint();
  BOOST_TEST(fp.size() == 4u);
  BOOST_TEST(fp[0] == "scalar float64");
  BOOST_TEST(fp[2] == "1 dense<3> -> shape<3>");
  BOOST_TEST(fp[3] == "2 leaky_relu_slope<1, 100> -> shape<3>");
}

// Two cores share a training step (trainer::set_threads(2)): between them they update every
// stored parameter exactly once, each range starting on a register, and the wide stage
// (dense<40>: three registers of float) is split by weight panels, the narrow ones by halves.
BOOST_AUTO_TEST_CASE(two_cores_update_every_parameter_exactly_once) {
  using model = nn::network<nn::input<nn::shape<6>>, nn::dense<40>, nn::relu, nn::sigmoid, nn::dense<3>>;
  using net = nn::net<model>;
  std::vector<int> updates(net::param_size, 0);
  std::size_t summed = 0;
  for (unsigned core : {0u, 1u})
    nn::detail::two_core_passes<model, float>::for_each_update_range(core, [&](std::size_t b, std::size_t e, bool sum) {
      BOOST_TEST(b % nn::kernels::lanes<float> == 0u);
      for (std::size_t i = b; i < e; ++i) ++updates[i];
      summed += sum ? e - b : 0;
    });
  BOOST_TEST(std::count(updates.begin(), updates.end(), 1) == std::ptrdiff_t(net::param_size));
  constexpr std::size_t narrow = nn::kernels::dense_layout<float, 40, 3>::size; // dense<3>'s slice
  BOOST_TEST(summed == narrow);
}

namespace {
/// Runs a NaN through Act fused into a dense layer (identity weights) and as a standalone stage,
/// on the single-sample and the batched paths: the output at the NaN's position must be NaN.
template <class T, class Act>
void check_nan_propagates() {
  constexpr std::size_t n = 19; // whole registers and a tail, for float and double
  using fused = nn::network<nn::input<nn::shape<n>>, nn::dense<n>, Act>;
  using standalone = nn::network<nn::input<nn::shape<n>>, Act>;
  nn::net<fused, T> a;
  const auto v = a.template layer<1>();
  for (std::size_t i = 0; i < n; ++i) v.weight(i, i) = T(1);
  nn::net<standalone, T> b;
  auto ws_a = a.make_workspace(3);
  auto ws_b = b.make_workspace(3);
  for (std::size_t at : {std::size_t{0}, std::size_t{9}, n - 1}) {
    typename nn::net<fused, T>::input_type x;
    for (std::size_t i = 0; i < n; ++i) x[i] = T(0.25) * T(i % 5) - T(0.5);
    x[at] = std::numeric_limits<T>::quiet_NaN();
    std::vector<T> rows(3 * n);
    for (std::size_t r = 0; r < 3; ++r) std::copy_n(x.data(), n, rows.data() + r * n);
    const T* ya = a.forward_batch(ws_a, rows.data(), 3);
    const T* yb = b.forward_batch(ws_b, rows.data(), 3);
    BOOST_TEST_CONTEXT(Act::name() << " NaN at " << at << (sizeof(T) == 4 ? " float" : " double")) {
      BOOST_TEST(std::isnan(a(x)[at]));
      BOOST_TEST(std::isnan(b(x)[at]));
      for (std::size_t r = 0; r < 3; ++r) {
        BOOST_TEST(std::isnan(ya[r * a.output_stride + at]));
        BOOST_TEST(std::isnan(yb[r * b.output_stride + at]));
      }
    }
  }
}
template <class T>
void check_nan_propagates_through_every_activation() {
  check_nan_propagates<T, nn::identity>();
  check_nan_propagates<T, nn::relu>();
  check_nan_propagates<T, nn::leaky_relu>();
  check_nan_propagates<T, nn::sigmoid>();
  check_nan_propagates<T, nn::tanh>();
  check_nan_propagates<T, nn::softmax>();
  check_nan_propagates<T, nn::gelu>();
  check_nan_propagates<T, nn::silu>();
  check_nan_propagates<T, nn::elu>();
  check_nan_propagates<T, nn::relu6>();
  check_nan_propagates<T, nn::hardswish>();
  check_nan_propagates<T, nn::hardsigmoid>();
}
} // namespace

// As PyTorch: a corrupt (NaN) input must not turn into a finite prediction (relu once mapped
// NaN to 0).
BOOST_AUTO_TEST_CASE(every_activation_propagates_nan_on_both_paths) {
  check_nan_propagates_through_every_activation<float>();
  check_nan_propagates_through_every_activation<double>();
}

BOOST_AUTO_TEST_CASE(summary_lists_every_layer_with_totals) {
  using model =
      nn::network<nn::input<nn::shape<1, 8, 8>>, nn::conv2d<4, nn::kernel<3, 3>>, nn::relu, nn::flatten, nn::dense<10>>;
  const std::string s = nn::summary<model>();
  BOOST_TEST_MESSAGE(s);
  BOOST_TEST(s.find("conv2d<4, kernel<3, 3>>  shape<4, 6, 6>") != std::string::npos, s);
  BOOST_TEST(s.find("1,440") != std::string::npos, s); // dense<10> on 144 inputs: 1,450 parameters, 1,440 MACs
  BOOST_TEST(s.find("1,450") != std::string::npos, s);
  BOOST_TEST(s.find("total") != std::string::npos, s);
  BOOST_TEST(s.find("1,490") != std::string::npos, s); // 40 + 1450
  BOOST_TEST(model::param_count == 1490u);
  BOOST_TEST(std::count(s.begin(), s.end(), '\n') == 5 + 4); // header, rule, 5 layers, rule, total
}

BOOST_AUTO_TEST_CASE(summary_indents_the_layers_of_blocks_and_branches) {
  using model = nn::network<nn::input<nn::shape<2, 6, 6>>,
                            nn::parallel<nn::concat, nn::branch<nn::conv2d<3, nn::kernel<1>>, nn::relu>,
                                         nn::branch<nn::conv2d<2, nn::kernel<3>, nn::same>,
                                                    nn::residual<nn::conv2d<2, nn::kernel<3>, nn::same>>>,
                                         nn::branch<>>,
                            nn::relu, nn::global_avg_pool, nn::dense<4>>;
  const std::string s = nn::summary<model>();
  BOOST_TEST_MESSAGE(s);
  const auto row = [&](const std::string& id) { // the line whose first column is id
    for (std::size_t at = 0, end; (end = s.find('\n', at)) != std::string::npos; at = end + 1)
      if (s.compare(at, id.size() + 1, id + " ") == 0) return s.substr(at, end - at);
    return std::string();
  };
  const auto has = [](const std::string& line, const std::string& part) {
    return line.find(part) != std::string::npos;
  };
  // each row: its label, indented two columns per level of nesting, and its output shape
  const auto column = [&](const std::string& id, const std::string& label) { return row(id).find(label); };
  const std::size_t top = column("1", "parallel<concat>");
  BOOST_TEST(top != std::string::npos, s);
  BOOST_TEST(column("1.b0", "branch 0") == top + 2, s);
  BOOST_TEST(column("1.b0.0", "conv2d<3, kernel<1, 1>>") == top + 4, s);
  BOOST_TEST(column("1.b1.1", "residual") == top + 4, s);
  BOOST_TEST(column("1.b1.1.0", "conv2d<2, kernel<3, 3>, same>") == top + 6, s);
  BOOST_TEST(column("1.b2", "branch 2 (the block's input)") == top + 2, s);
  BOOST_TEST(column("2", "relu") == top, s);
  BOOST_TEST(has(row("1"), "shape<7, 6, 6>"), s);
  BOOST_TEST(has(row("1.b0"), "shape<3, 6, 6>"), s);
  // a branch's row: its parameters, multiply-adds and activation bytes (conv + relu: 2 x 108 floats)
  BOOST_TEST(has(row("1.b0"), "864"), s);
  BOOST_TEST(has(row("1.b2"), "shape<2, 6, 6>"), s);
  // the block's row carries the totals of its branches: 9 + 38 + 38 parameters
  BOOST_TEST(has(row("1"), " 85 "), s);
  for (std::size_t at = 0, end; (end = s.find('\n', at)) != std::string::npos; at = end + 1)
    BOOST_TEST(end - at <= 100u, s.substr(at, end - at)); // no 160-character rows
}

BOOST_AUTO_TEST_CASE(a_network_is_made_from_pytorch_layout_parameters) {
  using model = nn::network<nn::input<nn::shape<3>>, nn::dense<2>, nn::tanh, nn::dense<1>>;
  const std::vector<float> values = {0.1f, -0.2f, 0.3f, 0.4f, 0.5f, -0.6f, 0.01f, 0.02f, 0.7f, -0.8f, 0.05f};
  const nn::net<model> n(values);
  BOOST_TEST(n.export_parameters() == values);
  const auto y = n(nn::tensor<float, nn::shape<3>>{1.f, 2.f, 3.f});
  const double h0 = std::tanh(0.1 - 0.4 + 0.9 + 0.01), h1 = std::tanh(0.4 + 1.0 - 1.8 + 0.02);
  BOOST_TEST(std::abs(y[0] - (0.7 * h0 - 0.8 * h1 + 0.05)) < 1e-6);
  BOOST_CHECK_THROW(nn::net<model>(std::vector<float>(10)), std::invalid_argument);
}
