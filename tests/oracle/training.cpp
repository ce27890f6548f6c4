// ctnn against PyTorch for the training loop's depth: the losses mae, huber and nll (after a
// log_softmax layer), RMSprop and Adagrad (plain and with every option), clipping by value, L1
// and L2 penalties (4-step trajectories of Linear(6, 3)), and the learning-rate schedules (the
// rate of each of 30 epochs), a network with two heads trained with one loss per head, and one
// with two inputs.
// Fixtures: tests/oracle/generate.py training, heads, inputs.
#define BOOST_TEST_MODULE oracle_training
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/fixtures.hpp"
#include "../support/support.hpp"

#include <boost/mpl/list.hpp>

#include <string>
#include <tuple>
#include <vector>

namespace nn = ctnn;
using nn::test::as;
using nn::test::forward_tol;
using nn::test::gradient_tol;
using nn::test::read_fixture;
using nn::test::scaled_error;

namespace {
using scalars = boost::mpl::list<float, double>;

template <class T, class Loss>
void check_loss(const std::string& name, const Loss& loss, bool log_softmax_first = false) {
  const auto fx = read_fixture("training.txt");
  auto z = as<T>(fx.at("z"));
  const auto t = as<T>(fx.at(log_softmax_first ? "labels" : "target"));
  // through the network's layer, when the loss takes log-probabilities
  using model = nn::network<nn::input<nn::shape<5>>, nn::log_softmax>;
  nn::net<model, T> net;
  std::vector<T> y = z;
  if (log_softmax_first) {
    for (std::size_t r = 0; r < 4; ++r) {
      nn::tensor<T, nn::shape<5>> x;
      std::copy_n(z.data() + r * 5, 5, x.data());
      const auto out = net(x);
      std::copy_n(out.data(), 5, y.data() + r * 5);
    }
    BOOST_TEST(scaled_error(y, fx.at("log_softmax")) <= forward_tol<T>);
  }
  std::vector<T> dy(y.size());
  const T value = loss.value_and_gradient(y.data(), 5, t.data(), 5, dy.data(), 4);
  BOOST_TEST(std::abs(double(value) - fx.at(name + ".loss")[0]) <=
                 forward_tol<T> * std::max(1.0, std::abs(fx.at(name + ".loss")[0])),
             name);
  if (!log_softmax_first) {
    BOOST_TEST(scaled_error(dy, fx.at(name + ".grad")) <= gradient_tol<T>, name);
    return;
  }
  // dL/dz through log_softmax's backward (the layer's kernel)
  std::vector<T> dz(dy.size());
  for (std::size_t r = 0; r < 4; ++r)
    nn::kernels::activation_backward<nn::kernels::log_softmax_fn>(z.data() + r * 5, y.data() + r * 5, dy.data() + r * 5,
                                                                  dz.data() + r * 5, 5);
  BOOST_TEST(scaled_error(dz, fx.at(name + ".grad")) <= gradient_tol<T>, name);
}

template <class T, class Optim, class Setup>
void check_trajectory(const std::string& name, const Optim& optimizer, Setup&& setup) {
  using model = nn::network<nn::input<nn::shape<6>>, nn::dense<3>>;
  const auto fx = read_fixture("training.txt");
  nn::net<model, T> net;
  net.import_parameters(as<T>(fx.at("initial")));
  nn::dataset<T, nn::shape<6>, nn::shape<3>> data;
  const auto x = as<T>(fx.at("x"));
  const auto y = as<T>(fx.at("y"));
  for (std::size_t r = 0; r < 8; ++r)
    data.push_back(std::span<const T, 6>(x.data() + r * 6, 6), std::span<const T, 3>(y.data() + r * 3, 3));
  nn::trainer fit{net, nn::loss::mse{}, optimizer};
  setup(fit);
  for (int step = 1; step <= 4; ++step) {
    const auto report = fit.train(data, {.epochs = 1, .batch = 8, .shuffle = false, .log = nullptr});
    const std::string s = std::to_string(step);
    BOOST_TEST(scaled_error(net.export_parameters(), fx.at(name + ".step" + s)) <= gradient_tol<T>,
               name << " step " << s);
    // the reported loss is the step's (penalties included), before its update
    BOOST_TEST(std::abs(report.history[0].train.loss - fx.at(name + ".loss" + s)[0]) <= forward_tol<T> * 10,
               name << " loss " << s);
  }
}
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(losses_match_pytorch, T, scalars) {
  check_loss<T>("mae", nn::loss::mae{});
  check_loss<T>("huber", nn::loss::huber{.delta = 0.7});
  check_loss<T>("nll", nn::loss::nll{}, true);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rmsprop_and_adagrad_match_pytorch, T, scalars) {
  check_trajectory<T>("rmsprop", nn::optim::rmsprop{.lr = 0.01}, [](auto&) {});
  check_trajectory<T>(
      "rmsprop_full",
      nn::optim::rmsprop{
          .lr = 0.01, .alpha = 0.9, .eps = 1e-6, .weight_decay = 0.01, .momentum = 0.5, .centered = true},
      [](auto&) {});
  check_trajectory<T>("adagrad", nn::optim::adagrad{.lr = 0.1}, [](auto&) {});
  check_trajectory<T>(
      "adagrad_full",
      nn::optim::adagrad{
          .lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.01, .initial_accumulator_value = 0.2, .eps = 1e-8},
      [](auto&) {});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(clipping_by_value_and_penalties_match_pytorch, T, scalars) {
  check_trajectory<T>("clip_value", nn::optim::sgd{.lr = 0.1}, [](auto& fit) { fit.set_clip_grad_value(0.05); });
  check_trajectory<T>("l1_l2", nn::optim::sgd{.lr = 0.1},
                      [](auto& fit) { fit.set_regularization({.l1 = 0.01, .l2 = 0.02}); });
}

namespace {
/// The rate of each of 30 epochs that train() used, for a schedule (and losses, for plateau:
/// a model whose training loss is given per epoch is not needed; schedule::advance is what
/// train() calls).
std::vector<double> rates(const nn::schedule::any& s, const std::vector<double>& losses = {}) {
  std::vector<double> out;
  auto st = nn::schedule::start(s, 0.5);
  for (std::size_t e = 0; e < 30; ++e) {
    out.push_back(st.lr);
    nn::schedule::advance(s, st, 0.5, e, losses.empty() ? 0.0 : losses[e]);
  }
  return out;
}
void check_rates(const std::string& name, const std::vector<double>& got) {
  const auto want = read_fixture("training.txt").at("schedule." + name);
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (std::size_t e = 0; e < got.size(); ++e)
    BOOST_TEST(std::abs(got[e] - want[e]) <= 1e-12 * want[e],
               name << " epoch " << e << ": " << got[e] << " vs " << want[e]);
}
} // namespace

BOOST_AUTO_TEST_CASE(schedules_match_pytorch) {
  check_rates("step", rates(nn::schedule::step{.step_size = 7, .gamma = 0.5}));
  check_rates("exponential", rates(nn::schedule::exponential{.gamma = 0.9}));
  check_rates("cosine", rates(nn::schedule::cosine{.t_max = 20, .eta_min = 0.01}));
  check_rates("cosine_warmup", rates(nn::schedule::cosine{.t_max = 25, .warmup = 5, .warmup_start_factor = 0.1}));
  const auto losses = read_fixture("training.txt").at("schedule.plateau_losses");
  check_rates(
      "plateau",
      rates(nn::schedule::plateau{.factor = 0.5, .patience = 2, .threshold = 0.01, .cooldown = 1, .min_lr = 0.05},
            losses));
}

BOOST_AUTO_TEST_CASE(train_uses_the_schedule_and_records_it) {
  using model = nn::network<nn::input<nn::shape<2>>, nn::dense<1>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::dataset<float, nn::shape<2>, nn::shape<1>> data;
  for (int i = 0; i < 16; ++i) data.push_back({float(i % 4), float(i / 4)}, {float(i % 3)});
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.5}};
  const auto report = fit.train(
      data, {.epochs = 30, .batch = 16, .schedule = nn::schedule::step{.step_size = 7, .gamma = 0.5}, .log = nullptr});
  const auto want = read_fixture("training.txt").at("schedule.step");
  BOOST_REQUIRE_EQUAL(report.history.size(), 30u);
  for (std::size_t e = 0; e < 30; ++e) BOOST_TEST(report.history[e].lr == want[e]);
  // settings changed between runs keep the optimizer's state
  fit.optimizer().lr = 0.01;
  const auto more = fit.train(data, {.epochs = 1, .batch = 16, .log = nullptr});
  BOOST_TEST(more.history[0].lr == 0.01);
  BOOST_TEST(fit.steps() == 31);
}

