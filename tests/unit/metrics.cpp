// evaluate() returns the metrics beside the loss: accuracy, precision, recall, F1 and the
// confusion matrix for classification, RMSE and MAE for regression, on networks whose outputs
// are their inputs (weights set to the identity), so that every count is known; predictions over
// a dataset (outputs, probabilities, classes), datasets from arrays and split by fraction.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn = ctnn;

namespace {
/// dense<N> with the identity as weights: y = x.
template <std::size_t N>
auto identity_net() {
  using model = nn::network<nn::input<nn::shape<N>>, nn::dense<N>>;
  nn::net<model> n;
  std::vector<float> p(N * N + N, 0.f);
  for (std::size_t i = 0; i < N; ++i) p[i * N + i] = 1.f;
  n.import_parameters(p);
  return n;
}
} // namespace

BOOST_AUTO_TEST_CASE(classification_counts_precision_recall_f1) {
  auto net = identity_net<3>();
  nn::dataset<float, nn::shape<3>, nn::shape<1>> data;
  // (true class, predicted class): 0->0 twice, 0->1 once, 1->1 twice, 2->1 once, 2->2 once
  const int pairs[][2] = {{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {2, 1}, {2, 2}};
  for (const auto& [t, p] : pairs) {
    nn::tensor<float, nn::shape<3>> x{};
    x[std::size_t(p)] = 1.f; // the output's largest value is the predicted class
    data.push_back(x, {float(t)});
  }
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{}};
  const auto e = fit.evaluate(data);
  BOOST_REQUIRE(e.classification);
  BOOST_TEST(!e.regression);
  const auto& c = *e.classification;
  BOOST_TEST(c.classes == 3u);
  BOOST_TEST(c.count(0, 0) == 2u);
  BOOST_TEST(c.count(0, 1) == 1u);
  BOOST_TEST(c.count(2, 1) == 1u);
  BOOST_TEST(c.count(1, 0) == 0u);
  BOOST_TEST(c.accuracy == 5.0 / 7.0);
  BOOST_TEST(e.metric == 5.0 / 7.0);
  // class 1: predicted 4 times, 2 right; actual 2, both found
  BOOST_TEST(c.precision[1] == 0.5);
  BOOST_TEST(c.recall[1] == 1.0);
  BOOST_TEST(std::abs(c.f1[1] - 2.0 / 3.0) < 1e-12);
  BOOST_TEST(c.precision[0] == 1.0);
  BOOST_TEST(std::abs(c.recall[0] - 2.0 / 3.0) < 1e-12);
  BOOST_TEST(c.precision[2] == 1.0);
  BOOST_TEST(c.recall[2] == 0.5);
  const double f1_0 = 2 * (2.0 / 3.0) / (1 + 2.0 / 3.0), f1_2 = 2 * 0.5 / 1.5;
  BOOST_TEST(std::abs(c.macro_f1 - (f1_0 + 2.0 / 3.0 + f1_2) / 3) < 1e-12);
  BOOST_TEST(c.confusion_table().find("       2       1       0") != std::string::npos, c.confusion_table());
}

