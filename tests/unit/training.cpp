// Optimizers' formulas, and the trainer: convergence, determinism, validation, early stopping
// with restoration of the best weights, divergence (NaN) handling, rejection of bad targets.
#define BOOST_TEST_MODULE training
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

namespace nn = ctnn;
namespace tt = boost::test_tools;

namespace {

/// (Hyperparameters below are exact in float, so float and double arithmetic see the same values;
/// Adam's betas and eps are not, hence its looser comparison.)
/// Runs `steps` optimizer steps on n = 19 parameters (not a multiple of the lane width) with a
/// gradient that depends on the step, and returns the weights.
template <class Optim>
std::vector<double> run_optimizer(const Optim& opt, int steps) {
  constexpr std::size_t n = 19;
  nn::aligned_buffer<double> w(n), g(n), state(Optim::template state_size<double>(n));
  for (std::size_t i = 0; i < n; ++i) w[i] = 0.1 * double(i) - 0.7;
  for (int t = 1; t <= steps; ++t) {
    for (std::size_t i = 0; i < n; ++i) g[i] = std::sin(double(i + 1) * t) + 0.3 * w[i];
    opt.step(w.data(), g.data(), state.data(), n, t);
  }
  return {w.begin(), w.end()};
}

/// The same loop with the formulas of torch.optim written out plainly.
std::vector<double> expected(int steps, double lr, double mu, double wd, bool nesterov, bool adam, bool adamw) {
  constexpr std::size_t n = 19;
  std::vector<double> w(n), b(n), m(n), v(n), g(n);
  for (std::size_t i = 0; i < n; ++i) w[i] = 0.1 * double(i) - 0.7;
  for (int t = 1; t <= steps; ++t) {
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = std::sin(double(i + 1) * t) + 0.3 * w[i];
      if (!adam) {
        double d = g[i] + wd * w[i];
        if (mu != 0) {
          b[i] = t == 1 ? d : mu * b[i] + d;
          d = nesterov ? d + mu * b[i] : b[i];
        }
        w[i] -= lr * d;
      } else {
        double d = g[i];
        if (adamw)
          w[i] *= 1 - lr * wd;
        else
          d += wd * w[i];
        m[i] = 0.9 * m[i] + 0.1 * d;
        v[i] = 0.999 * v[i] + 0.001 * d * d;
        const double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.999, t));
        w[i] -= lr * mh / (std::sqrt(vh) + 1e-8);
      }
    }
  }
  return w;
}

} // namespace

BOOST_AUTO_TEST_CASE(optimizers_follow_pytorch_formulas) {
  auto close = [](const std::vector<double>& a, const std::vector<double>& b, double tol = 1e-12) {
    return nn::test::scaled_error(a, b) <= tol;
  };
  BOOST_TEST(close(run_optimizer(nn::optim::sgd{.lr = 0.125f}, 5), expected(5, 0.125, 0, 0, false, false, false)));
  BOOST_TEST(close(run_optimizer(nn::optim::sgd{.lr = 0.125f, .momentum = 0.875f}, 5),
                   expected(5, 0.125, 0.875, 0, false, false, false)));
  BOOST_TEST(
      close(run_optimizer(nn::optim::sgd{.lr = 0.125f, .momentum = 0.875f, .nesterov = true, .weight_decay = 0.25f}, 5),
            expected(5, 0.125, 0.875, 0.25, true, false, false)));
  BOOST_TEST(close(run_optimizer(nn::optim::adam{.lr = 0.125f, .weight_decay = 0.25f}, 6),
                   expected(6, 0.125, 0, 0.25, false, true, false), 1e-6));
  BOOST_TEST(close(run_optimizer(nn::optim::adamw{.lr = 0.125f, .weight_decay = 0.25f}, 6),
                   expected(6, 0.125, 0, 0.25, false, true, true), 1e-6));
}