// layer_norm against PyTorch (fixtures: generate.py norm): on a vector, on conv feature maps
// (LayerNorm([C, H, W])) and on each step of a sequence (LayerNorm(F)); outputs, loss, gradients.
BOOST_AUTO_TEST_CASE_TEMPLATE(layer_norm_matches_pytorch, T, scalars) {
  nn::test::check_mse_case<T, nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::layer_norm, nn::dense<2>>>(
      "norm.txt", "vector", 3);
  nn::test::check_mse_case<T, nn::network<nn::input<nn::shape<1, 6, 6>>, nn::conv2d<2, nn::kernel<3, 3>>,
                                          nn::layer_norm, nn::flatten, nn::dense<2>>>("norm.txt", "image", 3);
  nn::test::check_mse_case<T, nn::network<nn::input<nn::sequence<3, 4>>, nn::layer_norm, nn::last, nn::dense<2>>>(
      "norm.txt", "sequence", 3);
}

// A network with two heads against PyTorch (fixtures: generate.py heads): a policy head trained
// with cross-entropy and a value head with MSE at weight 0.5. Outputs per head, the weighted loss
// and each head's, the gradients of every parameter, then 4 Adam steps.
BOOST_AUTO_TEST_CASE_TEMPLATE(two_heads_match_pytorch, T, scalars) {
  using model =
      nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::relu,
                  nn::heads<nn::branch<nn::dense<5>, nn::relu, nn::dense<3>>, nn::branch<nn::dense<1>, nn::tanh>>>;
  using net_t = nn::net<model, T>;
  const auto fx = read_fixture("heads.txt");
  net_t net(as<T>(fx.at("params")));
  const auto x = as<T>(fx.at("x"));
  const auto targets = as<T>(fx.at("targets"));
  nn::dataset<T, nn::shape<6>, nn::shape<2>> data;
  for (std::size_t r = 0; r < 5; ++r)
    data.push_back(std::span<const T, 6>(x.data() + r * 6, 6), std::span<const T, 2>(targets.data() + r * 2, 2));
  std::vector<T> policy, value;
  for (std::size_t r = 0; r < 5; ++r) {
    const auto [p, v] = net(data.input_tensor(r));
    policy.insert(policy.end(), p.begin(), p.end());
    value.insert(value.end(), v.begin(), v.end());
  }
  BOOST_TEST(scaled_error(policy, fx.at("policy")) <= forward_tol<T>);
  BOOST_TEST(scaled_error(value, fx.at("value")) <= forward_tol<T>);

  const nn::loss::heads<nn::loss::softmax_cross_entropy, nn::loss::mse> losses{.weights = {1, 0.5}};
  const auto e = nn::evaluate(net, data, losses);
  BOOST_TEST(std::abs(e.loss - fx.at("loss")[0]) <= forward_tol<T> * 10);
  BOOST_TEST(std::abs(e.heads[0].loss - fx.at("policy_loss")[0]) <= forward_tol<T> * 10);
  BOOST_TEST(std::abs(e.heads[1].loss - fx.at("value_loss")[0]) <= forward_tol<T> * 10);

  // gradients: the bound loss over a batched pass, then backward
  using bound = nn::detail::bound_loss<std::remove_const_t<decltype(losses)>, net_t>;
  const auto loss = bound::bind(losses);
  auto ws = net.make_workspace(5);
  const T* y = net.forward_train(ws, x.data(), 5);
  const T value_of_batch =
      loss.value_and_gradient(y, net_t::output_stride, targets.data(), net_t::output_size, ws.output_gradient(), 5);
  BOOST_TEST(std::abs(double(value_of_batch) - fx.at("loss")[0]) <= forward_tol<T> * 10);
  nn::aligned_buffer<T> grads(net_t::param_size);
  net.backward(ws, x.data(), 5, grads.data());
  net_t view;
  std::copy(grads.begin(), grads.end(), view.parameters().begin());
  BOOST_TEST(scaled_error(view.export_parameters(), fx.at("grads")) <= gradient_tol<T>);

  nn::trainer fit{net, losses, nn::optim::adam{.lr = 0.01}};
  for (int step = 1; step <= 4; ++step) {
    const auto report = fit.train(data, {.epochs = 1, .batch = 5, .shuffle = false, .log = nullptr});
    const std::string s = std::to_string(step);
    BOOST_TEST(scaled_error(net.export_parameters(), fx.at("adam.step" + s)) <= gradient_tol<T>, "step " << s);
    BOOST_TEST(std::abs(report.history[0].train.loss - fx.at("adam.loss" + s)[0]) <= forward_tol<T> * 10, "loss " << s);
  }
}

