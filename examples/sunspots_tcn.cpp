// Forecasting yearly sunspot numbers with a temporal convolutional network (causal, dilated
// conv1d over time), trained in C++ on windows, then deployed as one stream over 309 years.
//
//   build/<compiler>/examples/sunspots_tcn [epochs]      (default 300)
//
// The series (1700-2008) comes from Debian's python3-statsmodels data files, fetched into the
// cache and extracted, not installed; z-scored with the mean and spread of 1700-1958. Training
// samples are the 32-year windows inside 1700-1958, with a target at every step: the next
// year's value. The network predicts at every step (per_step<dense<1>>), seeing the 15 years up
// to it (kernel 3, dilations 1, 2, 4).
//
// Deployment: a stream reads one year per call from 1700 on and forecasts the next year; its test
// RMSE is over the forecasts of 1959-2008, the same years as examples/sunspots_lstm.cpp. The
// stream's state is each layer's ring of its last (3 - 1) d + 1 inputs; wherever a 32-year window
// covers the 15-year receptive field, the stream and the whole-window forward agree bit for bit.
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

namespace nn = ctnn;

constexpr std::size_t window = 32;
using model = nn::network<nn::input<nn::sequence<window, 1>>,                       // 32 years, one value each
                          nn::conv1d<16, 3, nn::causal>, nn::relu,                  // sees years t-2..t
                          nn::conv1d<16, 3, nn::causal, nn::dilation<2>>,           // t-6..t
                          nn::relu, nn::conv1d<16, 3, nn::causal, nn::dilation<4>>, // t-14..t
                          nn::relu, nn::per_step<nn::dense<1>>>;                    // next year, at every step
constexpr std::size_t receptive_field = 1 + 2 * (1 + 2 + 4);

namespace {

int run(int argc, char** argv) {
  const std::size_t epochs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 300;
  const auto series = nn::datasets::load_sunspots();
  const std::size_t last_train = 1958 - series.years.front(); // index of 1958
  double mean = 0, spread = 0;
  for (std::size_t i = 0; i <= last_train; ++i) mean += series.values[i];
  mean /= double(last_train + 1);
  for (std::size_t i = 0; i <= last_train; ++i) spread += (series.values[i] - mean) * (series.values[i] - mean);
  spread = std::sqrt(spread / double(last_train + 1));
  std::vector<float> z(series.values.size());
  for (std::size_t i = 0; i < z.size(); ++i) z[i] = float((series.values[i] - mean) / spread);

  // every 32-year window whose targets (the next years) are training years
  nn::dataset<float, nn::sequence<window, 1>, nn::sequence<window, 1>> train;
  for (std::size_t start = 0; start + window <= last_train; ++start)
    train.push_back(std::span<const float, window>(z.data() + start, window),
                    std::span<const float, window>(z.data() + start + 1, window));
  std::printf("sunspots_tcn: %zu training windows of %zu years (targets up to 1958); %zu parameters, receptive "
              "field %zu years\n",
              train.size(), window, model::param_count, receptive_field);

  auto net = nn::make<model>(nn::init::pytorch_default{}, 3);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.003}};
  const auto t0 = std::chrono::steady_clock::now();
  fit.train(train, {.epochs = epochs, .batch = 32, .seed = 5, .log = nullptr});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // deployment: one stream from 1700, one year per call; forecast[i] is the forecast of year i + 1
  auto state = net.make_state();
  std::vector<double> forecast(z.size() - 1);
  const auto s0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i + 1 < z.size(); ++i)
    forecast[i] = net.step(state, nn::net<model>::step_input_type{z[i]})[0];
  const double ns_per_step =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - s0).count() / double(forecast.size());
  double se = 0, naive = 0;
  std::size_t n = 0;
  for (std::size_t i = last_train; i + 1 < z.size(); ++i, ++n) { // forecasts of 1959-2008
    const double e = forecast[i] * spread - (series.values[i + 1] - mean);
    const double e0 = series.values[i] - series.values[i + 1];
    se += e * e;
    naive += e0 * e0;
  }
  const double rmse = std::sqrt(se / double(n)), naive_rmse = std::sqrt(naive / double(n));

  // the stream against the whole-window forward over the last 32 years: equal wherever the
  // window holds the whole receptive field
  nn::net<model>::input_type last_window;
  const std::size_t start = z.size() - 1 - window;
  std::copy_n(z.data() + start, window, last_window.data());
  const auto whole = net(last_window);
  std::size_t equal = 0;
  for (std::size_t t = receptive_field - 1; t < window; ++t) equal += whole[t] == float(forecast[start + t]);

  std::printf("trained %zu epochs in %.2f s\n", epochs, seconds);
  std::printf("test RMSE (forecasts of 1959-2008, one stream from 1700): %.2f\n", rmse);
  std::printf("naive last-value RMSE: %.2f\n", naive_rmse);
  std::printf("stream: %.0f ns per year; %zu of %zu forecasts equal the whole-window forward bit for bit\n",
              ns_per_step, equal, window - receptive_field + 1);
  std::printf("2008: forecast %.1f, observed %.1f\n", forecast.back() * spread + mean, series.values.back());
  return rmse < naive_rmse && equal == window - receptive_field + 1 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sunspots_tcn: %s\n", e.what());
    return 1;
  }
}