namespace {
using regressor = nn::network<nn::input<nn::shape<2>>, nn::dense<16>, nn::tanh, nn::dense<1>>;
using regression_data = nn::dataset<float, nn::shape<2>, nn::shape<1>>;

regression_data linear_data(std::size_t n, std::uint64_t seed) {
  regression_data d;
  nn::rng g(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const float a = float(g.uniform(-1, 1)), b = float(g.uniform(-1, 1));
    d.push_back(nn::tensor<float, nn::shape<2>>{a, b}, nn::tensor<float, nn::shape<1>>{0.8f * a - 0.5f * b});
  }
  return d;
}
} // namespace

BOOST_AUTO_TEST_CASE(trainer_fits_a_regression_and_reports_each_epoch) {
  auto net = nn::make<regressor>(nn::init::glorot_uniform{}, 1);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01f}};
  const auto train = linear_data(512, 1), val = linear_data(128, 2);
  const double before = fit.evaluate(val).metric;
  std::ostringstream log;
  const auto report = fit.train(train, {.epochs = 30, .batch = 32, .validation = val, .log = &log});
  BOOST_TEST(report.history.size() == 30u);
  BOOST_TEST(report.metric_name == "rmse");
  BOOST_TEST(report.history.back().validation.has_value());
  BOOST_TEST(report.history.back().validation->metric < 0.05);
  BOOST_TEST(report.history.back().validation->metric < before / 5);
  BOOST_TEST(fit.steps() == 30 * 16);
  BOOST_TEST(log.str().find("epoch 30/30  loss ") != std::string::npos);
  BOOST_TEST(log.str().find("val_rmse") != std::string::npos);
  BOOST_TEST(log.str().find("samples/s") != std::string::npos);
  // evaluate agrees with a hand computation over single-sample inference
  double se = 0;
  for (std::size_t i = 0; i < val.size(); ++i)
    se += std::pow(double(net(val.input_tensor(i))[0]) - val.target(i)[0], 2);
  BOOST_TEST(fit.evaluate(val).loss == se / double(val.size()), tt::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(same_seed_same_run_other_seed_other_run) {
  const auto data = linear_data(100, 3);
  auto run = [&](std::uint64_t shuffle_seed) {
    auto net = nn::make<regressor>(nn::init::glorot_uniform{}, 5);
    nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.05f, .momentum = 0.9f}};
    fit.train(data, {.epochs = 3, .batch = 8, .seed = shuffle_seed, .log = nullptr});
    return net.export_parameters();
  };
  BOOST_TEST(run(1) == run(1), tt::per_element());
  BOOST_TEST(run(1) != run(2));
}

BOOST_AUTO_TEST_CASE(early_stopping_restores_the_best_weights) {
  // Validation labels are the training labels flipped: fitting the training set makes the
  // validation loss worse after the first epochs, so training stops and rolls back.
  using classifier = nn::network<nn::input<nn::shape<2>>, nn::dense<8>, nn::relu, nn::dense<1>>;
  nn::dataset<float, nn::shape<2>, nn::shape<1>> train, val;
  nn::rng g(4);
  for (int i = 0; i < 200; ++i) {
    const float a = float(g.uniform(-1, 1)), b = float(g.uniform(-1, 1));
    const float label = a + b > 0 ? 1.0f : 0.0f;
    train.push_back(nn::tensor<float, nn::shape<2>>{a, b}, nn::tensor<float, nn::shape<1>>{label});
    val.push_back(nn::tensor<float, nn::shape<2>>{a, b}, nn::tensor<float, nn::shape<1>>{1.0f - label});
  }
  const nn::train_options<decltype(train)> opts{
      .epochs = 50, .batch = 20, .validation = val, .early_stopping = {.patience = 3}, .seed = 9, .log = nullptr};
  auto net = nn::make<classifier>(nn::init::he_uniform{}, 2);
  nn::trainer fit{net, nn::loss::bce_with_logits{}, nn::optim::adam{.lr = 0.05f}};
  const auto report = fit.train(train, opts);
  BOOST_TEST(report.stopped_early);
  BOOST_TEST(report.history.size() == report.best_epoch + 3);
  BOOST_TEST(report.best_loss == report.history[report.best_epoch - 1].validation->loss);
  BOOST_TEST(fit.evaluate(val).loss == report.best_loss, tt::tolerance(1e-6));

  // the same run stopped by hand after best_epoch epochs holds exactly the restored weights
  auto twin = nn::make<classifier>(nn::init::he_uniform{}, 2);
  nn::trainer fit_twin{twin, nn::loss::bce_with_logits{}, nn::optim::adam{.lr = 0.05f}};
  auto plain = opts;
  plain.epochs = report.best_epoch;
  plain.early_stopping = {};
  fit_twin.train(train, plain);
  BOOST_TEST(net.export_parameters() == twin.export_parameters(), tt::per_element());
}

