// batch_norm beyond PyTorch's fixtures (tests/oracle/batch_norm.cpp): folding into dense and
// conv layers gives the same outputs; two cores train as one; optimizers, weight decay, penalties
// and clipping leave the running statistics alone; weight files and checkpoints keep them; a
// step that is not applied does not move them.
#define BOOST_TEST_MODULE batch_norm
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <boost/mpl/list.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {
using scalars = boost::mpl::list<float, double>;
using dense_model = nn::network<nn::input<nn::shape<5>>, nn::dense<8>, nn::batch_norm, nn::relu, nn::dense<3>>;
using conv_model = nn::network<nn::input<nn::shape<2, 6, 6>>, nn::conv2d<4, nn::kernel<3, 3>, nn::padding<1>>,
                               nn::batch_norm, nn::relu, nn::max_pool2d<nn::kernel<2, 2>>, nn::flatten, nn::dense<6>,
                               nn::batch_norm, nn::tanh, nn::dense<3>>;

template <class T, class Model>
nn::dataset<T, typename Model::input_shape, nn::shape<1>> make_data(std::size_t n, std::uint64_t seed) {
  nn::dataset<T, typename Model::input_shape, nn::shape<1>> d;
  nn::rng g(seed);
  for (std::size_t i = 0; i < n; ++i) {
    nn::tensor<T, typename Model::input_shape> x;
    for (auto& v : x) v = T(g.uniform(-1, 3)); // not centred: the statistics have work to do
    d.push_back(x, {T(std::size_t(std::abs(x[0] + x[1]) * 3) % 3)});
  }
  return d;
}

template <class T, class Model>
nn::net<Model, T> trained(std::size_t threads = 1, std::size_t epochs = 3) {
  auto n = nn::make<Model, T>(nn::init::pytorch_default{}, 5);
  // SGD: the bias before a batch_norm has a zero gradient up to rounding, which Adam would scale
  // up to whole steps (and two cores round otherwise than one)
  nn::trainer fit{n, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{.lr = 0.05, .momentum = 0.9}};
  fit.set_threads(threads, false);
  fit.train(make_data<T, Model>(128, 1), {.epochs = epochs, .batch = 32, .seed = 2, .log = nullptr});
  return n;
}

template <class T, class A, class B>
double max_relative_difference(const A& a, const B& b, std::size_t samples) {
  nn::rng g(9);
  double worst = 0;
  for (std::size_t s = 0; s < samples; ++s) {
    typename A::input_type x;
    for (auto& v : x) v = T(g.uniform(-1, 3));
    const auto ya = a(x);
    const auto yb = b(x);
    for (std::size_t k = 0; k < ya.size(); ++k)
      worst = std::max(worst, std::abs(double(ya[k]) - double(yb[k])) / std::max(1.0, std::abs(double(ya[k]))));
  }
  return worst;
}

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ctnn-bn-" + std::to_string(::getpid()) + "-" + name)).string();
}
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(folding_gives_the_same_outputs, T, scalars) {
  const auto n = trained<T, conv_model>();
  // the running statistics moved: folding them is not the identity
  BOOST_TEST(std::abs(double(nn::net<conv_model, T>(n).template layer<2>().running_var(0)) - 1) > 1e-3);
  const auto folded = nn::fold_batch_norm(n);
  using folded_model = typename std::remove_cvref_t<decltype(folded)>::model;
  static_assert(std::is_same_v<
                folded_model,
                nn::network<nn::input<nn::shape<2, 6, 6>>, nn::conv2d<4, nn::kernel<3, 3>, nn::padding<1>>, nn::relu,
                            nn::max_pool2d<nn::kernel<2, 2>>, nn::flatten, nn::dense<6>, nn::tanh, nn::dense<3>>>);
  static_assert(folded_model::param_count == conv_model::param_count - 2 * 4 - 2 * 6);
  BOOST_TEST(max_relative_difference<T>(n, folded, 32) <= (sizeof(T) == 4 ? 2e-6 : 1e-13));

  const auto d = trained<T, dense_model>();
  const auto fd = nn::fold_batch_norm(d);
  static_assert(std::remove_cvref_t<decltype(fd)>::model::layer_count == 4);
  BOOST_TEST(max_relative_difference<T>(d, fd, 32) <= (sizeof(T) == 4 ? 2e-6 : 1e-13));
}

BOOST_AUTO_TEST_CASE(two_cores_train_as_one) {
  // on two cores one core computes the batch's statistics (they need every row)
  const auto one = trained<float, conv_model>(1).export_parameters();
  const auto two = trained<float, conv_model>(2).export_parameters();
  BOOST_REQUIRE_EQUAL(one.size(), two.size());
  double worst = 0;
  for (std::size_t i = 0; i < one.size(); ++i)
    worst = std::max(worst, std::abs(double(one[i]) - double(two[i])) / std::max(1.0, std::abs(double(one[i]))));
  BOOST_TEST(worst <= 1e-5);
}

