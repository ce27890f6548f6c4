// Networks with several inputs: inputs<S...> as layer 0, branches that start with from<I>. A
// recurrent branch over a window and a dense branch over static features, concatenated, are
// compared with the same layers as separate chains (parameters shared): net(x0, x1), batched
// passes, training from a dataset of inputs<...>, two cores, weight files, the summary.
#define BOOST_TEST_MODULE inputs
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/support.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {

using window = nn::sequence<6, 2>; // a price window: 6 steps of 2 values
using features = nn::shape<3>;     // static features
using two_inputs = nn::network<nn::inputs<window, features>,
                               nn::parallel<nn::concat, nn::branch<nn::from<0>, nn::lstm<4>, nn::last>,
                                            nn::branch<nn::from<1>, nn::dense<3>, nn::relu>>,
                               nn::dense<2>>;
// the same layers as chains
using window_chain = nn::network<nn::input<window>, nn::lstm<4>, nn::last>;
using features_chain = nn::network<nn::input<features>, nn::dense<3>, nn::relu>;
using head_chain = nn::network<nn::input<nn::shape<7>>, nn::dense<2>>;

constexpr std::size_t lstm_params = 4 * 4 * (2 + 4) + 2 * 4 * 4, dense_params = 3 * 3 + 3;

template <class T>
struct chains {
  nn::net<window_chain, T> w;
  nn::net<features_chain, T> f;
  nn::net<head_chain, T> h;
  explicit chains(const nn::net<two_inputs, T>& n) {
    const auto all = n.export_parameters();
    const auto part = [&](std::size_t from, std::size_t count) {
      return std::vector<T>(all.begin() + std::ptrdiff_t(from), all.begin() + std::ptrdiff_t(from + count));
    };
    w.import_parameters(part(0, lstm_params));
    f.import_parameters(part(lstm_params, dense_params));
    h.import_parameters(part(lstm_params + dense_params, all.size() - lstm_params - dense_params));
  }
  nn::tensor<T, nn::shape<2>> operator()(const nn::tensor<T, window>& x0, const nn::tensor<T, features>& x1) const {
    const auto a = w(x0);
    const auto b = f(x1);
    nn::tensor<T, nn::shape<7>> joined;
    std::copy(a.begin(), a.end(), joined.begin());
    std::copy(b.begin(), b.end(), joined.begin() + 4);
    return h(joined);
  }
};

template <class T>
std::tuple<nn::tensor<T, window>, nn::tensor<T, features>> sample(nn::rng& gen) {
  std::tuple<nn::tensor<T, window>, nn::tensor<T, features>> x;
  for (auto& v : std::get<0>(x)) v = T(gen.uniform(-1, 1));
  for (auto& v : std::get<1>(x)) v = T(gen.uniform(-1, 1));
  return x;
}

/// Targets: the mean of the window's first column, and that times the first static feature.
template <class T>
nn::dataset<T, nn::inputs<window, features>, nn::shape<2>> market(std::size_t n, std::uint64_t seed) {
  nn::rng gen(seed);
  nn::dataset<T, nn::inputs<window, features>, nn::shape<2>> d;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = sample<T>(gen);
    T mean = 0;
    for (std::size_t t = 0; t < 6; ++t) mean += std::get<0>(x)[t * 2] / T(6);
    d.push_back(x, nn::tensor<T, nn::shape<2>>{mean, mean * std::get<1>(x)[0]});
  }
  return d;
}

double max_diff(const auto& a, const auto& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

} // namespace