BOOST_AUTO_TEST_CASE(non_finite_values_stop_training_and_keep_the_last_good_step) {
  regression_data data = linear_data(4, 6);
  const nn::train_options<regression_data> opts{.epochs = 5, .batch = 2, .shuffle = false, .log = nullptr};
  {
    // a non-finite input is refused before training, naming the sample in the dataset
    regression_data bad = data;
    bad.input(3)[0] = std::numeric_limits<float>::infinity();
    auto n = nn::make<regressor>(nn::init::glorot_uniform{}, 7);
    const auto before = n.export_parameters();
    nn::trainer f{n, nn::loss::mse{}, nn::optim::adam{.lr = 0.01f}};
    try {
      f.train(bad, opts);
      BOOST_FAIL("an infinite input was accepted");
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find("training sample 3 has a non-finite input") != std::string::npos, e.what());
    }
    auto with_validation = opts;
    with_validation.validation = std::cref(bad);
    BOOST_CHECK_THROW(f.train(data, with_validation), std::invalid_argument); // validation samples too
    BOOST_TEST(n.export_parameters() == before, tt::per_element());
  }
  // Inputs are checked before training; an infinite value that appears during it (here put there by
  // the first step's callback) still stops training: tanh saturates so the loss may stay finite,
  // but the gradients do not.
  auto poisoned = opts;
  poisoned.on_step = [&data](const nn::step_info&) {
    data.input(2)[0] = std::numeric_limits<float>::infinity(); // the second batch of two
    return true;
  };

  auto net = nn::make<regressor>(nn::init::glorot_uniform{}, 7);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01f}};
  const auto report = fit.train(data, poisoned);
  BOOST_TEST(report.diverged);
  BOOST_TEST(report.divergence.find("epoch 1, step 2") != std::string::npos, report.divergence);
  BOOST_TEST(report.divergence.find("non-finite") != std::string::npos, report.divergence);
  BOOST_TEST(fit.steps() == 1);

  auto twin = nn::make<regressor>(nn::init::glorot_uniform{}, 7);
  nn::trainer fit_twin{twin, nn::loss::mse{}, nn::optim::adam{.lr = 0.01f}};
  auto first_batch = opts;
  first_batch.epochs = 1;
  fit_twin.train(data.subset([](std::size_t i) { return i < 2; }), first_batch);
  BOOST_TEST(net.export_parameters() == twin.export_parameters(), tt::per_element());
  for (float v : net.export_parameters()) BOOST_TEST(std::isfinite(v));

  // and a NaN target makes the loss itself NaN
  regression_data nan_data = linear_data(4, 6);
  nan_data.target(3)[0] = std::numeric_limits<float>::quiet_NaN();
  auto net2 = nn::make<regressor>(nn::init::glorot_uniform{}, 7);
  nn::trainer fit2{net2, nn::loss::mse{}, nn::optim::adam{.lr = 0.01f}};
  BOOST_CHECK_THROW(fit2.train(nan_data, opts), std::invalid_argument); // rejected up front
}