// A network with two inputs against PyTorch (fixtures: generate.py inputs): an LSTM over a window
// and a dense branch over static features, concatenated. Outputs, loss, gradients, 4 Adam steps.
BOOST_AUTO_TEST_CASE_TEMPLATE(two_inputs_match_pytorch, T, scalars) {
  using window = nn::sequence<5, 2>;
  using features = nn::shape<3>;
  using model = nn::network<nn::inputs<window, features>,
                            nn::parallel<nn::concat, nn::branch<nn::from<0>, nn::lstm<4>, nn::last>,
                                         nn::branch<nn::from<1>, nn::dense<3>, nn::relu>>,
                            nn::dense<2>>;
  using net_t = nn::net<model, T>;
  const auto fx = read_fixture("inputs.txt");
  net_t net(as<T>(fx.at("params")));
  const auto w = as<T>(fx.at("window"));
  const auto f = as<T>(fx.at("features"));
  const auto target = as<T>(fx.at("target"));
  nn::dataset<T, nn::inputs<window, features>, nn::shape<2>> data;
  std::vector<T> y;
  for (std::size_t r = 0; r < 4; ++r) {
    std::tuple<nn::tensor<T, window>, nn::tensor<T, features>> x;
    std::copy_n(w.data() + r * 10, 10, std::get<0>(x).data());
    std::copy_n(f.data() + r * 3, 3, std::get<1>(x).data());
    nn::tensor<T, nn::shape<2>> t;
    std::copy_n(target.data() + r * 2, 2, t.data());
    data.push_back(x, t);
    const auto out = net(std::get<0>(x), std::get<1>(x));
    y.insert(y.end(), out.begin(), out.end());
  }
  BOOST_TEST(scaled_error(y, fx.at("y")) <= forward_tol<T>);

  auto ws = net.make_workspace(4);
  const T* out = net.forward_train(ws, data.input(0), 4);
  const T loss =
      nn::loss::mse::value_and_gradient(out, net_t::output_stride, data.target(0), 2, ws.output_gradient(), 4);
  BOOST_TEST(std::abs(double(loss) - fx.at("loss")[0]) <= forward_tol<T> * 10);
  nn::aligned_buffer<T> grads(net_t::param_size);
  net.backward(ws, data.input(0), 4, grads.data());
  net_t view;
  std::copy(grads.begin(), grads.end(), view.parameters().begin());
  BOOST_TEST(scaled_error(view.export_parameters(), fx.at("grads")) <= gradient_tol<T>);

  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  for (int step = 1; step <= 4; ++step) {
    const auto report = fit.train(data, {.epochs = 1, .batch = 4, .shuffle = false, .log = nullptr});
    const std::string s = std::to_string(step);
    BOOST_TEST(scaled_error(net.export_parameters(), fx.at("adam.step" + s)) <= gradient_tol<T>, "step " << s);
    BOOST_TEST(std::abs(report.history[0].train.loss - fx.at("adam.loss" + s)[0]) <= forward_tol<T> * 10, "loss " << s);
  }
}