BOOST_AUTO_TEST_CASE(binary_classification_by_the_sign_of_the_logit) {
  auto net = identity_net<1>();
  nn::dataset<float, nn::shape<1>, nn::shape<1>> data;
  const float rows[][2] = {{2.f, 1.f}, {-1.f, 0.f}, {0.5f, 0.f}, {-3.f, 1.f}, {1.f, 1.f}};
  for (const auto& [z, t] : rows) data.push_back({z}, {t});
  nn::trainer fit{net, nn::loss::bce_with_logits{}, nn::optim::sgd{}};
  const auto c = *fit.evaluate(data).classification;
  BOOST_TEST(c.classes == 2u);
  BOOST_TEST(c.count(1, 1) == 2u); // true positives
  BOOST_TEST(c.count(0, 1) == 1u); // false positive
  BOOST_TEST(c.count(1, 0) == 1u); // false negative
  BOOST_TEST(c.count(0, 0) == 1u);
  BOOST_TEST(std::abs(c.precision[1] - 2.0 / 3.0) < 1e-12);
  BOOST_TEST(std::abs(c.recall[1] - 2.0 / 3.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(regression_rmse_and_mae) {
  auto net = identity_net<2>();
  nn::dataset<float, nn::shape<2>, nn::shape<2>> data;
  data.push_back({1.f, 2.f}, {1.f, 0.f});   // errors 0, 2
  data.push_back({0.f, -1.f}, {3.f, -1.f}); // errors -3, 0
  for (auto loss_kind : {0, 1, 2}) {
    nn::evaluation e;
    if (loss_kind == 0) e = nn::trainer{net, nn::loss::mse{}, nn::optim::sgd{}}.evaluate(data);
    if (loss_kind == 1) e = nn::trainer{net, nn::loss::mae{}, nn::optim::sgd{}}.evaluate(data);
    if (loss_kind == 2) e = nn::trainer{net, nn::loss::huber{.delta = 1.0}, nn::optim::sgd{}}.evaluate(data);
    BOOST_REQUIRE(e.regression);
    BOOST_TEST(!e.classification);
    BOOST_TEST(std::abs(e.regression->rmse - std::sqrt(13.0 / 4)) < 1e-12);
    BOOST_TEST(e.regression->mae == 5.0 / 4);
  }
  // huber's value: 0, 1.5, 2.5, 0 (delta 1) -> mean 1
  BOOST_TEST(std::abs(nn::trainer{net, nn::loss::huber{}, nn::optim::sgd{}}.evaluate(data).loss - 1.0) < 1e-6);
}

BOOST_AUTO_TEST_CASE(predict_over_a_dataset_probabilities_and_classes) {
  auto net = identity_net<3>();
  const std::vector<float> xs = {1, 2, 0, 0, 0, 3, -1, -1, -2, 5, 4, 4};
  const std::vector<float> ts = {1, 2, 0, 0};
  const auto data = nn::dataset<float, nn::shape<3>, nn::shape<1>>::from(xs, ts);
  BOOST_TEST(data.size() == 4u);
  const auto out = nn::predict(net, data);
  BOOST_TEST(out[1][2] == 3.f);
  BOOST_TEST((nn::predict_classes(net, data) == std::vector<std::size_t>{1, 2, 0, 0}));
  const auto p = nn::predict_probabilities(net, data);
  for (const auto& row : p) BOOST_TEST(std::abs(row[0] + row[1] + row[2] - 1.f) < 1e-6f);
  BOOST_TEST(std::abs(p[0][1] - std::exp(2.f) / (std::exp(1.f) + std::exp(2.f) + 1.f)) < 1e-6f);
  BOOST_CHECK_THROW((nn::dataset<float, nn::shape<3>, nn::shape<1>>::from(std::vector<float>(7), ts)),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(predict_and_call_on_plain_containers_and_evaluate_without_an_optimizer) {
  auto net = identity_net<3>();
  // inputs as tensors in a vector (or a span of them): the same as a dataset of them
  const std::vector<nn::tensor<float, nn::shape<3>>> xs = {{1, 2, 0}, {0, 0, 3}, {-1, -1, -2}, {5, 4, 4}};
  BOOST_TEST((nn::predict_classes(net, xs) == std::vector<std::size_t>{1, 2, 0, 0}));
  BOOST_TEST(nn::predict(net, xs)[1][2] == 3.f);
  BOOST_TEST(nn::predict_probabilities(net, std::span<const nn::tensor<float, nn::shape<3>>>(xs)).size() == 4u);
  // one sample from a vector or a span of run-time size: checked
  const std::vector<float> v = {5, 4, 4};
  BOOST_TEST(net(v)[0] == 5.f);
  BOOST_TEST(net(std::span<const float>(v))[2] == 4.f);
  try {
    (void)net(std::vector<float>(4));
    BOOST_FAIL("an input of 4 values was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("an input of 4 values; the network takes 3 (shape<3>)") != std::string::npos,
               e.what());
  }
  // evaluate with a loss alone: what a trainer's evaluate gives
  const std::vector<float> flat = {1, 2, 0, 0, 0, 3, -1, -1, -2, 5, 4, 4};
  const auto data = nn::dataset<float, nn::shape<3>, nn::shape<1>>::from(flat, std::vector<float>{1, 2, 0, 1});
  const auto alone = nn::evaluate(net, data, nn::loss::softmax_cross_entropy{});
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
  const auto with_trainer = fit.evaluate(data);
  BOOST_TEST(alone.loss == with_trainer.loss);
  BOOST_TEST(alone.metric == 0.75);
  BOOST_TEST(alone.classification->confusion == with_trainer.classification->confusion);
  BOOST_CHECK_THROW((void)nn::evaluate(net, decltype(data){}, nn::loss::softmax_cross_entropy{}),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(split_by_fraction_with_a_seed) {
  nn::dataset<float, nn::shape<1>, nn::shape<1>> data;
  for (int i = 0; i < 100; ++i) data.push_back({float(i)}, {float(i)});
  const auto [a, b] = data.split(0.8, 7);
  BOOST_TEST(a.size() == 80u);
  BOOST_TEST(b.size() == 20u);
  const auto [c, d] = data.split(0.8, 7);
  BOOST_TEST((std::vector<float>(b.inputs().begin(), b.inputs().end()) ==
              std::vector<float>(d.inputs().begin(), d.inputs().end())));
  const auto [e, f] = data.split(0.8, 8);
  BOOST_TEST((std::vector<float>(b.inputs().begin(), b.inputs().end()) !=
              std::vector<float>(f.inputs().begin(), f.inputs().end())));
  std::vector<float> all(a.inputs().begin(), a.inputs().end());
  all.insert(all.end(), b.inputs().begin(), b.inputs().end());
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 100; ++i) BOOST_TEST(all[std::size_t(i)] == float(i)); // every sample once
  BOOST_CHECK_THROW(data.split(1.5), std::invalid_argument);
}
