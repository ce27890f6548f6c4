// SIMD kernels against their scalar reference twins, on sizes that are not multiples of the
// lane width, on the single-sample and batched paths, for float and double.
#define BOOST_TEST_MODULE kernels
#include <boost/test/unit_test.hpp>

#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/dense.hpp>
#include <ctnn/layers/dense.hpp>

#include "../support/support.hpp"

#include <boost/mpl/list.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using namespace ctnn;
namespace k = ctnn::kernels;

namespace {

using scalars = boost::mpl::list<float, double>;

/// A dense layer's stored parameters with random weights and bias and zero padding.
template <class T, std::size_t In, std::size_t Out>
std::vector<T, xsimd::aligned_allocator<T, 64>> random_params(std::uint64_t seed) {
  using layout = k::dense_layout<T, In, Out>;
  std::vector<T, xsimd::aligned_allocator<T, 64>> p(layout::size, T(0));
  const auto r = test::random_values<T>(layout::param_count, seed);
  for (std::size_t o = 0; o < Out; ++o) {
    for (std::size_t i = 0; i < In; ++i) p[layout::index(i, o)] = r[o * In + i];
    p[layout::weight_size + o] = r[In * Out + o];
  }
  return p;
}

template <class T>
using aligned = std::vector<T, xsimd::aligned_allocator<T, 64>>;

/// Runs forward (single and batched) and the three backward kernels through both the SIMD and
/// the reference implementation and compares every output.
template <class T, class Act, std::size_t In, std::size_t Out>
void check_dense() {
  using layout = k::dense_layout<T, In, Out>;
  constexpr std::size_t P = layout::padded_out;
  const auto params = random_params<T, In, Out>(In * 100 + Out);
  const double tol = test::reassociation_tolerance<T>;

  // single sample
  const auto x1 = test::random_values<T>(In, 7);
  aligned<T> z_simd(P), y_simd(P), z_ref(P), y_ref(P);
  k::dense_forward<Act, In, Out>(params.data(), x1.data(), z_simd.data(), y_simd.data());
  k::reference::dense_forward<Act, In, Out>(params.data(), x1.data(), z_ref.data(), y_ref.data());
  BOOST_TEST(test::scaled_error(std::span(y_simd).first(Out), std::span(y_ref).first(Out)) <= tol);
  BOOST_TEST(test::scaled_error(std::span(z_simd).first(Out), std::span(z_ref).first(Out)) <= tol);

  for (std::size_t n : {1, 3, 5, 8}) {
    const std::size_t ldx = In + 2; // a row stride wider than the row, as for padded activations
    const auto x = test::random_values<T>(n * ldx, n);
    aligned<T> zs(n * P), ys(n * P), zr(n * P), yr(n * P);
    k::dense_forward_batch<Act, In, Out>(params.data(), x.data(), ldx, zs.data(), ys.data(), n);
    k::reference::dense_forward_batch<Act, In, Out>(params.data(), x.data(), ldx, zr.data(), yr.data(), n);
    for (std::size_t r = 0; r < n; ++r) {
      BOOST_TEST(test::scaled_error(std::span(ys).subspan(r * P, Out), std::span(yr).subspan(r * P, Out)) <= tol);
      // the batched path agrees with the single-sample path
      aligned<T> y1(P);
      k::dense_forward<Act, In, Out>(params.data(), x.data() + r * ldx, static_cast<T*>(nullptr), y1.data());
      BOOST_TEST(test::scaled_error(std::span(y1).first(Out), std::span(yr).subspan(r * P, Out)) <= tol);
    }

    // backward: the same upstream gradient through both implementations
    aligned<T> dy_s(n * P, T(0)), dy_r(n * P, T(0));
    const auto g = test::random_values<T>(n * Out, 99);
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t o = 0; o < Out; ++o) dy_s[r * P + o] = dy_r[r * P + o] = g[r * Out + o];
    aligned<T> grad_s(layout::size, T(0)), grad_r(layout::size, T(0));
    k::dense_backward_activation<Act, Out>(zr.data(), yr.data(), dy_s.data(), grad_s.data() + layout::weight_size, n);
    k::reference::dense_backward_activation<Act, Out>(zr.data(), yr.data(), dy_r.data(),
                                                      grad_r.data() + layout::weight_size, n);
    BOOST_TEST(test::scaled_error(dy_s, dy_r) <= tol);
    k::dense_backward_params<In, Out>(x.data(), ldx, dy_r.data(), grad_s.data(), n);
    k::reference::dense_backward_params<In, Out>(x.data(), ldx, dy_r.data(), grad_r.data(), n);
    BOOST_TEST(test::scaled_error(grad_s, grad_r) <= tol);
    aligned<T> dx_s(n * ldx, T(-7)), dx_r(n * ldx, T(-7));
    k::dense_backward_input<In, Out>(params.data(), dy_r.data(), dx_s.data(), ldx, n);
    k::reference::dense_backward_input<In, Out>(params.data(), dy_r.data(), dx_r.data(), ldx, n);
    BOOST_TEST(test::scaled_error(dx_s, dx_r) <= tol); // includes the zeroed padding lanes
    // padding of the gradient stays exactly zero (optimizers then keep padded weights at zero)
    for (std::size_t i = 0; i < In; ++i)
      for (std::size_t o = Out; o < P; ++o) BOOST_TEST(grad_s[layout::index(i, o)] == T(0));

    // Two cores' shares (trainer::set_threads(2)): the columns of each weight panel computed
    // apart give the whole result exactly, and overwriting equals adding into zeros.
    if constexpr (Act::elementwise && layout::panels == 2) {
      constexpr std::size_t half = layout::registers / 2;
      aligned<T> yh(n * P, T(-7)), zh(n * P, T(-7));
      k::dense_forward_batch<Act, In, Out>(params.data(), x.data(), ldx, zh.data(), yh.data(), n, {0, half});
      k::dense_forward_batch<Act, In, Out>(params.data(), x.data(), ldx, zh.data(), yh.data(), n,
                                           {half, layout::registers});
      BOOST_TEST(test::scaled_error(yh, ys) == 0.0);
      BOOST_TEST(test::scaled_error(zh, zs) == 0.0);
      aligned<T> grad_h(layout::size, T(-7));
      for (const auto cols : {k::register_range{0, half}, k::register_range{half, layout::registers}})
        k::dense_backward_params<In, Out>(x.data(), ldx, dy_r.data(), grad_h.data(), n, cols, k::store_mode::overwrite);
      aligned<T> grad_0(layout::size, T(0));
      k::dense_backward_params<In, Out>(x.data(), ldx, dy_r.data(), grad_0.data(), n);
      BOOST_TEST(test::scaled_error(std::span(grad_h).first(layout::weight_size),
                                    std::span(grad_0).first(layout::weight_size)) == 0.0);
    }
  }
}

