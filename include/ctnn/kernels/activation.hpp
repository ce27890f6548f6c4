// Activation functions as kernel function objects: a SIMD form, a scalar reference twin and the
// derivative of each, so a dense stage can fuse them into its forward and backward loops.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <type_traits>

namespace CTNN_NAMESPACE::kernels {

// Each elementwise activation provides
//   simd(z) / scalar(z)                       -> y
//   simd_derivative(z, y) / scalar_derivative -> dy/dz, given both the input and the output,
// so that each one uses whichever is cheaper (relu: the sign of y; gelu: z).
// Transcendentals come from xsimd (exp, erf, and tanh in double), whose float versions stay
// within a few ulp of std::. Float tanh (and sigmoid, through it) is a rational approximation
// instead: xsimd's takes ~75 cycles of latency on large inputs, this one ~33, which is most of
// a small network's latency. tests/unit/kernels.cpp asserts the documented absolute errors.

namespace detail {

/// tanh(x) ~ x P(x^2) / Q(x^2) for float, P and Q of degree 4, exact +-1 for |x| >= 9
/// (1 - tanh 9 < 3e-8). Coefficients: bench/fit_tanh.py (minimax fit, error 3e-8); the float
/// evaluation stays within 3e-7 absolute (about 5 ulp near +-1, the accuracy of Eigen's tanh),
/// 3.5e-7 on instruction sets without FMA.
/// Written for latency, since a small network's critical path runs through it: Estrin's
/// scheme leaves five dependent operations before the division, and the input is not clamped:
/// lanes with |x| >= 9 (where x^8 may overflow) are replaced at the end. NaN propagates (it
/// fails the comparison). Folding x into P's terms would save one more multiplication but
/// costs accuracy (3.4e-7).
template <class V>
CTNN_ALWAYS_INLINE V tanh_rational(const V& x) noexcept {
  const V s = x * x, s2 = s * s;
  const V p01 = kernels::fma(s, V(0.1337323933839798f), V(0.9999998807907104f));
  const V p23 = kernels::fma(s, V(2.0472616597544402e-05f), V(0.003486626548692584f));
  const V q01 = kernels::fma(s, V(0.46706533432006836f), V(1.0f));
  const V q23 = kernels::fma(s, V(0.0003271459718234837f), V(0.02584215998649597f));
  const V p = kernels::fma(s2, kernels::fma(s2, V(1.3184616065586852e-08f), p23), p01);
  const V q = kernels::fma(s2, kernels::fma(s2, V(7.70305746300437e-07f), q23), q01);
  return xsimd::select(xsimd::abs(x) >= V(9.0f), xsimd::copysign(V(1.0f), x), x * p / q);
}

/// x with NaN lanes replaced by 0 and the others clamped to [-limit, limit], before xsimd's exp,
/// erf or tanh: their generic versions convert the argument to an integer, which is undefined
/// behaviour for NaN and infinities (UBSan reports it). limit is where the function has
/// saturated; callers put NaN back with keep_nan.
template <class V>
CTNN_ALWAYS_INLINE V tame(const V& x, typename V::value_type limit) noexcept {
  return xsimd::select(xsimd::isnan(x), V(0), xsimd::min(xsimd::max(x, V(-limit)), V(limit)));
}
/// r, but NaN where x is NaN.
template <class V>
CTNN_ALWAYS_INLINE V keep_nan(const V& x, const V& r) noexcept {
  return xsimd::select(xsimd::isnan(x), x, r);
}

} // namespace detail

struct identity_fn {
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    return z;
  }
  template <class V>
  static V simd_derivative(const V&, const V&) noexcept {
    return V(1);
  }
  template <class T>
  static T scalar(T z) noexcept {
    return z;
  }
  template <class T>
  static T scalar_derivative(T, T) noexcept {
    return T(1);
  }
};

/// relu; NaN stays NaN, as in PyTorch (max(z, 0) would map it to 0 on x86, whose max returns
/// its second operand when either is NaN, and hide a corrupt input behind a finite output).
struct relu_fn {
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    return xsimd::select(z < V(0), V(0), z);
  }
  template <class V>
  static V simd_derivative(const V&, const V& y) noexcept {
    return xsimd::select(y > V(0), V(1), V(0));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return z < T(0) ? T(0) : z;
  }
  template <class T>
  static T scalar_derivative(T, T y) noexcept {
    return y > T(0) ? T(1) : T(0);
  }
};

