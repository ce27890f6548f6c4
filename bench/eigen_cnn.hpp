// The hand-written CNN a C++ engineer would write with Eigen: im2col into a fixed-size matrix,
// one fixed-size GEMM per convolution (W [F, C*9] times col [C*9, positions], row-major so the
// result is channel-major as PyTorch's), bias and relu, 2x2 max pooling by loops, a fixed-size
// matrix-vector product for the classifier. All buffers live in the (heap-allocated) object.
#pragma once

#include "eigen_anchor.hpp" // Eigen with EIGEN_STACK_ALLOCATION_LIMIT 0

#include "cnn_networks.hpp"

#include <algorithm>
#include <vector>

namespace bench {

class eigen_mnist_cnn {
  template <int C, int H, int F>
  struct conv_pool {
    static constexpr int K = C * 9, OH = H - 2, P = OH * OH, PH = OH / 2;
    Eigen::Matrix<float, F, K, Eigen::RowMajor> W;
    Eigen::Matrix<float, F, 1> b;
    Eigen::Matrix<float, K, P, Eigen::RowMajor> col;
    Eigen::Matrix<float, F, P, Eigen::RowMajor> y;

    void load(const float* w, const float* bias) {
      for (int f = 0; f < F; ++f) {
        for (int k = 0; k < K; ++k) W(f, k) = w[f * K + k];
        b(f) = bias[f];
      }
    }
    /// x [C, H, H] -> out [F, PH, PH]
    void operator()(const float* x, float* out) {
      for (int c = 0; c < C; ++c)
        for (int di = 0; di < 3; ++di)
          for (int dj = 0; dj < 3; ++dj) {
            float* row = col.data() + std::ptrdiff_t((c * 3 + di) * 3 + dj) * P;
            for (int i = 0; i < OH; ++i)
              for (int j = 0; j < OH; ++j) row[i * OH + j] = x[(c * H + i + di) * H + j + dj];
          }
      y.noalias() = W * col;
      y = (y.colwise() + b).cwiseMax(0.0f);
      for (int f = 0; f < F; ++f)
        for (int i = 0; i < PH; ++i)
          for (int j = 0; j < PH; ++j) {
            const float* r0 = y.data() + std::ptrdiff_t(f) * P + 2 * i * OH + 2 * j;
            out[(f * PH + i) * PH + j] = std::max(std::max(r0[0], r0[1]), std::max(r0[OH], r0[OH + 1]));
          }
    }
  };

  conv_pool<1, cnn::h0, cnn::c1> conv1_;
  conv_pool<cnn::c1, cnn::p1, cnn::c2> conv2_;
  Eigen::Matrix<float, cnn::classes, cnn::flat, Eigen::RowMajor> W3_;
  Eigen::Matrix<float, cnn::classes, 1> b3_;
  Eigen::Matrix<float, cnn::c1 * cnn::p1 * cnn::p1, 1> a1_;
  Eigen::Matrix<float, cnn::flat, 1> a2_;

public:
  explicit eigen_mnist_cnn(const std::vector<float>& params) {
    const float* p = params.data();
    conv1_.load(p + cnn::w1, p + cnn::b1);
    conv2_.load(p + cnn::w2, p + cnn::b2);
    for (int o = 0; o < cnn::classes; ++o) {
      for (int i = 0; i < cnn::flat; ++i) W3_(o, i) = p[cnn::w3 + o * cnn::flat + i];
      b3_(o) = p[cnn::b3 + o];
    }
  }
  /// n samples [n, 1, 28, 28] -> logits [n, 10], one sample after the other.
  void operator()(const float* x, float* y, int n) {
    for (int s = 0; s < n; ++s) {
      conv1_(x + std::ptrdiff_t(s) * cnn::in, a1_.data());
      conv2_(a1_.data(), a2_.data());
      Eigen::Map<Eigen::Matrix<float, cnn::classes, 1>>(y + std::ptrdiff_t(s) * cnn::classes).noalias() =
          W3_ * a2_ + b3_;
    }
  }
};

} // namespace bench
