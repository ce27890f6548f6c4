// A graph on real data: two inputs, two heads. Each year's sunspot number is forecast from the ten
// years before it (a sequence, read by an LSTM branch) and from where the year falls in an
// 11-year cycle (two static features, sin and cos of 2 pi year / 11, read by a dense branch); one
// head gives the number, the other whether it rises above last year's (two classes).
//
//   build/<compiler>/examples/sunspots_graph [epochs]      (default 300 full-batch Adam steps)
//
// It trains the network from five seeds and prints each one's test figures and their medians,
// beside the baselines (last year's number; the more frequent direction).
//
// The series (1700-2008) comes from Debian's python3-statsmodels data files, with the split of
// tests/README.md: training targets 1710-1958, test targets 1959-2008, values z-scored with the
// statistics of 1700-1958. examples/pytorch/sunspots_graph.py trains the same network in PyTorch
// on the same data, for comparison.
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <numbers>
#include <tuple>
#include <vector>

namespace nn = ctnn;

using window = nn::sequence<10, 1>; // the ten years before the target, oldest first
using phase = nn::shape<2>;         // sin and cos of 2 pi year / 11
using model = nn::network<nn::inputs<window, phase>,
                          nn::parallel<nn::concat, nn::branch<nn::from<0>, nn::lstm<16>, nn::last>, // [16]
                                       nn::branch<nn::from<1>, nn::dense<4>, nn::tanh>>,            // [4]
                          nn::dense<16>, nn::relu,
                          nn::heads<nn::branch<nn::dense<1>>,   // next year's number (z-scored): mse
                                    nn::branch<nn::dense<2>>>>; // falls (0) or rises (1): cross-entropy
using samples = nn::dataset<float, nn::inputs<window, phase>, nn::shape<2>>;

namespace {

struct task {
  samples train, test;
  double mean = 0, scale = 1;
  double unscale(double z) const noexcept { return z * scale + mean; }
};

/// The sunspot series as two-input, two-target samples (tests/README.md's split and scaling).
task make_task() {
  const auto series = nn::datasets::load_sunspots();
  task t;
  const std::size_t last_train = 1958 - 1700;
  double sum = 0, squares = 0;
  for (std::size_t i = 0; i <= last_train; ++i) sum += series.values[i];
  t.mean = sum / double(last_train + 1);
  for (std::size_t i = 0; i <= last_train; ++i) squares += std::pow(series.values[i] - t.mean, 2);
  t.scale = std::sqrt(squares / double(last_train + 1));
  for (std::size_t i = 10; i < series.values.size(); ++i) {
    std::tuple<nn::tensor<float, window>, nn::tensor<float, phase>> x;
    for (std::size_t k = 0; k < 10; ++k) std::get<0>(x)[k] = float((series.values[i - 10 + k] - t.mean) / t.scale);
    const double angle = 2 * std::numbers::pi * series.years[i] / 11.0;
    std::get<1>(x) = {float(std::sin(angle)), float(std::cos(angle))};
    const nn::tensor<float, nn::shape<2>> target{float((series.values[i] - t.mean) / t.scale),
                                                 series.values[i] > series.values[i - 1] ? 1.0f : 0.0f};
    (i <= last_train ? t.train : t.test).push_back(x, target);
  }
  return t;
}

struct result {
  double rmse, accuracy, loss, seconds; ///< test figures; the training's wall time
};

/// One network trained from seed `seed`: its test RMSE (sunspot units) and direction accuracy.
result train_and_test(const task& t, std::size_t epochs, std::uint64_t seed) {
  auto net = nn::make<model>(nn::init::pytorch_default{}, seed);
  const nn::loss::heads<nn::loss::mse, nn::loss::softmax_cross_entropy> losses{.weights = {1, 0.5}};
  nn::trainer fit{net, losses, nn::optim::adam{.lr = 0.01}};
  const auto start = std::chrono::steady_clock::now();
  fit.train(t.train,
            {.epochs = epochs, .batch = t.train.size(), .shuffle = false, .clip_grad_norm = 1.0, .log = nullptr});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto e = fit.evaluate(t.test);
  // the number in sunspot units, from each test year's two inputs
  double se = 0;
  for (std::size_t i = 0; i < t.test.size(); ++i) {
    const float* in = t.test.input(i);
    nn::tensor<float, window> years;
    nn::tensor<float, phase> cycle;
    std::copy_n(in, 10, years.data());
    std::copy_n(in + 10, 2, cycle.data());
    const auto [number, direction] = net(years, cycle);
    se += std::pow(t.unscale(number[0]) - t.unscale(t.test.target(i)[0]), 2);
  }
  return {std::sqrt(se / double(t.test.size())), e.heads[1].metric, e.loss, seconds};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int run(int argc, char** argv) {
  const std::size_t epochs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 300;
  const task t = make_task();
  std::printf("sunspots, two inputs and two heads: %zu training years, %zu test years; %zu parameters\n",
              t.train.size(), t.test.size(), std::size_t(model::param_count));
  // baselines: last year's number; the more frequent direction
  double naive_se = 0;
  std::size_t rises = 0;
  for (std::size_t i = 0; i < t.test.size(); ++i) {
    naive_se += std::pow(t.unscale(t.test.input(i)[9]) - t.unscale(t.test.target(i)[0]), 2);
    rises += t.test.target(i)[1] > 0.5f;
  }
  const double naive = std::sqrt(naive_se / double(t.test.size()));
  const double majority = double(std::max(rises, t.test.size() - rises)) / double(t.test.size());
  std::vector<double> rmse, accuracy, seconds;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const result r = train_and_test(t, epochs, seed);
    std::printf("seed %d: number RMSE %.2f, direction accuracy %.3f (weighted test loss %.4f), trained in %.3f s\n",
                int(seed), r.rmse, r.accuracy, r.loss, r.seconds);
    rmse.push_back(r.rmse);
    accuracy.push_back(r.accuracy);
    seconds.push_back(r.seconds);
  }
  std::printf("median over 5 seeds: number RMSE %.2f (naive last-value %.2f), direction accuracy %.3f (majority "
              "class %.3f), training %.3f s (%zu full-batch steps, one thread)\n",
              median(rmse), naive, median(accuracy), majority, median(seconds), epochs);
  return median(rmse) < naive && median(accuracy) > majority ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sunspots_graph: %s\n", e.what());
    return 1;
  }
}