/// leaky_relu with slope Num/Den for negative inputs (PyTorch's default is 1/100).
template <int Num, int Den>
struct leaky_relu_fn {
  static_assert(Den > 0 && Num >= 0 && Num < Den, "leaky_relu slope must be in [0, 1)");
  static constexpr bool elementwise = true;
  template <class T>
  static constexpr T slope = T(Num) / T(Den);
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    using T = typename V::value_type;
    return xsimd::select(z > V(0), z, z * V(slope<T>));
  }
  template <class V>
  static V simd_derivative(const V& z, const V&) noexcept {
    using T = typename V::value_type;
    return xsimd::select(z > V(0), V(1), V(slope<T>));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return z > T(0) ? z : z * slope<T>;
  }
  template <class T>
  static T scalar_derivative(T z, T) noexcept {
    return z > T(0) ? T(1) : slope<T>;
  }
};

/// sigmoid(z) = 1 / (1 + exp(-z)); derivative y (1 - y). Float: 1/2 + tanh(z/2)/2.
struct sigmoid_fn {
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    using T = typename V::value_type;
    if constexpr (std::is_same_v<T, float>)
      return kernels::fma(V(0.5f), detail::tanh_rational(z * V(0.5f)), V(0.5f));
    else
      return detail::keep_nan(z, V(1) / (V(1) + xsimd::exp(-detail::tame(z, T(800)))));
  }
  template <class V>
  static V simd_derivative(const V&, const V& y) noexcept {
    return y * (V(1) - y);
  }
  template <class T>
  static T scalar(T z) noexcept {
    return T(1) / (T(1) + std::exp(-z));
  }
  template <class T>
  static T scalar_derivative(T, T y) noexcept {
    return y * (T(1) - y);
  }
};

/// tanh; derivative 1 - y^2.
struct tanh_fn {
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    if constexpr (std::is_same_v<typename V::value_type, float>)
      return detail::tanh_rational(z);
    else
      return detail::keep_nan(z, xsimd::tanh(detail::tame(z, 40.0))); // tanh(40) is 1 in double
  }
  template <class V>
  static V simd_derivative(const V&, const V& y) noexcept {
    return V(1) - y * y;
  }
  template <class T>
  static T scalar(T z) noexcept {
    return std::tanh(z);
  }
  template <class T>
  static T scalar_derivative(T, T y) noexcept {
    return T(1) - y * y;
  }
};

/// gelu, the exact form PyTorch uses by default (approximate='none'):
/// y = z/2 (1 + erf(z/sqrt 2)); dy/dz = Phi(z) + z phi(z).
struct gelu_fn {
  static constexpr bool elementwise = true;
  template <class T>
  static constexpr T inv_sqrt2 = T(1) / std::numbers::sqrt2_v<T>;
  template <class T>
  static constexpr T inv_sqrt2pi = std::numbers::inv_sqrtpi_v<T>* inv_sqrt2<T>;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    using T = typename V::value_type;
    return V(T(0.5)) * z * (V(1) + xsimd::erf(detail::tame(z * V(inv_sqrt2<T>), T(10)))); // erf(10) is 1
  }
  template <class V>
  static V simd_derivative(const V& z, const V&) noexcept {
    using T = typename V::value_type;
    const V t = detail::tame(z, T(40));
    const V cdf = V(T(0.5)) * (V(1) + xsimd::erf(detail::tame(z * V(inv_sqrt2<T>), T(10))));
    const V pdf = V(inv_sqrt2pi<T>) * xsimd::exp(V(T(-0.5)) * t * t);
    return detail::keep_nan(z, kernels::fma(t, pdf, cdf));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return T(0.5) * z * (T(1) + std::erf(z * inv_sqrt2<T>));
  }
  template <class T>
  static T scalar_derivative(T z, T) noexcept {
    return T(0.5) * (T(1) + std::erf(z * inv_sqrt2<T>)) + z * inv_sqrt2pi<T> * std::exp(T(-0.5) * z * z);
  }
};

/// silu (swish): y = z sigmoid(z); dy/dz = s (1 + z (1 - s)), s = sigmoid(z). PyTorch's SiLU.
struct silu_fn {
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    return z * sigmoid_fn::simd(z);
  }
  template <class V>
  static V simd_derivative(const V& z, const V&) noexcept {
    const V s = sigmoid_fn::simd(z);
    return s * kernels::fma(z, V(1) - s, V(1));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return z * sigmoid_fn::scalar(z);
  }
  template <class T>
  static T scalar_derivative(T z, T) noexcept {
    const T s = sigmoid_fn::scalar(z);
    return s * (T(1) + z * (T(1) - s));
  }
};