BOOST_AUTO_TEST_CASE(bad_targets_are_rejected_before_training) {
  using classifier = nn::network<nn::input<nn::shape<2>>, nn::dense<3>>;
  auto net = nn::make<classifier>(nn::init::he_uniform{}, 2);
  const auto before = net.export_parameters();
  nn::dataset<float, nn::shape<2>, nn::shape<1>> data;
  for (float label : {0.0f, 2.0f, 1.0f, 3.0f})
    data.push_back(nn::tensor<float, nn::shape<2>>{1, 2}, nn::tensor<float, nn::shape<1>>{label});
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{}};
  try {
    fit.train(data, {.log = nullptr});
    BOOST_FAIL("a class index out of range was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("training sample 3") != std::string::npos, e.what());
  }
  BOOST_TEST(net.export_parameters() == before, tt::per_element());
  BOOST_CHECK_THROW(fit.train(decltype(data){}, {.log = nullptr}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(optimizer_settings_are_checked_as_pytorch_checks_them) {
  using classifier = nn::network<nn::input<nn::shape<2>>, nn::dense<3>>;
  auto net = nn::make<classifier>(nn::init::he_uniform{}, 2);
  auto refused = [&](auto optimizer, const std::string& message) {
    try {
      nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, optimizer};
      BOOST_ERROR("accepted: " << message);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find(message) != std::string::npos, e.what());
    }
  };
  refused(nn::optim::adam{.lr = -1}, "ctnn::optim::adam: Invalid learning rate: -1");
  refused(nn::optim::adamw{.beta1 = 1.0}, "Invalid beta parameter at index 0");
  refused(nn::optim::adam{.beta2 = -0.5}, "Invalid beta parameter at index 1");
  refused(nn::optim::adam{.eps = -1e-8}, "Invalid epsilon value");
  refused(nn::optim::sgd{.lr = std::nan("")}, "Invalid learning rate");
  refused(nn::optim::sgd{.momentum = -0.9}, "Invalid momentum value");
  refused(nn::optim::sgd{.weight_decay = -1}, "Invalid weight_decay value");
  refused(nn::optim::sgd{.lr = 0.1, .nesterov = true}, "Nesterov momentum requires a momentum and zero dampening");
  refused(nn::optim::rmsprop{.alpha = -0.1}, "Invalid alpha value");
  refused(nn::optim::adagrad{.lr_decay = -1}, "Invalid lr_decay value");
  refused(nn::optim::adagrad{.initial_accumulator_value = -1}, "Invalid initial_accumulator_value value");

  // settings changed between runs are checked when a run starts; so are the run's options
  nn::dataset<float, nn::shape<2>, nn::shape<1>> data;
  for (float label : {0.0f, 2.0f, 1.0f}) data.push_back(nn::tensor<float, nn::shape<2>>{1, 2}, {label});
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
  fit.optimizer().lr = -0.5;
  BOOST_CHECK_THROW(fit.train(data, {.log = nullptr}), std::invalid_argument);
  fit.optimizer().lr = 1e-3;
  try {
    fit.train(data, {.threads = 3, .log = nullptr});
    BOOST_FAIL("threads = 3 was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("train_options::threads is 3") != std::string::npos, e.what());
  }
  // and the learning-rate schedule's settings
  auto schedule_refused = [&](nn::schedule::any s, const std::string& message) {
    try {
      fit.train(data, {.schedule = s, .log = nullptr});
      BOOST_ERROR("accepted: " << message);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find(message) != std::string::npos, e.what());
    }
  };
  schedule_refused(nn::schedule::step{.step_size = 0}, "ctnn::schedule::step: step_size must be at least 1");
  schedule_refused(nn::schedule::exponential{.gamma = -0.5}, "gamma must be a positive number");
  schedule_refused(nn::schedule::cosine{.t_max = 0}, "t_max must be at least 1");
  schedule_refused(nn::schedule::cosine{.warmup = 2, .warmup_start_factor = 0}, "Starting multiplicative factor");
  schedule_refused(nn::schedule::plateau{.factor = 1.5}, "Factor should be < 1.0");
  BOOST_TEST(fit.steps() == 0);
}

BOOST_AUTO_TEST_CASE(softmax_cross_entropy_learns_classes) {
  using classifier = nn::network<nn::input<nn::shape<2>>, nn::dense<16>, nn::relu, nn::dense<3>>;
  nn::dataset<float, nn::shape<2>, nn::shape<1>> data;
  nn::rng g(8);
  for (int i = 0; i < 300; ++i) {
    const float a = float(g.uniform(-1, 1)), b = float(g.uniform(-1, 1));
    const float label = a > 0.3f ? 2.0f : (b > 0 ? 1.0f : 0.0f);
    data.push_back(nn::tensor<float, nn::shape<2>>{a, b}, nn::tensor<float, nn::shape<1>>{label});
  }
  auto net = nn::make<classifier>(nn::init::he_uniform{}, 3);
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{.lr = 0.2f, .momentum = 0.9f}};
  const auto report = fit.train(data, {.epochs = 40, .batch = 16, .log = nullptr});
  BOOST_TEST(report.metric_name == "accuracy");
  BOOST_TEST(fit.evaluate(data).metric >= 0.95);
}

