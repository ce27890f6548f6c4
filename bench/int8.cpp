// bench_int8: the standard networks in int8 (ctnn::quantize) beside the same networks in float,
// single thread: one sample with each input depending on the last output (latency), one sample
// after another on independent inputs (throughput), and batches of 64. Outputs are checked
// against the float network first (the int8 network approximates it: the largest difference is
// printed). oneDNN's int8 inner product and convolution (onednn_int8.cpp) run the same integers
// beside them, checked against ctnn's int8 outputs first. The peak and bandwidth figures of the
// float benchmark are bench_ctnn's.
//
//   bench_int8
#include "cnn_networks.hpp"
#include "graph_networks.hpp"
#include "onednn_int8.hpp"
#include "standard_networks.hpp"

#include <ctnn/runtime/bf16.hpp>
#include <ctnn/runtime/quantize.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

namespace nn = ctnn;

std::vector<std::string> configurations; // what oneDNN chose, per network
std::vector<std::string> bf16_rows;      // the bf16 table, printed after the int8 one

template <class F>
double median_ns(std::size_t per_round, F&& f) {
  std::vector<double> rounds;
  for (int r = 0; r < 31; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    rounds.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
                     static_cast<double>(per_round));
  }
  std::nth_element(rounds.begin(), rounds.begin() + 15, rounds.end());
  return rounds[15];
}

struct row {
  double dependent, independent, batch; // ns per sample
};

/// ctnn's integer network as oneDNN's anchor takes it: the same weights, biases, scales and zero
/// points, operation by operation (the convolutions of the standard networks are 3 x 3 without
/// padding, the pools 2 x 2).
template <class Q>
bench::int8_network onednn_form(const Q& q, int c, int h, int w) {
  bench::int8_network n;
  n.input_scale = static_cast<float>(q.input_range().scale);
  n.input_zero = q.input_range().zero;
  n.c = c, n.h = h, n.w = w;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          const auto& s = q.template stage<K>();
          using S = std::remove_cvref_t<decltype(s)>;
          bench::int8_op op{};
          op.c = c, op.h = h, op.w = w;
          if constexpr (requires { s.layer; }) {
            constexpr bool conv = requires { S::positions; };
            op.kind = conv ? bench::int8_op::conv3x3 : bench::int8_op::dense;
            constexpr std::size_t in = S::layer_type::in_size, outs = S::layer_type::out_size;
            op.out = static_cast<int>(outs);
            for (std::size_t o = 0; o < outs; ++o) {
              for (std::size_t i = 0; i < in; ++i) op.weights.push_back(s.layer.weight(o, i));
              op.biases.push_back(s.layer.biases[o]);
              op.scales.push_back(s.scale[o]);
            }
            op.out_zero = s.out_zero;
            op.relu = S::clamp, op.last = S::last;
            if (conv)
              c = op.out, h -= 2, w -= 2;
            else
              c = op.out, h = w = 1;
          } else {
            op.kind = bench::int8_op::max_pool2x2;
            op.out = c;
            h /= 2, w /= 2;
          }
          n.ops.push_back(std::move(op));
        }(),
        ...);
  }
  (std::make_index_sequence<Q::stage_count>{});
  return n;
}

/// Whether an int8 network has composite blocks (residual, parallel): oneDNN's form above is a
/// chain of primitives, not a graph.
template <class Q>
constexpr bool has_blocks() {
  return []<std::size_t... K>(std::index_sequence<K...>) {
    return (requires { std::tuple_element_t<K, typename Q::ops_type>::composite; } || ...);
  }
  (std::make_index_sequence<Q::stage_count>{});
}