/// elu with alpha = Num/Den: y = z for z > 0, else alpha (exp(z) - 1); dy/dz = 1, else y + alpha.
/// PyTorch's ELU (alpha 1 by default).
template <int Num, int Den>
struct elu_fn {
  static_assert(Den > 0 && Num > 0, "elu's alpha must be positive");
  static constexpr bool elementwise = true;
  template <class T>
  static constexpr T alpha = T(Num) / T(Den);
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    using T = typename V::value_type;
    const V negative = V(alpha<T>) * xsimd::expm1(detail::tame(xsimd::min(z, V(0)), T(100))); // expm1(-100): -1
    return detail::keep_nan(z, xsimd::select(z > V(0), z, negative));
  }
  template <class V>
  static V simd_derivative(const V& z, const V& y) noexcept {
    using T = typename V::value_type;
    return xsimd::select(z > V(0), V(1), y + V(alpha<T>));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return z > T(0) ? z : alpha<T> * std::expm1(z);
  }
  template <class T>
  static T scalar_derivative(T z, T y) noexcept {
    return z > T(0) ? T(1) : y + alpha<T>;
  }
};

/// hardtanh with bounds [Min, Max]: y = clamp(z, Min, Max); dy/dz = 1 strictly between them, else
/// 0 (PyTorch's Hardtanh; ReLU6 is [0, 6]). NaN stays NaN.
template <int Min, int Max>
struct hardtanh_fn {
  static_assert(Min < Max, "hardtanh's lower bound must be below its upper bound");
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    using T = typename V::value_type;
    return xsimd::select(z < V(T(Min)), V(T(Min)), xsimd::select(z > V(T(Max)), V(T(Max)), z));
  }
  template <class V>
  static V simd_derivative(const V& z, const V&) noexcept {
    using T = typename V::value_type;
    return xsimd::select((z > V(T(Min))) && (z < V(T(Max))), V(1), V(0));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return z < T(Min) ? T(Min) : z > T(Max) ? T(Max) : z;
  }
  template <class T>
  static T scalar_derivative(T z, T) noexcept {
    return z > T(Min) && z < T(Max) ? T(1) : T(0);
  }
};

/// hardswish: y = z relu6(z + 3) / 6; dy/dz = 0 below -3, 1 above 3, (2z + 3) / 6 between
/// (PyTorch's Hardswish, whose gradient takes the middle form at z = 3 too).
struct hardswish_fn {
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    using T = typename V::value_type;
    return z * hardtanh_fn<0, 6>::simd(z + V(T(3))) * V(T(1) / T(6));
  }
  template <class V>
  static V simd_derivative(const V& z, const V&) noexcept {
    using T = typename V::value_type;
    const V middle = kernels::fma(z, V(T(1) / T(3)), V(T(0.5)));
    return xsimd::select(z < V(T(-3)), V(0), xsimd::select(z > V(T(3)), V(1), middle));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return z * hardtanh_fn<0, 6>::scalar(z + T(3)) / T(6);
  }
  template <class T>
  static T scalar_derivative(T z, T) noexcept {
    return z < T(-3) ? T(0) : z > T(3) ? T(1) : z / T(3) + T(0.5);
  }
};

/// hardsigmoid: y = relu6(z + 3) / 6; dy/dz = 1/6 strictly between -3 and 3, else 0 (PyTorch's
/// Hardsigmoid).
struct hardsigmoid_fn {
  static constexpr bool elementwise = true;
  template <class V>
  CTNN_ALWAYS_INLINE static V simd(const V& z) noexcept {
    using T = typename V::value_type;
    return hardtanh_fn<0, 6>::simd(z + V(T(3))) * V(T(1) / T(6));
  }
  template <class V>
  static V simd_derivative(const V& z, const V&) noexcept {
    using T = typename V::value_type;
    return xsimd::select((z > V(T(-3))) && (z < V(T(3))), V(T(1) / T(6)), V(0));
  }
  template <class T>
  static T scalar(T z) noexcept {
    return hardtanh_fn<0, 6>::scalar(z + T(3)) / T(6);
  }
  template <class T>
  static T scalar_derivative(T z, T) noexcept {
    return z > T(-3) && z < T(3) ? T(1) / T(6) : T(0);
  }
};

/// softmax over the whole vector: y_k = exp(z_k - max z) / sum_j exp(z_j - max z).
/// Not elementwise: its backward is dz = y (dy - <dy, y>), applied per row.
struct softmax_fn {
  static constexpr bool elementwise = false;