// Two cores split wide stages by output columns (a weight panel each) and the others by rows:
// here dense<24> and dense<20> (three registers of double each: unequal panels; the second one
// also passes its input gradient back), a standalone sigmoid and dense<4> (by rows).
BOOST_AUTO_TEST_CASE(two_threads_give_one_threads_results_up_to_reassociation) {
  using classifier =
      nn::network<nn::input<nn::shape<6>>, nn::dense<24>, nn::gelu, nn::dense<20>, nn::tanh, nn::sigmoid, nn::dense<4>>;
  nn::dataset<double, nn::shape<6>, nn::shape<1>> data;
  nn::rng g(12);
  for (int i = 0; i < 203; ++i) { // the last batch is odd-sized: unequal halves
    nn::tensor<double, nn::shape<6>> x;
    for (auto& v : x) v = g.uniform(-1, 1);
    data.push_back(x, nn::tensor<double, nn::shape<1>>{double(g.below(4))});
  }
  auto train = [&](std::size_t threads) {
    auto net = nn::make<classifier, double>(nn::init::he_uniform{}, 3);
    nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 0.01}};
    fit.set_threads(threads, /*adaptive=*/false); // always split when 2, to test the split
    const auto report = fit.train(data, {.epochs = 3, .batch = 32, .log = nullptr});
    BOOST_TEST(fit.threads() == threads);
    return std::pair{net.export_parameters(), report.history.back().train};
  };
  const auto [one, one_eval] = train(1);
  const auto [two, two_eval] = train(2);
  BOOST_TEST(nn::test::scaled_error(two, one) <= 1e-10);
  BOOST_TEST(two_eval.loss == one_eval.loss, tt::tolerance(1e-10));
  BOOST_TEST(two_eval.metric == one_eval.metric); // the running metric sees both halves
  // adaptive (the default): one thread is measured first, then the split; both get a cost
  auto net = nn::make<classifier, double>(nn::init::he_uniform{}, 3);
  nn::trainer adaptive{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{}};
  adaptive.set_threads(2);
  BOOST_TEST(adaptive.step_costs().first == 0.0);
  adaptive.train(data, {.epochs = 3, .batch = 32, .log = nullptr}); // 21 steps
  BOOST_TEST(adaptive.step_costs().first > 0.0);
  BOOST_TEST(adaptive.step_costs().second > 0.0);

  nn::net<classifier> spare;
  nn::trainer other{spare, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{}};
  BOOST_CHECK_THROW(other.set_threads(3), std::invalid_argument);
}

// evaluate checks its data as train does (a label of 1e10 once read far out of bounds, -1 was
// undefined behaviour, 3 of 3 classes read padding), and an empty dataset is an error for both.
BOOST_AUTO_TEST_CASE(evaluate_validates_targets_and_rejects_an_empty_dataset) {
  using classifier = nn::network<nn::input<nn::shape<2>>, nn::dense<3>>;
  auto net = nn::make<classifier>(nn::init::he_uniform{}, 2);
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{}};
  for (float bad : {1e10f, -1.0f, 3.0f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    nn::dataset<float, nn::shape<2>, nn::shape<1>> data;
    for (float label : {0.0f, 2.0f, bad})
      data.push_back(nn::tensor<float, nn::shape<2>>{1, 2}, nn::tensor<float, nn::shape<1>>{label});
    try {
      fit.evaluate(data);
      BOOST_ERROR("evaluate accepted the label " << bad);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find("evaluate: evaluation sample 2") != std::string::npos, e.what());
    }
  }
  BOOST_CHECK_THROW(fit.evaluate(nn::dataset<float, nn::shape<2>, nn::shape<1>>{}), std::invalid_argument);
}