/// The stored weight layout: layout::index maps (input, output) one-to-one onto the weight
/// block, panel by panel, and dense_view (the PyTorch-order accessor) agrees with it.
template <class T, std::size_t In, std::size_t Out>
void check_layout() {
  using layout = k::dense_layout<T, In, Out>;
  std::vector<int> hits(layout::weight_size, 0);
  for (std::size_t i = 0; i < In; ++i)
    for (std::size_t o = 0; o < layout::padded_out; ++o) ++hits[layout::index(i, o)];
  BOOST_TEST(std::count(hits.begin(), hits.end(), 1) == std::ptrdiff_t(layout::weight_size));
  BOOST_TEST(layout::panels == (layout::registers >= 2 ? 2u : 1u));
  // a panel is a contiguous block: the first weight of panel 1 follows the last of panel 0
  if constexpr (layout::panels == 2)
    BOOST_TEST(layout::index(0, layout::panel_begin(1)) == layout::index(In - 1, layout::panel_begin(1) - 1) + 1);
  aligned<T> p(layout::size);
  const dense_view<T> view{p.data(), In, Out, layout::padded_out, layout::panel_begin(1)};
  for (std::size_t i = 0; i < In; ++i)
    for (std::size_t o = 0; o < Out; ++o) BOOST_TEST(&view.weight(o, i) == &p[layout::index(i, o)]);
}

} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(dense_matches_reference_on_odd_sizes, T, scalars) {
  check_dense<T, k::relu_fn, 1, 1>();
  check_dense<T, k::relu_fn, 3, 7>();
  check_dense<T, k::relu_fn, 7, 3>();
  check_dense<T, k::relu_fn, 9, 17>();
  check_dense<T, k::relu_fn, 17, 9>();
  check_dense<T, k::relu_fn, 33, 65>();
  check_dense<T, k::relu_fn, 65, 33>();
}