  /// y[0, n) = softmax(z[0, n)); z and y may alias.
  template <class T>
  static void scalar_row(const T* z, T* y, std::size_t n) noexcept {
    const T m = *std::max_element(z, z + n);
    T sum = 0;
    for (std::size_t k = 0; k < n; ++k) sum += (y[k] = std::exp(z[k] - m));
    const T inv = T(1) / sum;
    for (std::size_t k = 0; k < n; ++k) y[k] *= inv;
  }
  /// dz[0, n) = y (dy - <dy, y>); dy and dz may alias.
  template <class T>
  static void scalar_backward_row(const T* y, const T* dy, T* dz, std::size_t n) noexcept {
    T dot = 0;
    for (std::size_t k = 0; k < n; ++k) dot += dy[k] * y[k];
    for (std::size_t k = 0; k < n; ++k) dz[k] = y[k] * (dy[k] - dot);
  }
};

/// log_softmax over the whole vector: y_k = z_k - max z - log sum_j exp(z_j - max z) (PyTorch's
/// LogSoftmax; with loss::nll it is cross-entropy).
struct log_softmax_fn {
  static constexpr bool elementwise = false;

  /// y[0, n) = log_softmax(z[0, n)); z and y may alias.
  template <class T>
  static void scalar_row(const T* z, T* y, std::size_t n) noexcept {
    const T m = *std::max_element(z, z + n);
    T sum = 0;
    for (std::size_t k = 0; k < n; ++k) sum += std::exp(z[k] - m);
    const T shift = m + std::log(sum);
    for (std::size_t k = 0; k < n; ++k) y[k] = z[k] - shift;
  }
  /// dz[0, n) = dy - exp(y) sum(dy); dy and dz may alias.
  template <class T>
  static void scalar_backward_row(const T* y, const T* dy, T* dz, std::size_t n) noexcept {
    T sum = 0;
    for (std::size_t k = 0; k < n; ++k) sum += dy[k];
    for (std::size_t k = 0; k < n; ++k) dz[k] = dy[k] - std::exp(y[k]) * sum;
  }
};

/// y[k] = act(x[k]) for k < n (softmax: over the whole row). Unaligned loads and a scalar tail,
/// because a standalone activation may read the user's unpadded input.
template <class Act, class T, class Arch = default_arch>
void activation_forward(const T* x, T* y, std::size_t n) noexcept {
  if constexpr (!Act::elementwise) {
    Act::scalar_row(x, y, n);
  } else {
    using V = simd<T, Arch>;
    // counted loops: with `k + size <= n` GCC 12 could not rule out wrap-around once n became a
    // constant and warned of undefined behaviour
    const std::size_t full = n / V::size * V::size;
    for (std::size_t k = 0; k < full; k += V::size) Act::simd(V::load_unaligned(x + k)).store_unaligned(y + k);
    for (std::size_t k = full; k < n; ++k) y[k] = Act::scalar(x[k]);
  }
}

/// dx[k] = dy[k] * act'(x[k], y[k]) for k < n (softmax: y (dy - <dy, y>)).
template <class Act, class T, class Arch = default_arch>
void activation_backward(const T* x, const T* y, const T* dy, T* dx, std::size_t n) noexcept {
  if constexpr (!Act::elementwise) {
    Act::scalar_backward_row(y, dy, dx, n);
  } else {
    using V = simd<T, Arch>;
    const std::size_t full = n / V::size * V::size;
    for (std::size_t k = 0; k < full; k += V::size)
      (V::load_unaligned(dy + k) * Act::simd_derivative(V::load_unaligned(x + k), V::load_unaligned(y + k)))
          .store_unaligned(dx + k);
    for (std::size_t k = full; k < n; ++k) dx[k] = dy[k] * Act::scalar_derivative(x[k], y[k]);
  }
}

namespace reference {
template <class Act, class T>
void activation_forward(const T* x, T* y, std::size_t n) noexcept {
  if constexpr (!Act::elementwise)
    Act::scalar_row(x, y, n);
  else
    for (std::size_t k = 0; k < n; ++k) y[k] = Act::scalar(x[k]);
}
template <class Act, class T>
void activation_backward(const T* x, const T* y, const T* dy, T* dx, std::size_t n) noexcept {
  if constexpr (!Act::elementwise)
    Act::scalar_backward_row(y, dy, dx, n);
  else
    for (std::size_t k = 0; k < n; ++k) dx[k] = dy[k] * Act::scalar_derivative(x[k], y[k]);
}
} // namespace reference

} // namespace CTNN_NAMESPACE::kernels
