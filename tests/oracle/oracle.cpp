// ctnn against PyTorch: dense layers with every activation (outputs, loss, gradients), every loss
// (value and gradient), and 4-step trajectories of SGD, momentum, Nesterov, Adam and AdamW.
// Fixtures come from tests/oracle/generate.py (float64 PyTorch); tolerances from tests/README.md.
#define BOOST_TEST_MODULE oracle
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/fixtures.hpp"
#include "../support/support.hpp"

#include <boost/mpl/list.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace nn = ctnn;
using nn::test::as;
using nn::test::forward_tol;
using nn::test::gradient_tol;
using nn::test::read_fixture;
using nn::test::scaled_error;

namespace {

template <class T, class Act>
void check_dense_fixture(const std::string& name) {
  nn::test::check_mse_case<T, nn::network<nn::input<nn::shape<9>>, nn::dense<17>, Act, nn::dense<4>>>("dense.txt", name,
                                                                                                      3);
}

using scalars = boost::mpl::list<float, double>;

} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(dense_layers_match_pytorch, T, scalars) {
  check_dense_fixture<T, nn::identity>("identity");
  check_dense_fixture<T, nn::relu>("relu");
  check_dense_fixture<T, nn::leaky_relu>("leaky_relu");
  check_dense_fixture<T, nn::sigmoid>("sigmoid");
  check_dense_fixture<T, nn::tanh>("tanh");
  check_dense_fixture<T, nn::gelu>("gelu");
  check_dense_fixture<T, nn::softmax>("softmax");
}

namespace {
template <class T, class Act>
void check_more_activations(const std::string& name, double gradient_tolerance = nn::test::gradient_tol<T>) {
  nn::test::check_mse_case<T, nn::network<nn::input<nn::shape<9>>, nn::dense<17>, Act, nn::dense<4>>>(
      "dense_activations.txt", name, 3, gradient_tolerance);
}
} // namespace

// SiLU, ELU, ReLU6, Hardtanh, Hardswish, Hardsigmoid (fixtures: generate.py activations)
BOOST_AUTO_TEST_CASE_TEMPLATE(mobile_activations_match_pytorch, T, scalars) {
  check_more_activations<T, nn::silu>("silu");
  check_more_activations<T, nn::elu>("elu");
  check_more_activations<T, nn::elu_alpha<1, 2>>("elu_alpha_1_2");
  check_more_activations<T, nn::relu6>("relu6");
  check_more_activations<T, nn::hardtanh_range<-2, 3>>("hardtanh_range_m2_3");
  check_more_activations<T, nn::hardswish>("hardswish");
  // PyTorch 1.13's Hardsigmoid backward multiplies by 1/6 rounded to float even in float64
  // (0.1666666716...); ctnn uses 1/6 in T, so in double the gradients differ by 3e-8 relative
  check_more_activations<T, nn::hardsigmoid>("hardsigmoid", std::max(nn::test::gradient_tol<T>, 1e-7));
}

namespace {
template <class Loss, class T>
void check_loss_fixture(const std::string& name) {
  const auto fx = read_fixture("losses.txt");
  const auto z = as<T>(fx.at("z"));
  const auto t = as<T>(fx.at(name + ".target"));
  std::vector<T> dz(z.size());
  const T loss = Loss::value_and_gradient(z.data(), 5, t.data(), 5, dz.data(), 4);
  BOOST_TEST(std::abs(double(loss) - fx.at(name + ".loss")[0]) / std::max(1.0, std::abs(fx.at(name + ".loss")[0])) <=
                 forward_tol<T>,
             name);
  BOOST_TEST(scaled_error(dz, fx.at(name + ".grad")) <= gradient_tol<T>, name);
}
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(losses_match_pytorch, T, scalars) {
  check_loss_fixture<nn::loss::mse, T>("mse");
  check_loss_fixture<nn::loss::bce_with_logits, T>("bce_with_logits");
  check_loss_fixture<nn::loss::softmax_cross_entropy, T>("softmax_cross_entropy");
}

namespace {
template <class T, class Optim>
void check_trajectory(const std::string& name, const Optim& optimizer) {
  using model = nn::network<nn::input<nn::shape<6>>, nn::dense<3>>;
  const auto fx = read_fixture("optim.txt");
  nn::net<model, T> net;
  net.import_parameters(as<T>(fx.at("initial")));
  nn::dataset<T, nn::shape<6>, nn::shape<3>> data;
  const auto x = as<T>(fx.at("x"));
  const auto t = as<T>(fx.at("target"));
  for (std::size_t r = 0; r < 8; ++r)
    data.push_back(std::span<const T, 6>(x.data() + r * 6, 6), std::span<const T, 3>(t.data() + r * 3, 3));
  nn::trainer fit{net, nn::loss::mse{}, optimizer};
  for (int step = 1; step <= 4; ++step) {
    fit.train(data, {.epochs = 1, .batch = 8, .shuffle = false, .log = nullptr}); // one full-batch step
    BOOST_TEST(scaled_error(net.export_parameters(), fx.at(name + ".step" + std::to_string(step))) <= gradient_tol<T>,
               name << " step " << step);
  }
}
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(optimizer_trajectories_match_pytorch, T, scalars) {
  check_trajectory<T>("sgd", nn::optim::sgd{.lr = 0.1});
  check_trajectory<T>("momentum", nn::optim::sgd{.lr = 0.1, .momentum = 0.9});
  check_trajectory<T>("nesterov", nn::optim::sgd{.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01});
  check_trajectory<T>("adam", nn::optim::adam{.lr = 0.01, .weight_decay = 0.01});
  check_trajectory<T>("adamw", nn::optim::adamw{.lr = 0.01, .weight_decay = 0.1});
}