namespace {
using relu_net = nn::network<nn::input<nn::shape<8>>, nn::dense<16>, nn::relu, nn::dense<1>>;
using relu_data = nn::dataset<float, nn::shape<8>, nn::shape<1>>;
relu_data huge_inputs(std::size_t n) {
  relu_data d;
  nn::rng g(5);
  for (std::size_t i = 0; i < n; ++i) {
    nn::tensor<float, nn::shape<8>> x;
    for (auto& v : x) v = float(g.uniform(0, 1e5));
    d.push_back(x, nn::tensor<float, nn::shape<1>>{float(g.uniform(-1, 1))});
  }
  return d;
}
} // namespace

// Inputs of 1e5 and SGD at lr 1e30: the first step's loss and gradients are finite, but the
// update overflows the weights. The step must be rolled back: the weights of the last good
// step (here: the initial ones) are kept, on one core and on two.
BOOST_AUTO_TEST_CASE(an_update_that_overflows_the_weights_is_rolled_back) {
  const auto data = huge_inputs(32);
  for (std::size_t threads : {1u, 2u}) {
    BOOST_TEST_CONTEXT(threads << " thread(s)") {
      auto net = nn::make<relu_net>(nn::init::he_uniform{}, 3);
      const auto before = net.export_parameters();
      nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 1e30}};
      fit.set_threads(threads, false);
      const auto report = fit.train(data, {.epochs = 3, .batch = 32, .shuffle = false, .log = nullptr});
      BOOST_TEST(report.diverged);
      BOOST_TEST(report.divergence.find("epoch 1, step 1") != std::string::npos, report.divergence);
      BOOST_TEST(report.divergence.find("rolled back") != std::string::npos, report.divergence);
      BOOST_TEST(report.divergence.find("shuffled") == std::string::npos, report.divergence);
      BOOST_TEST(fit.steps() == 0);
      const auto after = net.export_parameters();
      BOOST_TEST(std::all_of(after.begin(), after.end(), [](float v) { return std::isfinite(v); }));
      BOOST_TEST(after == before, tt::per_element());
    }
  }
  // the same with Adam at a huge rate, after some good steps (the guard then bounds the step)
  auto net = nn::make<relu_net>(nn::init::he_uniform{}, 3);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 1e36}};
  const auto report = fit.train(data, {.epochs = 3, .batch = 8, .shuffle = false, .log = nullptr});
  BOOST_TEST(report.diverged, report.divergence);
  for (float v : net.export_parameters()) BOOST_TEST(std::isfinite(v));
}