BOOST_AUTO_TEST_CASE(each_branch_reads_its_input) {
  static_assert(std::is_same_v<nn::net<two_inputs>::input_shape, nn::inputs<window, features>>);
  static_assert(nn::net<two_inputs>::input_size == 12 + 3);
  static_assert(two_inputs::param_count == lstm_params + dense_params + 7 * 2 + 2);
  const auto n = nn::make<two_inputs>(nn::init::pytorch_default{}, 3);
  const chains<float> c(n);
  nn::rng gen(4);
  for (int i = 0; i < 10; ++i) {
    const auto [prices, statics] = sample<float>(gen);
    const auto y = n(prices, statics);
    BOOST_TEST(max_diff(y, c(prices, statics)) <= 1e-6);
    // the row of both inputs, one after the other, is the same call
    nn::tensor<float, nn::inputs<window, features>> row;
    std::copy(prices.begin(), prices.end(), row.begin());
    std::copy(statics.begin(), statics.end(), row.begin() + 12);
    BOOST_TEST(max_diff(n(row), y) == 0);
  }
  // batched inference and predict agree with single samples
  const auto data = market<float>(20, 5);
  const auto all = nn::predict(n, data);
  for (std::size_t i = 0; i < data.size(); ++i) BOOST_TEST(max_diff(all[i], n(data.input_tensor(i))) <= 1e-6);
  // the summary names the inputs
  const std::string s = nn::summary<two_inputs>();
  BOOST_TEST(s.find("inputs<sequence<6, 2>, shape<3>>") != std::string::npos);
  BOOST_TEST(s.find("from<1>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(trains_from_a_dataset_of_both_inputs) {
  auto n = nn::make<two_inputs>(nn::init::pytorch_default{}, 7);
  const auto train = market<float>(512, 8), test = market<float>(128, 9);
  nn::trainer fit{n, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  const double before = fit.evaluate(test).loss;
  fit.train(train, {.epochs = 40, .batch = 32, .log = nullptr});
  const double after = fit.evaluate(test).loss;
  BOOST_TEST(after < 0.2 * before);
  // two cores give one core's result up to rounding
  auto one = nn::make<two_inputs, double>(nn::init::pytorch_default{}, 10);
  auto two = one;
  const auto data = market<double>(64, 11);
  nn::trainer a{one, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  nn::trainer b{two, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  b.set_threads(2, false);
  a.train(data, {.epochs = 2, .batch = 32, .shuffle = false, .log = nullptr});
  b.train(data, {.epochs = 2, .batch = 32, .shuffle = false, .log = nullptr});
  BOOST_TEST(max_diff(one.export_parameters(), two.export_parameters()) <= 1e-12);
  // weight files
  char dir[] = "/tmp/ctnn_inputs_XXXXXX";
  BOOST_REQUIRE(mkdtemp(dir));
  const std::string path = std::string(dir) + "/two_inputs.ctnn";
  nn::save(n, path);
  auto m = nn::make<two_inputs>(nn::init::pytorch_default{}, 99);
  nn::load(m, path);
  BOOST_TEST(max_diff(m(test.input_tensor(3)), n(test.input_tensor(3))) == 0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(an_input_may_feed_several_branches) {
  // input 0 read by two branches: its gradient is the sum of both (finite differences elsewhere)
  using model =
      nn::network<nn::inputs<nn::shape<4>, nn::shape<2>>,
                  nn::parallel<nn::add, nn::branch<nn::from<0>, nn::dense<3>>,
                               nn::branch<nn::from<0>, nn::dense<3>, nn::tanh>, nn::branch<nn::from<1>, nn::dense<3>>>>;
  const auto n = nn::make<model>(nn::init::pytorch_default{}, 12);
  const nn::tensor<float, nn::shape<4>> a{1, -2, 0.5f, 3};
  const nn::tensor<float, nn::shape<2>> b{0.25f, -1};
  const auto y = n(a, b);
  const auto p = n.export_parameters(); // three dense layers, in branch order
  for (std::size_t o = 0; o < 3; ++o) {
    float d0 = p[12 + o], d1 = p[15 + 12 + o], d2 = p[30 + 6 + o];
    for (std::size_t i = 0; i < 4; ++i) {
      d0 += p[o * 4 + i] * a[i];
      d1 += p[15 + o * 4 + i] * a[i];
    }
    for (std::size_t i = 0; i < 2; ++i) d2 += p[30 + o * 2 + i] * b[i];
    BOOST_TEST(std::abs(y[o] - (d0 + std::tanh(d1) + d2)) <= 1e-5);
  }
}
