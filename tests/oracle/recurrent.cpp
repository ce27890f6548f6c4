// ctnn's recurrent layers against PyTorch (tests/oracle/generate.py, float64): nn.RNN (tanh,
// relu), nn.LSTM and nn.GRU over sequences (outputs, MSE loss, gradients of every parameter in
// PyTorch's weight_ih/weight_hh/bias_ih/bias_hh order), stacked cells with `last` and a dense
// head, and 4 full-batch Adam steps of a small LSTM and GRU network, in float and double.
// Streams: stepping through a sequence gives the whole-sequence outputs. nn.Linear on every step
// (per_step<dense<N>>) between and after recurrent layers, with activations.
#define BOOST_TEST_MODULE oracle_recurrent
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/fixtures.hpp"
#include "../support/support.hpp"

#include <boost/mpl/list.hpp>

#include <span>
#include <string>
#include <vector>

namespace nn = ctnn;
using nn::test::as;
using nn::test::forward_tol;
using nn::test::read_fixture;
using nn::test::scaled_error;

namespace {
using scalar_types = boost::mpl::list<float, double>;

template <class T, class Model>
void check_case(const std::string& name) {
  nn::test::check_mse_case<T, Model>("recurrent.txt", name, 3);
}

/// 4 full-batch Adam(lr = 0.01) steps on MSE through the trainer, against torch.optim.Adam.
template <class T, class Model>
void check_adam(const std::string& name) {
  const auto fx = read_fixture("recurrent.txt");
  const auto& at = [&](const std::string& key) -> const std::vector<double>& { return fx.at(name + "." + key); };
  nn::net<Model, T> net;
  net.import_parameters(as<T>(at("params")));
  const auto x = as<T>(at("x"));
  const auto target = as<T>(at("target"));
  constexpr std::size_t in = Model::input_shape::size, n = 4;
  nn::dataset<T, typename Model::input_shape, nn::shape<1>> data;
  for (std::size_t r = 0; r < n; ++r)
    data.push_back(std::span<const T, in>(x.data() + r * in, in), std::span<const T, 1>(target.data() + r, 1));
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  for (int step = 1; step <= 4; ++step) {
    fit.train(data, {.epochs = 1, .batch = n, .shuffle = false, .log = nullptr});
    BOOST_TEST(scaled_error(net.export_parameters(), at("step" + std::to_string(step))) <=
                   (sizeof(T) == 4 ? 2e-4 : 1e-8),
               name << " step " << step);
  }
}
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(cells_match_pytorch, T, scalar_types) {
  check_case<T, nn::network<nn::input<nn::sequence<4, 3>>, nn::rnn<5>>>("rnn_tanh");
  check_case<T, nn::network<nn::input<nn::sequence<5, 2>>, nn::rnn<4, nn::relu>>>("rnn_relu");
  check_case<T, nn::network<nn::input<nn::sequence<5, 3>>, nn::lstm<5>>>("lstm");
  check_case<T, nn::network<nn::input<nn::sequence<6, 3>>, nn::gru<5>>>("gru");
  check_case<T, nn::network<nn::input<nn::sequence<4, 2>>, nn::lstm<6>, nn::gru<3>, nn::last, nn::dense<2>>>(
      "lstm_gru_last_dense");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(small_recurrent_networks_train_as_pytorch, T, scalar_types) {
  check_adam<T, nn::network<nn::input<nn::sequence<7, 2>>, nn::lstm<6>, nn::last, nn::dense<1>>>("adam_lstm");
  check_adam<T, nn::network<nn::input<nn::sequence<7, 2>>, nn::gru<6>, nn::last, nn::dense<1>>>("adam_gru");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_stream_gives_the_whole_sequence_outputs, T, scalar_types) {
  // stacked cells, with and without `last`: each step's output equals the sequence forward's
  using seq = nn::network<nn::input<nn::sequence<9, 3>>, nn::lstm<6>, nn::gru<5>, nn::rnn<4>>;
  using head = nn::network<nn::input<nn::sequence<9, 3>>, nn::lstm<6>, nn::gru<5>, nn::last, nn::dense<2>, nn::tanh>;
  const auto a = nn::make<seq, T>(nn::init::pytorch_default{}, 5);
  const auto b = nn::make<head, T>(nn::init::pytorch_default{}, 5);
  typename nn::net<seq, T>::input_type x;
  nn::rng g(9);
  for (auto& v : x) v = T(g.uniform(-2, 2));
  const auto whole = a(x);
  const auto final_output = b(x);
  auto sa = a.make_state();
  auto sb = b.make_state();
  for (int pass = 0; pass < 2; ++pass) { // reset() starts the stream over
    for (std::size_t t = 0; t < 9; ++t) {
      typename nn::net<seq, T>::step_input_type xt;
      std::copy_n(x.data() + t * 3, 3, xt.data());
      const auto ya = a.step(sa, xt);
      const auto yb = b.step(sb, xt);
      BOOST_TEST(scaled_error(std::vector<double>(ya.begin(), ya.end()),
                              std::vector<double>(whole.begin() + t * 4, whole.begin() + (t + 1) * 4)) <=
                 forward_tol<T>);
      if (t == 8)
        BOOST_TEST(scaled_error(std::vector<double>(yb.begin(), yb.end()),
                                std::vector<double>(final_output.begin(), final_output.end())) <= forward_tol<T>);
    }
    sa.reset();
    sb.reset();
  }
  // two streams share one network: interleaving them changes nothing
  auto s1 = a.make_state(), s2 = a.make_state();
  typename nn::net<seq, T>::step_input_type zero{};
  for (std::size_t t = 0; t < 9; ++t) {
    typename nn::net<seq, T>::step_input_type xt;
    std::copy_n(x.data() + t * 3, 3, xt.data());
    const auto y1 = a.step(s1, xt);
    a.step(s2, zero);
    BOOST_TEST(scaled_error(std::vector<double>(y1.begin(), y1.end()),
                            std::vector<double>(whole.begin() + t * 4, whole.begin() + (t + 1) * 4)) <= forward_tol<T>);
  }
  static_assert(noexcept(a.step(s1, zero)));

  // a batch of streams in one call: each stream as if stepped alone (streams in blocks of 4 and
  // a remainder: 7 streams), with `last` and a dense head after it
  constexpr std::size_t n = 7;
  std::vector<typename nn::net<head, T>::stream_state> states(n), alone(n);
  std::vector<T> xs(n * 3), ys(n * 2);
  for (std::size_t t = 0; t < 9; ++t) {
    for (auto& v : xs) v = T(g.uniform(-2, 2));
    b.step(states, xs.data(), ys.data());
    for (std::size_t s = 0; s < n; ++s) {
      typename nn::net<head, T>::step_input_type xt;
      std::copy_n(xs.data() + s * 3, 3, xt.data());
      const auto y = b.step(alone[s], xt);
      BOOST_TEST(scaled_error(std::vector<double>(y.begin(), y.end()),
                              std::vector<double>(ys.begin() + s * 2, ys.begin() + (s + 1) * 2)) <= forward_tol<T>,
                 "step " << t << " stream " << s);
    }
  }
  // the same with tensors: ys = net.step(states, xs), for a std::array and a std::vector of streams
  std::array<typename nn::net<head, T>::stream_state, 3> fixed{};
  std::vector<typename nn::net<head, T>::stream_state> many(3), one_by_one(3);
  for (std::size_t t = 0; t < 4; ++t) {
    std::array<typename nn::net<head, T>::step_input_type, 3> in;
    for (auto& xt : in)
      for (auto& v : xt) v = T(g.uniform(-2, 2));
    const auto from_array = b.step(fixed, in);
    const auto from_vector =
        b.step(many, std::vector<typename nn::net<head, T>::step_input_type>(in.begin(), in.end()));
    for (std::size_t s = 0; s < 3; ++s) {
      const auto y = b.step(one_by_one[s], in[s]);
      for (std::size_t k = 0; k < 2; ++k) {
        BOOST_TEST(std::abs(double(from_array[s][k]) - double(y[k])) <= forward_tol<T>);
        BOOST_TEST(std::abs(double(from_vector[s][k]) - double(y[k])) <= forward_tol<T>);
      }
    }
  }
  static_assert(noexcept(b.step(fixed, std::array<typename nn::net<head, T>::step_input_type, 3>{})));
  BOOST_CHECK_THROW(b.step(many, std::vector<typename nn::net<head, T>::step_input_type>(2)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(per_step_layers_match_pytorch, T, scalar_types) {
  // nn.Linear on a [batch, steps, features] tensor is per_step<dense<N>>
  using lstm_linear = nn::network<nn::input<nn::sequence<5, 3>>, nn::lstm<6>, nn::per_step<nn::dense<2>>>;
  using linear_gru = nn::network<nn::input<nn::sequence<4, 4>>, nn::per_step<nn::dense<5>>, nn::tanh, nn::gru<3>,
                                 nn::last, nn::dense<2>>;
  using gru_linear =
      nn::network<nn::input<nn::sequence<6, 2>>, nn::gru<4>, nn::relu, nn::per_step<nn::dense<3>>, nn::sigmoid>;
  nn::test::check_mse_case<T, lstm_linear>("per_step.txt", "lstm_linear", 3);
  nn::test::check_mse_case<T, linear_gru>("per_step.txt", "linear_tanh_gru_last", 3);
  nn::test::check_mse_case<T, gru_linear>("per_step.txt", "gru_relu_linear_sigmoid", 3);
  nn::test::check_adam_steps<T, lstm_linear>("per_step.txt", "lstm_linear", 3);
  nn::test::check_adam_steps<T, linear_gru>("per_step.txt", "linear_tanh_gru_last", 3);
  nn::test::check_adam_steps<T, gru_linear>("per_step.txt", "gru_relu_linear_sigmoid", 3);
}