template <class Model>
void compare(const char* name, bool images, int c, int h, int w) {
  auto net = nn::make<Model>(nn::init::pytorch_default{}, 7);
  using in_shape = typename Model::input_shape;
  constexpr std::size_t out = Model::output_shape::size, batch = 64;
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  nn::dataset<float, in_shape, typename Model::output_shape> data;
  for (int i = 0; i < 512; ++i) {
    nn::tensor<float, in_shape> x;
    for (auto& v : x) v = images ? uniform(gen) : normal(gen);
    data.push_back(x, {});
  }
  const auto q = nn::quantize(net, data);

  // the check: the int8 network against the float one on every sample
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto yf = net(data.input_tensor(i)), yq = q(data.input_tensor(i));
    for (std::size_t o = 0; o < out; ++o) {
      worst = std::max(worst, double(std::abs(yf[o] - yq[o])));
      scale = std::max(scale, double(std::abs(yf[o])));
    }
  }

  float sink = 0;
  auto x = data.input_tensor(0);
  const std::size_t calls = 2000;
  row f{}, i8{};
  f.dependent = median_ns(calls, [&] {
    for (std::size_t k = 0; k < calls; ++k) {
      const auto y = net(x);
      x[0] += y[0] * 1e-30f;
      sink += y[0];
    }
  });
  i8.dependent = median_ns(calls, [&] {
    for (std::size_t k = 0; k < calls; ++k) {
      const auto y = q(x);
      x[0] += y[0] * 1e-30f;
      sink += y[0];
    }
  });
  f.independent = median_ns(calls, [&] {
    for (std::size_t k = 0; k < calls; ++k) sink += net(data.input_tensor(k % data.size()))[0];
  });
  i8.independent = median_ns(calls, [&] {
    for (std::size_t k = 0; k < calls; ++k) sink += q(data.input_tensor(k % data.size()))[0];
  });
  auto ws = net.make_workspace(batch);
  std::vector<float> y(batch * nn::net<Model, float>::output_stride);
  std::vector<float> yq(batch * out);
  const std::size_t rounds = 50;
  f.batch = median_ns(rounds * batch, [&] {
    for (std::size_t r = 0; r < rounds; ++r) {
      net.predict(ws, data.input(r % 8 * batch), y.data(), batch);
      sink += y[0];
    }
  });
  i8.batch = median_ns(rounds * batch, [&] {
    for (std::size_t r = 0; r < rounds; ++r) {
      q.predict(data.input(r % 8 * batch), yq.data(), batch);
      sink += yq[0];
    }
  });
  // oneDNN int8, one sample (dependent inputs, as above) and batch 64, after the check
  std::string why, onednn = "skipped: ";
  std::unique_ptr<bench::onednn_model> one, many;
  if constexpr (has_blocks<std::remove_cvref_t<decltype(q)>>()) {
    why = "a graph (not written for oneDNN's int8 primitives)";
  } else {
    const auto form = onednn_form(q, c, h, w);
    one = bench::make_onednn_int8(form, 1, why), many = bench::make_onednn_int8(form, batch, why);
  }
  if (one && many) {
    many->infer(data.input(0), yq.data());
    double off = 0;
    for (std::size_t i = 0; i < batch; ++i) {
      const auto y1 = q(data.input_tensor(i));
      for (std::size_t o = 0; o < out; ++o) off = std::max(off, double(std::abs(yq[i * out + o] - y1[o])));
    }
    std::vector<float> y1(out);
    const double dep = median_ns(calls, [&] {
      for (std::size_t k = 0; k < calls; ++k) {
        one->infer(x.data(), y1.data());
        x[0] += y1[0] * 1e-30f;
        sink += y1[0];
      }
    });
    const double bat = median_ns(rounds * batch, [&] {
      for (std::size_t r = 0; r < rounds; ++r) {
        many->infer(data.input(r % 8 * batch), yq.data());
        sink += yq[0];
      }
    });
    char text[160];
    std::snprintf(text, sizeof text, "%.0f (%.2fx) | %.0f (%.2fx) | %.2g", dep, dep / i8.dependent, bat, bat / i8.batch,
                  off);
    onednn = text;
    configurations.push_back(std::string(name) + ": " + one->configuration());
  } else {
    onednn += why + " | | ";
  }
  // bf16 (to_bf16: dense networks only), one sample dependent and batch 64 (predict)
  if constexpr (nn::has_bf16_form<Model>) {
    const auto b = nn::to_bf16(net);
    double off = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const auto yf = net(data.input_tensor(i)), yb = b(data.input_tensor(i));
      for (std::size_t o = 0; o < out; ++o) off = std::max(off, double(std::abs(yf[o] - yb[o])));
    }
    const double dep = median_ns(calls, [&] {
      for (std::size_t k = 0; k < calls; ++k) {
        const auto y = b(x);
        x[0] += y[0] * 1e-30f;
        sink += y[0];
      }
    });
    const double bat = median_ns(rounds * batch, [&] {
      for (std::size_t r = 0; r < rounds; ++r) {
        b.predict(data.input(r % 8 * batch), yq.data(), batch);
        sink += yq[0];
      }
    });
    char text[200];
    std::snprintf(text, sizeof text, "| %s | %.0f (%.2fx) | %.0f (%.2fx) | %.2g of %.2g |", name, dep,
                  f.dependent / dep, bat, f.batch / bat, off, scale);
    bf16_rows.push_back(text);
  }
  std::printf("| %s | %.0f / %.0f (%.2fx) | %.0f / %.0f (%.2fx) | %.0f / %.0f (%.2fx) | %.2g of %.2g | %s |\n", name,
              f.dependent, i8.dependent, f.dependent / i8.dependent, f.independent, i8.independent,
              f.independent / i8.independent, f.batch, i8.batch, f.batch / i8.batch, worst, scale, onednn.c_str());
  if (!std::isfinite(sink)) std::printf("(checksum %g)\n", double(sink));
}

} // namespace

int main() {
  std::printf("int8 (ctnn::quantize) beside float, single thread, ns per sample, median of 31 rounds; integer "
              "kernels: %s\n\n",
              ctnn::kernels::integer_isa);
  std::printf("| network | one sample, dependent: float / int8 | one sample, independent | batch 64 | int8 vs float: "
              "largest difference of outputs up to | oneDNN int8, one sample (vs ctnn int8) | oneDNN int8, batch 64 | "
              "oneDNN vs ctnn int8: largest difference |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  compare<bench::mlp_trading>("mlp_trading 32-64-64-1", false, 32, 1, 1);
  compare<bench::mlp_eval>("mlp_eval 256-32-32-1", false, 256, 1, 1);
  compare<bench::mnist_mlp>("mnist_mlp 784-128-10", true, 784, 1, 1);
  compare<bench::mnist_cnn>("mnist_cnn", true, 1, 28, 28);
  compare<bench::graph_cnn>("graph_cnn (residual, Inception)", true, 3, 32, 32);
  std::printf("\nbf16 (ctnn::to_bf16, no calibration; kernels: %s), ns per sample and speed-up over float:\n\n",
              ctnn::kernels::bf16_isa);
  std::printf("| network | one sample, dependent | batch 64 | bf16 vs float: largest difference "
              "of outputs up to |\n|---|---:|---:|---:|\n");
  for (const auto& r : bf16_rows) std::printf("%s\n", r.c_str());
  std::printf("\noneDNN's implementations (one sample):\n");
  for (const auto& c : configurations) std::printf("- %s\n", c.c_str());
  return 0;
}