BOOST_AUTO_TEST_CASE_TEMPLATE(weight_layout_is_one_to_one_in_contiguous_panels, T, scalars) {
  check_layout<T, 5, 1>();   // one register: one panel
  check_layout<T, 5, 17>();  // two registers of float: two equal panels
  check_layout<T, 3, 33>();  // three registers of float: panels of one and two
  check_layout<T, 4, 130>(); // many registers
}

/// kernels::fma rounds once where the instruction set has FMA: (1 + 2^-12)^2 - (1 + 2^-11)
/// is 2^-24 exactly, and 0 if the product were rounded first (which is what xsimd 8.1's
/// AVX-512 fma gave under Clang 14, and what a target without FMA gives).
BOOST_AUTO_TEST_CASE(kernel_fma_is_fused_where_the_target_has_fma) {
  using V = k::simd<float>;
  const float a = 1.0f + std::ldexp(1.0f, -12), c = -(1.0f + std::ldexp(1.0f, -11));
  BOOST_TEST(k::fma(V(a), V(a), V(c)).get(0) == (k::has_fma ? std::ldexp(1.0f, -24) : 0.0f));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(dense_matches_reference_for_every_activation, T, scalars) {
  check_dense<T, k::identity_fn, 9, 17>();
  check_dense<T, k::leaky_relu_fn<1, 100>, 9, 17>();
  check_dense<T, k::sigmoid_fn, 9, 17>();
  check_dense<T, k::tanh_fn, 17, 9>();
  check_dense<T, k::gelu_fn, 17, 9>();
  check_dense<T, k::softmax_fn, 17, 9>();
  check_dense<T, k::sigmoid_fn, 65, 33>();
  check_dense<T, k::gelu_fn, 33, 65>();
}

template <class T, class Act>
void check_activation(std::size_t n) {
  const auto x = test::random_values<T>(n, n, -6, 6);
  const auto dy = test::random_values<T>(n, n + 1);
  std::vector<T> ys(n), yr(n), dxs(n), dxr(n);
  k::activation_forward<Act>(x.data(), ys.data(), n);
  k::reference::activation_forward<Act>(x.data(), yr.data(), n);
  BOOST_TEST(test::scaled_error(ys, yr) <= test::reassociation_tolerance<T>);
  k::activation_backward<Act>(x.data(), yr.data(), dy.data(), dxs.data(), n);
  k::reference::activation_backward<Act>(x.data(), yr.data(), dy.data(), dxr.data(), n);
  BOOST_TEST(test::scaled_error(dxs, dxr) <= test::reassociation_tolerance<T>);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(standalone_activations_match_reference, T, scalars) {
  for (std::size_t n : {1, 3, 7, 9, 17, 33, 65}) {
    check_activation<T, k::identity_fn>(n);
    check_activation<T, k::relu_fn>(n);
    check_activation<T, k::leaky_relu_fn<1, 100>>(n);
    check_activation<T, k::sigmoid_fn>(n);
    check_activation<T, k::tanh_fn>(n);
    check_activation<T, k::gelu_fn>(n);
    check_activation<T, k::silu_fn>(n);
    check_activation<T, k::elu_fn<1, 2>>(n);
    check_activation<T, k::hardtanh_fn<0, 6>>(n);
    check_activation<T, k::hardtanh_fn<-2, 3>>(n);
    check_activation<T, k::hardswish_fn>(n);
    check_activation<T, k::hardsigmoid_fn>(n);
    check_activation<T, k::softmax_fn>(n);
  }
}

/// Float tanh's documented bound (kernels/activation.hpp): two more roundings without FMA.
constexpr double tanh_bound = k::has_fma ? 3e-7 : 3.5e-7;

/// The documented accuracy of the vectorized transcendentals (kernels/activation.hpp): float
/// SIMD activations against the same formula in double, over [-20, 20] (40001 points, and the
/// float tanh at every 64th float of [0, 10] below).
BOOST_AUTO_TEST_CASE(vectorized_transcendentals_stay_within_documented_error) {
  constexpr std::size_t n = 40001;
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = -20.0f + 40.0f * float(i) / float(n - 1);
  auto max_error = [&](auto act) {
    using Act = decltype(act);
    std::vector<float> y(n);
    k::activation_forward<Act>(x.data(), y.data(), n);
    double err = 0;
    for (std::size_t i = 0; i < n; ++i) err = std::max(err, std::abs(double(y[i]) - Act::scalar(double(x[i]))));
    return err;
  };
  BOOST_TEST(max_error(k::sigmoid_fn{}) <= 2e-7);    // half of tanh's error, plus rounding
  BOOST_TEST(max_error(k::tanh_fn{}) <= tanh_bound); // the rational approximation: ~5 ulp near +-1
  BOOST_TEST(max_error(k::gelu_fn{}) <= 4e-6);       // absolute; |gelu(x)| reaches 20 on this range
  BOOST_TEST(max_error(k::silu_fn{}) <= 4e-6);       // z times the float sigmoid: up to 20 x its error
  BOOST_TEST(max_error(k::elu_fn<1, 1>{}) <= 2e-7);  // xsimd's expm1, a few ulp of values in (-1, 0]
}

/// Float tanh is a clamped rational function: it must still saturate exactly at +-1, be odd,
/// and let NaN through (the trainer's non-finite check relies on it), in SIMD and fused forms.
BOOST_AUTO_TEST_CASE(float_tanh_saturates_is_odd_and_propagates_nan) {
  using V = k::simd<float>;
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto tanh1 = [](float x) { return k::tanh_fn::simd(V(x)).get(0); };
  BOOST_TEST(tanh1(inf) == 1.0f);
  BOOST_TEST(tanh1(-inf) == -1.0f);
  BOOST_TEST(tanh1(30.0f) == 1.0f);
  BOOST_TEST(tanh1(0.0f) == 0.0f);
  BOOST_TEST(std::isnan(tanh1(nan)));
  BOOST_TEST(std::isnan(k::sigmoid_fn::simd(V(nan)).get(0)));
  BOOST_TEST(k::sigmoid_fn::simd(V(-inf)).get(0) == 0.0f);
  BOOST_TEST(k::sigmoid_fn::simd(V(inf)).get(0) == 1.0f);
  double worst = 0;
  std::size_t not_odd = 0;
  for (std::uint32_t bits = 0x3a800000u; bits < 0x41200000u; bits += 64) { // [2^-10, 10)
    float x;
    std::memcpy(&x, &bits, sizeof x);
    not_odd += tanh1(-x) != -tanh1(x);
    worst = std::max(worst, std::abs(double(tanh1(x)) - std::tanh(double(x))));
  }
  BOOST_TEST(not_odd == 0u);
  BOOST_TEST(worst <= tanh_bound);
}