BOOST_AUTO_TEST_CASE(optimizers_penalties_and_clipping_leave_the_running_statistics_alone) {
  // batch_norm on the input: after one step its running statistics are PyTorch's update from
  // the batch itself, whatever weight decay, L1/L2 penalties and clipping do to the parameters
  using model = nn::network<nn::input<nn::shape<3>>, nn::batch_norm, nn::dense<1>>;
  auto n = nn::make<model, double>(nn::init::pytorch_default{}, 1);
  nn::dataset<double, nn::shape<3>, nn::shape<1>> data;
  nn::rng g(4);
  for (int i = 0; i < 8; ++i) data.push_back({g.uniform(0, 4), g.uniform(-3, -1), g.uniform(5, 9)}, {g.uniform(0, 1)});
  nn::trainer fit{n, nn::loss::mse{}, nn::optim::adamw{.lr = 0.1, .weight_decay = 0.5}};
  fit.set_regularization({.l1 = 0.1, .l2 = 0.1});
  fit.set_clip_grad_value(0.01);
  fit.train(data, {.epochs = 1, .batch = 8, .shuffle = false, .log = nullptr});
  const auto bn = n.layer<1>();
  for (std::size_t c = 0; c < 3; ++c) {
    double mean = 0, squares = 0;
    for (std::size_t i = 0; i < 8; ++i) mean += data.input(i)[c] / 8;
    for (std::size_t i = 0; i < 8; ++i) squares += (data.input(i)[c] - mean) * (data.input(i)[c] - mean);
    BOOST_TEST(std::abs(bn.running_mean(c) - 0.1 * mean) <= 1e-12);
    BOOST_TEST(std::abs(bn.running_var(c) - (0.9 + 0.1 * squares / 7)) <= 1e-12);
    BOOST_TEST(bn.gamma(c) != 1.0); // the parameters did move
  }
}

BOOST_AUTO_TEST_CASE(a_step_that_is_not_applied_leaves_the_running_statistics) {
  using model = nn::network<nn::input<nn::shape<3>>, nn::batch_norm, nn::dense<1>>;
  auto n = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::trainer fit{n, nn::loss::mse{}, nn::optim::sgd{.lr = 0.1}};
  fit.reserve(4, 1);
  for (std::size_t k = 0; k < 12; ++k) fit.work().input()[k] = float(k);
  for (std::size_t k = 0; k < 4; ++k) fit.targets()[k] = k == 2 ? std::numeric_limits<float>::quiet_NaN() : 0.f;
  const auto before = n.export_parameters();
  const auto r = fit.step(4);
  BOOST_TEST(!r.applied());
  BOOST_TEST(n.export_parameters() == before);
  fit.targets()[2] = 0;
  BOOST_TEST(fit.step(4).applied());
  BOOST_TEST(n.layer<1>().running_mean(0) != 0.f);
}

BOOST_AUTO_TEST_CASE(weight_files_and_checkpoints_keep_the_running_statistics) {
  const auto n = trained<float, dense_model>();
  const auto path = temp("weights.ctnn");
  nn::save(n, path);
  nn::net<dense_model> loaded;
  nn::load(loaded, path);
  BOOST_TEST(loaded.export_parameters() == n.export_parameters());
  BOOST_TEST(nn::net<dense_model>::value_count == dense_model::param_count + 2 * 8);
  std::filesystem::remove(path);

  // interrupted after epoch 2 and resumed: bit-identical to the run of 4 epochs
  const auto data = make_data<float, dense_model>(96, 3);
  auto options = [&](const std::string& ckpt) {
    return nn::train_options<std::remove_cvref_t<decltype(data)>>{
        .epochs = 4, .batch = 16, .seed = 6, .log = nullptr, .checkpoint = {.path = ckpt}};
  };
  auto a = nn::make<dense_model>(nn::init::pytorch_default{}, 8);
  nn::trainer fa{a, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 1e-2}};
  fa.train(data, options(temp("whole.ckpt")));
  const auto ckpt = temp("part.ckpt");
  {
    auto b = nn::make<dense_model>(nn::init::pytorch_default{}, 8);
    nn::trainer fb{b, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 1e-2}};
    auto opts = options(ckpt);
    opts.on_epoch = [](const nn::epoch_record& e) { return e.epoch < 2; };
    fb.train(data, opts);
  }
  auto c = nn::make<dense_model>(nn::init::pytorch_default{}, 99);
  nn::trainer fc{c, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 1e-2}};
  fc.resume(ckpt, data, options(ckpt));
  BOOST_TEST(c.export_parameters() == a.export_parameters());
  std::filesystem::remove(ckpt);
  std::filesystem::remove(temp("whole.ckpt"));
}
