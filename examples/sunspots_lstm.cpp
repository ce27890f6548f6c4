// Forecasting yearly sunspot numbers with an LSTM, trained in C++, then deployed as a stream.
//
//   build/<compiler>/examples/sunspots_lstm [steps]     (default 100 full-batch Adam steps, as tests/README.md)
//
// The series (1700-2008) comes from Debian's python3-statsmodels data files, fetched into the
// cache and extracted, not installed. Each sample is the 10 years before a target year, a
// sequence<10, 1>; training targets are 1710-1958, test targets 1959-2008 (tests/README.md). The
// network reads the window one year at a time and predicts the next year from its last state.
//
// Deployment: the same trained network then runs as a stream, one year per call
// (net.step(state, x)), and gives the same predictions as the whole-window forward.
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

namespace nn = ctnn;

using model = nn::network<nn::input<nn::sequence<10, 1>>, // the 10 years before the target
                          nn::lstm<16>,                   // [10, 16]: h of every year
                          nn::last,                       // [16]: the state after the last year
                          nn::dense<1>>;                  // next year's (z-scored) value

namespace {

/// The linear AR(10) baseline: least squares with an intercept on the training windows
/// (normal equations, Gaussian elimination with partial pivoting), its RMSE on the test years.
double ar_rmse(const nn::datasets::sunspots_task<float>& task) {
  constexpr std::size_t p = 11; // intercept + 10 lags
  std::array<std::array<double, p + 1>, p> a{};
  for (std::size_t i = 0; i < task.train.size(); ++i) {
    std::array<double, p> row{1.0};
    for (std::size_t k = 0; k < 10; ++k) row[k + 1] = task.train.input(i)[k];
    const double y = task.train.target(i)[0];
    for (std::size_t r = 0; r < p; ++r) {
      for (std::size_t c = 0; c < p; ++c) a[r][c] += row[r] * row[c];
      a[r][p] += row[r] * y;
    }
  }
  for (std::size_t c = 0; c < p; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < p; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    for (std::size_t r = 0; r < p; ++r)
      if (r != c) {
        const double f = a[r][c] / a[c][c];
        for (std::size_t k = c; k <= p; ++k) a[r][k] -= f * a[c][k];
      }
  }
  double se = 0;
  for (std::size_t i = 0; i < task.test.size(); ++i) {
    double z = a[0][p] / a[0][0];
    for (std::size_t k = 0; k < 10; ++k) z += a[k + 1][p] / a[k + 1][k + 1] * task.test.input(i)[k];
    const double e = task.unscale(z) - task.unscale(task.test.target(i)[0]);
    se += e * e;
  }
  return std::sqrt(se / double(task.test.size()));
}

/// Predicting each year by the year before.
double naive_rmse(const nn::datasets::sunspots_task<float>& task) {
  double se = 0;
  for (std::size_t i = 0; i < task.test.size(); ++i) {
    const double e = task.unscale(task.test.input(i)[9]) - task.unscale(task.test.target(i)[0]);
    se += e * e;
  }
  return std::sqrt(se / double(task.test.size()));
}

int run(int argc, char** argv) {
  const std::size_t steps = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100;
  const auto task = nn::datasets::sunspots<float>();
  std::printf("sunspots: %zu training windows (targets %d-%d), %zu test windows (%d-%d); %zu parameters\n",
              task.train.size(), task.train_years.front(), task.train_years.back(), task.test.size(),
              task.test_years.front(), task.test_years.back(), model::param_count);

  auto net = nn::make<model>(nn::init::pytorch_default{}, 7);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  // full batch: one Adam step per epoch, gradients clipped by global norm as recurrent nets need
  fit.train(task.train,
            {.epochs = steps, .batch = task.train.size(), .shuffle = false, .clip_grad_norm = 1.0, .log = nullptr});

  // whole-window predictions, in sunspot units
  std::vector<double> predicted(task.test.size());
  double se = 0;
  for (std::size_t i = 0; i < task.test.size(); ++i) {
    nn::net<model>::input_type x;
    std::copy_n(task.test.input(i), 10, x.data());
    predicted[i] = task.unscale(net(x)[0]);
    const double e = predicted[i] - task.unscale(task.test.target(i)[0]);
    se += e * e;
  }
  const double rmse = std::sqrt(se / double(task.test.size()));
  std::printf("test RMSE: %.2f\n", rmse);
  std::printf("naive last-value RMSE: %.2f\n", naive_rmse(task));
  std::printf("linear AR(10) RMSE: %.2f\n", ar_rmse(task));

  // deployment: one year per call; each forecast starts a fresh stream over its 10 years
  auto state = net.make_state();
  double worst = 0;
  for (std::size_t i = 0; i < task.test.size(); ++i) {
    state.reset();
    nn::net<model>::step_output_type y{};
    for (std::size_t t = 0; t < 10; ++t) y = net.step(state, nn::net<model>::step_input_type{task.test.input(i)[t]});
    worst = std::max(worst, std::abs(task.unscale(y[0]) - predicted[i]));
  }
  std::printf("streaming: %zu forecasts one year per call, largest difference from the whole-window forward %.2g\n",
              task.test.size(), worst);
  std::printf("%d: forecast %.1f, observed %.1f\n", task.test_years.back(), predicted.back(),
              task.unscale(task.test.target(task.test.size() - 1)[0]));
  return rmse <= 20 && rmse < naive_rmse(task) && worst < 1e-3 ? 0 : 1; // tests/README.md's floor
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sunspots_lstm: %s\n", e.what());
    return 1;
  }
}
