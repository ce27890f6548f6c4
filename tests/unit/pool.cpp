// Pooling kernels (kernels/pool.hpp): the vectorized forward against a plain scalar reference
// at odd sizes with stride, padding and dilation (its loads past the input's end go through a
// copy), PyTorch's rules for max pooling (NaN propagates; the gradient goes to the first
// maximum: ties, -0 and +0, the first NaN), and average pooling's count of padding.
#define BOOST_TEST_MODULE unit_pool
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <cmath>
#include <limits>
#include <vector>

namespace k = ctnn::kernels;

namespace {

/// The window taps inside the input, straight from the definition.
template <k::conv_shape S, bool Max>
std::vector<double> reference_pool(const std::vector<double>& x) {
  std::vector<double> y(S.c * S.oh * S.ow);
  for (std::size_t c = 0; c < S.c; ++c)
    for (std::size_t oy = 0; oy < S.oh; ++oy)
      for (std::size_t ox = 0; ox < S.ow; ++ox) {
        double m = -std::numeric_limits<double>::infinity(), sum = 0;
        for (std::size_t i = 0; i < S.kh; ++i)
          for (std::size_t j = 0; j < S.kw; ++j) {
            const auto yy = std::ptrdiff_t(oy * S.sh + i * S.dh) - std::ptrdiff_t(S.pt);
            const auto xx = std::ptrdiff_t(ox * S.sw + j * S.dw) - std::ptrdiff_t(S.pl);
            if (yy < 0 || xx < 0 || yy >= std::ptrdiff_t(S.h) || xx >= std::ptrdiff_t(S.w)) continue;
            const double v = x[(c * S.h + std::size_t(yy)) * S.w + std::size_t(xx)];
            if (v > m || std::isnan(v)) m = std::isnan(m) ? m : v;
            sum += v;
          }
        y[(c * S.oh + oy) * S.ow + ox] = Max ? m : sum / double(S.kh * S.kw);
      }
  return y;
}

template <k::conv_shape S, bool Max, class T>
void check_forward(unsigned seed) {
  ctnn::rng g(seed);
  std::vector<T> x(S.c * S.h * S.w); // exactly the input: no slack after it
  std::vector<double> xd(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) xd[i] = double(x[i] = T(g.uniform(-1, 1)));
  std::vector<T> y(S.c * S.oh * S.ow);
  k::pool_forward<S, Max>(x.data(), y.data());
  const auto ref = reference_pool<S, Max>(xd);
  for (std::size_t i = 0; i < y.size(); ++i) // max: exact; mean: float rounding of inputs in [-1, 1]
    BOOST_TEST(std::abs(double(y[i]) - ref[i]) <= (Max ? 0.0 : 1e-6), "y[" << i << "] " << y[i] << " vs " << ref[i]);
}

// c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow
constexpr k::conv_shape plain{8, 26, 26, 2, 2, 2, 2, 1, 1, 0, 0, 13, 13};
constexpr k::conv_shape odd{3, 7, 9, 3, 2, 2, 1, 1, 1, 1, 1, 4, 10};
constexpr k::conv_shape dilated{2, 9, 11, 2, 3, 1, 2, 2, 2, 1, 1, 9, 5};
constexpr k::conv_shape wide_row{2, 3, 37, 1, 3, 1, 3, 1, 1, 0, 1, 3, 12};

} // namespace

BOOST_AUTO_TEST_CASE(forward_matches_the_definition) {
  check_forward<plain, true, float>(1);
  check_forward<plain, false, float>(2);
  check_forward<odd, true, float>(3);
  check_forward<odd, false, double>(4);
  check_forward<dilated, true, double>(5);
  check_forward<dilated, false, float>(6);
  check_forward<wide_row, true, float>(7);
  check_forward<wide_row, false, double>(8);
}

BOOST_AUTO_TEST_CASE(max_pooling_gives_the_gradient_to_the_first_maximum_and_propagates_nan) {
  constexpr k::conv_shape s{1, 2, 10, 2, 2, 2, 2, 1, 1, 0, 0, 1, 5};
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  // five 2x2 windows, row 0 then row 1 of each: all tied; -0 before +0; NaN second; two NaNs; -inf and a NaN
  const std::vector<float> x{3, 3, -0.0f, 0.0f,  1, nan, nan, 2,   -inf, -inf, // row 0
                             3, 3, 0.0f,  -0.0f, 5, nan, 7,   nan, -inf, nan}; // row 1
  std::vector<float> y(5), dy{1, 2, 3, 4, 5}, dx(20, 0.0f);
  k::pool_forward<s, true>(x.data(), y.data());
  BOOST_TEST(y[0] == 3.0f);
  BOOST_TEST(y[1] == 0.0f);
  BOOST_TEST(std::isnan(y[2]));
  BOOST_TEST(std::isnan(y[3]));
  BOOST_TEST(std::isnan(y[4]));
  k::pool_backward<s, true>(x.data(), dy.data(), dx.data());
  const std::vector<float> expected{1, 0, 2, 0, 0, 3, 4, 0, 0, 0, //
                                    0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
  for (std::size_t i = 0; i < dx.size(); ++i) BOOST_TEST(dx[i] == expected[i], "dx[" << i << "]");
}

BOOST_AUTO_TEST_CASE(average_pooling_counts_the_padding) {
  constexpr k::conv_shape s{1, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2};
  const std::vector<double> x{1, 2, 3, 4};
  std::vector<double> y(4), dx(4, 0.0), dy{4, 8, 12, 16};
  k::pool_forward<s, false>(x.data(), y.data());
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(y[i] == x[i] / 4); // each window holds one input and three zeros
  k::pool_backward<s, false>(x.data(), dy.data(), dx.data());
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(dx[i] == dy[i] / 4);
}
