// Networks with several heads: heads<branch<...>...> ends a network, net(x) returns one tensor
// per head, and the trainer takes one loss per head (loss::heads) with weights. Each head is
// compared with the same layers as a chain (trunk then that head), parameters shared: outputs,
// training (a head of weight 0 leaves the rest training as the other head's chain alone), per-head
// reports, evaluate, predict, two cores, weight files.
#define BOOST_TEST_MODULE heads
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/support.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {

// a policy over 3 moves and a value in (-1, 1) on one trunk
using policy_head = nn::branch<nn::dense<5>, nn::relu, nn::dense<3>>;
using value_head = nn::branch<nn::dense<1>, nn::tanh>;
using two_heads = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu, nn::heads<policy_head, value_head>>;
// the same layers as chains: trunk + policy, trunk + value
using policy_chain = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu, nn::dense<5>, nn::relu, nn::dense<3>>;
using value_chain = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu, nn::dense<1>, nn::tanh>;

constexpr std::size_t trunk_params = 6 * 8 + 8, policy_params = 8 * 5 + 5 + 5 * 3 + 3, value_params = 8 + 1;

/// The chains holding the heads network's parameters (PyTorch order: trunk, head 0, head 1).
template <class T>
std::pair<nn::net<policy_chain, T>, nn::net<value_chain, T>> chains_of(const nn::net<two_heads, T>& n) {
  const auto all = n.export_parameters();
  std::vector<T> p(all.begin(), all.begin() + trunk_params + policy_params);
  std::vector<T> v(all.begin(), all.begin() + trunk_params);
  v.insert(v.end(), all.begin() + trunk_params + policy_params, all.end());
  return {nn::net<policy_chain, T>(p), nn::net<value_chain, T>(v)};
}

/// Samples whose class is the largest of three sums of inputs and whose value is tanh of one.
template <class T>
nn::dataset<T, nn::shape<6>, nn::shape<2>> games(std::size_t n, std::uint64_t seed) {
  nn::rng gen(seed);
  nn::dataset<T, nn::shape<6>, nn::shape<2>> d;
  for (std::size_t i = 0; i < n; ++i) {
    nn::tensor<T, nn::shape<6>> x;
    for (auto& v : x) v = T(gen.uniform(-1, 1));
    const T s[3] = {x[0] + x[1], x[2] + x[3], x[4] + x[5]};
    const auto cls = T(std::max_element(s, s + 3) - s);
    d.push_back(x, nn::tensor<T, nn::shape<2>>{cls, std::tanh(x[0] - x[5])});
  }
  return d;
}

double max_diff(const auto& a, const auto& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_heads_are_the_network_outputs) {
  static_assert(nn::net<two_heads>::head_count == 2);
  static_assert(std::is_same_v<nn::net<two_heads>::output_type,
                               std::tuple<nn::tensor<float, nn::shape<3>>, nn::tensor<float, nn::shape<1>>>>);
  static_assert(std::is_same_v<two_heads::output_shape, nn::shape<4>>); // every head's values, head after head
  static_assert(two_heads::param_count == trunk_params + policy_params + value_params);
  auto n = nn::make<two_heads>(nn::init::pytorch_default{}, 3);
  const auto [policy_net, value_net] = chains_of(n);
  const auto data = games<float>(20, 1);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto x = data.input_tensor(i);
    const auto [policy, value] = n(x);
    BOOST_TEST(max_diff(policy, policy_net(x)) <= 1e-6);
    BOOST_TEST(max_diff(value, value_net(x)) <= 1e-6);
    // the flat form: the heads one after the other
    float flat[4];
    n(x.data(), flat);
    BOOST_TEST(flat[0] == policy[0]);
    BOOST_TEST(flat[3] == value[0]);
  }
  // predict: a tuple per sample
  const auto all = nn::predict(n, data);
  BOOST_REQUIRE_EQUAL(all.size(), data.size());
  BOOST_TEST(max_diff(std::get<1>(all[7]), value_net(data.input_tensor(7))) <= 1e-6);
  // a summary shows each head as a branch
  const std::string s = nn::summary<two_heads>();
  BOOST_TEST(s.find("heads") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_head_of_weight_zero_leaves_the_other_training_as_its_chain) {
  // head 1's weight is 0: the trunk and the policy head learn as the policy chain alone, and the
  // value head (no gradient, plain SGD) does not move
  using T = double;
  auto n = nn::make<two_heads, T>(nn::init::pytorch_default{}, 5);
  auto [policy_net, value_net] = chains_of(n);
  const auto data = games<T>(48, 2);
  nn::dataset<T, nn::shape<6>, nn::shape<1>> classes;
  for (std::size_t i = 0; i < data.size(); ++i) classes.push_back(data.input_tensor(i), {data.target(i)[0]});
  const auto before = n.export_parameters();

  nn::trainer fit{n, nn::loss::heads<nn::loss::softmax_cross_entropy, nn::loss::mse>{.weights = {1, 0}},
                  nn::optim::sgd{.lr = 0.1}};
  const auto report = fit.train(data, {.epochs = 3, .batch = 16, .shuffle = false, .log = nullptr});
  nn::trainer alone{policy_net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{.lr = 0.1}};
  const auto reference = alone.train(classes, {.epochs = 3, .batch = 16, .shuffle = false, .log = nullptr});

  const auto after = n.export_parameters();
  const auto chain = policy_net.export_parameters();
  BOOST_TEST(max_diff(std::vector<T>(after.begin(), after.begin() + trunk_params + policy_params), chain) <= 1e-12);
  BOOST_TEST(max_diff(std::vector<T>(after.end() - value_params, after.end()),
                      std::vector<T>(before.end() - value_params, before.end())) == 0);
  // the reported loss is the weighted sum: here head 0's, which is the chain's
  BOOST_REQUIRE_EQUAL(report.history.size(), 3u);
  for (std::size_t e = 0; e < 3; ++e) {
    BOOST_TEST(std::abs(report.history[e].train.loss - reference.history[e].train.loss) <= 1e-12);
    BOOST_REQUIRE_EQUAL(report.history[e].train.heads.size(), 2u);
    BOOST_TEST(std::abs(report.history[e].train.heads[0].loss - reference.history[e].train.loss) <= 1e-12);
    BOOST_TEST(std::abs(report.history[e].train.heads[0].metric - reference.history[e].train.metric) <= 1e-12);
  }
  BOOST_TEST(report.metric_name == "accuracy");
  BOOST_TEST((report.head_metric_names == std::vector<std::string>{"accuracy", "rmse"}));
}

BOOST_AUTO_TEST_CASE(the_loss_is_the_weighted_sum_of_the_heads_losses) {
  auto n = nn::make<two_heads>(nn::init::pytorch_default{}, 7);
  const auto [policy_net, value_net] = chains_of(n);
  const auto data = games<float>(40, 3);
  nn::dataset<float, nn::shape<6>, nn::shape<1>> classes, values;
  for (std::size_t i = 0; i < data.size(); ++i) {
    classes.push_back(data.input_tensor(i), {data.target(i)[0]});
    values.push_back(data.input_tensor(i), {data.target(i)[1]});
  }
  const nn::loss::heads<nn::loss::softmax_cross_entropy, nn::loss::mse> losses{.weights = {1, 0.5}};
  const auto e = nn::evaluate(n, data, losses);
  const auto e0 = nn::evaluate(policy_net, classes, nn::loss::softmax_cross_entropy{});
  const auto e1 = nn::evaluate(value_net, values, nn::loss::mse{});
  BOOST_REQUIRE_EQUAL(e.heads.size(), 2u);
  BOOST_TEST(std::abs(e.heads[0].loss - e0.loss) <= 1e-6);
  BOOST_TEST(std::abs(e.heads[1].loss - e1.loss) <= 1e-6);
  BOOST_TEST(std::abs(e.loss - (e0.loss + 0.5 * e1.loss)) <= 1e-6);
  BOOST_TEST(e.heads[0].metric == e0.metric); // accuracy
  BOOST_TEST(std::abs(e.heads[1].metric - e1.metric) <= 1e-6);
  BOOST_TEST(e.metric == e.heads[0].metric);
  // each head's own metrics: a confusion matrix for the policy, RMSE and MAE for the value
  BOOST_REQUIRE(e.heads[0].classification.has_value());
  BOOST_TEST(e.heads[0].classification->confusion == e0.classification->confusion);
  BOOST_REQUIRE(e.heads[1].regression.has_value());
  BOOST_TEST(std::abs(e.heads[1].regression->mae - e1.regression->mae) <= 1e-6);
}

BOOST_AUTO_TEST_CASE(two_heads_learn_together_and_report_each) {
  auto n = nn::make<two_heads>(nn::init::pytorch_default{}, 11);
  const auto train = games<float>(512, 4), test = games<float>(256, 5);
  nn::trainer fit{n, nn::loss::heads<nn::loss::softmax_cross_entropy, nn::loss::mse>{.weights = {1, 0.5}},
                  nn::optim::adam{.lr = 0.01}};
  const auto before = fit.evaluate(test);
  std::ostringstream log;
  const auto report = fit.train(train, {.epochs = 30, .batch = 32, .validation = std::cref(test), .log = &log});
  const auto after = fit.evaluate(test);
  BOOST_TEST(after.heads[0].loss < 0.5 * before.heads[0].loss);
  BOOST_TEST(after.heads[1].loss < 0.5 * before.heads[1].loss);
  BOOST_TEST(after.heads[0].metric > 0.85); // accuracy of the policy head
  BOOST_REQUIRE(report.history.back().validation.has_value());
  BOOST_TEST(report.history.back().validation->heads.size() == 2u);
  // the log names each head's loss and metric
  BOOST_TEST(log.str().find("head0 loss") != std::string::npos);
  BOOST_TEST(log.str().find("val_head1 loss") != std::string::npos);
  BOOST_TEST(log.str().find("rmse") != std::string::npos);
  // and the history's CSV has a column per head
  char dir[] = "/tmp/ctnn_heads_XXXXXX";
  BOOST_REQUIRE(mkdtemp(dir));
  const std::string csv = std::string(dir) + "/history.csv";
  report.write_csv(csv);
  std::ifstream f(csv);
  std::string header;
  std::getline(f, header);
  BOOST_TEST(header.find("head1_rmse") != std::string::npos);
  BOOST_TEST(header.find("val_head0_accuracy") != std::string::npos);
  // weight files: a network with heads saves and loads like any other
  const std::string weights = std::string(dir) + "/heads.ctnn";
  nn::save(n, weights);
  auto m = nn::make<two_heads>(nn::init::pytorch_default{}, 99);
  nn::load(m, weights);
  const auto x = test.input_tensor(0);
  BOOST_TEST(max_diff(std::get<0>(m(x)), std::get<0>(n(x))) == 0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(two_cores_train_heads_as_one) {
  const auto data = games<double>(64, 6);
  const nn::loss::heads<nn::loss::softmax_cross_entropy, nn::loss::mse> losses{.weights = {1, 0.25}};
  auto one = nn::make<two_heads, double>(nn::init::pytorch_default{}, 13);
  auto two = one;
  nn::trainer a{one, losses, nn::optim::adam{.lr = 0.01}};
  nn::trainer b{two, losses, nn::optim::adam{.lr = 0.01}};
  b.set_threads(2, false);
  const auto ra = a.train(data, {.epochs = 2, .batch = 32, .shuffle = false, .log = nullptr});
  const auto rb = b.train(data, {.epochs = 2, .batch = 32, .shuffle = false, .log = nullptr});
  BOOST_TEST(max_diff(one.export_parameters(), two.export_parameters()) <= 1e-12);
  BOOST_TEST(std::abs(ra.history[1].train.heads[1].loss - rb.history[1].train.heads[1].loss) <= 1e-12);
}