// Clipping by global norm as torch.nn.utils.clip_grad_norm_: g *= max_norm / (norm + 1e-6) when
// that is below 1, over all parameters together, on one thread and split over two.
BOOST_AUTO_TEST_CASE(gradient_clipping_by_global_norm_follows_pytorch) {
  using classifier = nn::network<nn::input<nn::shape<6>>, nn::dense<40>, nn::tanh, nn::dense<4>>;
  using recurrent = nn::network<nn::input<nn::sequence<5, 3>>, nn::lstm<6>, nn::last, nn::dense<4>>;
  auto check = [](auto model_tag, std::size_t threads) {
    using model = typename decltype(model_tag)::type;
    using net_t = nn::net<model, double>;
    constexpr std::size_t n = 32, in = net_t::input_size;
    nn::dataset<double, typename model::input_shape, nn::shape<1>> data;
    nn::rng g(5);
    for (std::size_t i = 0; i < n; ++i) {
      nn::tensor<double, typename model::input_shape> x;
      for (auto& v : x) v = g.uniform(-2, 2);
      data.push_back(x, nn::tensor<double, nn::shape<1>>{double(g.below(4))});
    }
    auto net = nn::make<model, double>(nn::init::pytorch_default{}, 3);
    // the gradient, by hand
    auto ws = net.make_workspace(n);
    std::vector<double> x(n * in), labels(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::copy_n(data.input(i), in, x.data() + i * in);
      labels[i] = data.target(i)[0];
    }
    const double* y = net.forward_train(ws, x.data(), n);
    nn::loss::softmax_cross_entropy::value_and_gradient(y, net_t::output_stride, labels.data(), 4, ws.output_gradient(),
                                                        n);
    nn::aligned_buffer<double> grads(net_t::param_size);
    net.backward(ws, x.data(), n, grads.data(), nn::kernels::store_mode::overwrite);
    double squares = 0;
    for (double v : grads) squares += v * v;
    const double norm = std::sqrt(squares), max_norm = norm / 4, coefficient = max_norm / (norm + 1e-6);
    net_t logical;
    std::copy(grads.begin(), grads.end(), logical.parameters().begin());
    const auto g0 = logical.export_parameters();
    auto expected = net.export_parameters();
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] -= 0.1 * g0[i] * coefficient;
    // the trainer
    nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{.lr = 0.1}};
    fit.set_threads(threads, false);
    fit.train(data, {.epochs = 1, .batch = n, .shuffle = false, .clip_grad_norm = max_norm, .log = nullptr});
    BOOST_TEST(fit.clip_grad_norm() == max_norm);
    BOOST_TEST(fit.last_grad_norm() == norm, tt::tolerance(1e-12));
    BOOST_TEST(nn::test::scaled_error(net.export_parameters(), expected) <= 1e-12);
  };
  for (std::size_t threads : {1u, 2u}) {
    BOOST_TEST_CONTEXT(threads << " thread(s)") {
      check(std::type_identity<classifier>{}, threads);
      check(std::type_identity<recurrent>{}, threads);
    }
  }
  nn::net<classifier> spare;
  nn::trainer other{spare, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{}};
  BOOST_CHECK_THROW(other.set_clip_grad_norm(-1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(callbacks_see_every_step_and_epoch_and_can_stop) {
  using model = nn::network<nn::input<nn::shape<2>>, nn::dense<4>, nn::tanh, nn::dense<1>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::dataset<float, nn::shape<2>, nn::shape<1>> data;
  for (int i = 0; i < 64; ++i) data.push_back({float(i % 8) / 8, float(i / 8) / 8}, {float(i % 3) / 3});
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.1}};
  std::vector<nn::step_info> steps;
  std::vector<std::size_t> epochs;
  std::ostringstream log; // not a terminal: epoch lines only, no progress bar
  const auto report = fit.train(data, {.epochs = 5,
                                       .batch = 16,
                                       .log = &log,
                                       .on_step =
                                           [&](const nn::step_info& s) {
                                             steps.push_back(s);
                                             return true;
                                           },
                                       .on_epoch =
                                           [&](const nn::epoch_record& e) {
                                             epochs.push_back(e.epoch);
                                             return e.epoch < 3; // stop after the third epoch
                                           }});
  BOOST_TEST(report.stopped_by_callback);
  BOOST_TEST(report.history.size() == 3u);
  BOOST_TEST((epochs == std::vector<std::size_t>{1, 2, 3}));
  BOOST_REQUIRE(steps.size() == 12u); // 4 steps of 16 per epoch
  BOOST_TEST(steps[5].epoch == 2u);
  BOOST_TEST(steps[5].step == 2u);
  BOOST_TEST(steps[5].samples == 16u);
  BOOST_TEST(steps[5].lr == 0.1);
  // the epoch's loss is the mean of its steps' losses (equal batches)
  double mean = 0;
  for (int k = 0; k < 4; ++k) mean += steps[std::size_t(k)].loss / 4;
  BOOST_TEST(std::abs(report.history[0].train.loss - mean) < 1e-6);
  BOOST_TEST(log.str().find('\r') == std::string::npos);
  BOOST_TEST(log.str().find("epoch 3/5") != std::string::npos);
  // a step callback stops in the middle of an epoch: the record covers the samples seen
  auto net2 = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::trainer fit2{net2, nn::loss::mse{}, nn::optim::sgd{.lr = 0.1}};
  const auto r2 = fit2.train(data, {.epochs = 5, .batch = 16, .log = nullptr, .on_step = [](const nn::step_info& s) {
                                      return !(s.epoch == 2 && s.step == 2);
                                    }});
  BOOST_TEST(r2.stopped_by_callback);
  BOOST_TEST(r2.history.size() == 2u);
  BOOST_TEST(fit2.steps() == 6);
}
