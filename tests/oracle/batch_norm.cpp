// batch_norm against PyTorch's BatchNorm1d / BatchNorm2d (fixtures: tests/oracle/generate.py
// batch_norm): after dense, conv1d and conv2d, with random gamma, beta and running statistics:
// - training mode: outputs, MSE loss and parameter gradients of a batch of 4 (batch statistics);
// - the parameters and running statistics after 3 SGD steps of the trainer on that batch;
// - eval mode afterwards: outputs of 2 other samples (running statistics), batched and one by one.
// The same for a residual block holding batch_norm and dropout (fixtures: generate.py block),
// and for fake_quantize, whose buffers are an observed range (generate.py fake_quantize).
#define BOOST_TEST_MODULE oracle_batch_norm
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/fixtures.hpp"
#include "../support/support.hpp"

#include <boost/mpl/list.hpp>

#include <string>
#include <vector>

namespace nn = ctnn;
using nn::test::as;
using nn::test::forward_tol;
using nn::test::gradient_tol;
using nn::test::read_fixture;
using nn::test::scaled_error;

namespace {
using scalars = boost::mpl::list<float, double>;

using dense_model = nn::network<nn::input<nn::shape<4>>, nn::dense<6>, nn::batch_norm, nn::relu, nn::dense<2>>;
using conv1d_model =
    nn::network<nn::input<nn::shape<2, 7>>, nn::conv1d<3, 3>, nn::batch_norm, nn::tanh, nn::flatten, nn::dense<2>>;
using conv2d_model = nn::network<nn::input<nn::shape<2, 6, 6>>, nn::conv2d<3, nn::kernel<3, 3>>, nn::batch_norm,
                                 nn::relu, nn::flatten, nn::dense<2>>;

template <class T, class Model>
void check_case(const std::string& name, const std::string& file = "batch_norm.txt") {
  using net_t = nn::net<Model, T>;
  constexpr std::size_t n = 4, out = net_t::output_size;
  const auto fx = read_fixture(file);
  const auto& at = [&](const std::string& key) -> const std::vector<double>& { return fx.at(name + "." + key); };
  net_t net(as<T>(at("values")));
  const auto x = as<T>(at("x"));
  const auto target = as<T>(at("target"));

  // training mode: the batch's statistics
  auto ws = net.make_workspace(n);
  const T* y = net.forward_train(ws, x.data(), n);
  std::vector<double> got(n * out);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < out; ++k) got[r * out + k] = y[r * net_t::output_stride + k];
  BOOST_TEST(scaled_error(got, at("y")) <= forward_tol<T>, name);
  const T loss =
      nn::loss::mse::value_and_gradient(y, net_t::output_stride, target.data(), out, ws.output_gradient(), n);
  BOOST_TEST(std::abs(double(loss) - at("loss")[0]) <= forward_tol<T> * std::max(1.0, at("loss")[0]), name);
  nn::aligned_buffer<T> grads(net_t::param_size);
  net.backward(ws, x.data(), n, grads.data(), nn::kernels::store_mode::overwrite);
  // PyTorch's gradients are those of the parameters: drop the buffers' (zero) slots, found as the
  // values outside the trainable ranges (inside blocks too)
  net_t view, trainable;
  std::copy(grads.begin(), grads.end(), view.parameters().begin());
  net_t::for_each_trainable_stage([&](std::size_t, std::size_t b, std::size_t e) {
    std::fill(trainable.parameters().begin() + std::ptrdiff_t(b), trainable.parameters().begin() + std::ptrdiff_t(e),
              T(1));
  });
  const auto all = view.export_parameters(), is_parameter = trainable.export_parameters();
  std::vector<double> param_grads;
  for (std::size_t v = 0; v < all.size(); ++v) {
    if (is_parameter[v] == T(1))
      param_grads.push_back(all[v]);
    else
      BOOST_TEST(all[v] == T(0), name << ": a buffer got a gradient");
  }
  BOOST_TEST(param_grads.size() == Model::param_count);
  BOOST_TEST(scaled_error(param_grads, at("grads")) <= gradient_tol<T>, name);

  // three trainer steps on the batch: parameters and running statistics
  nn::dataset<T, typename Model::input_shape, nn::shape<2>> data;
  for (std::size_t r = 0; r < n; ++r)
    data.push_back(std::span<const T, net_t::input_size>(x.data() + r * net_t::input_size, net_t::input_size),
                   std::span<const T, 2>(target.data() + r * 2, 2));
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.1}};
  fit.train(data, {.epochs = 3, .batch = n, .shuffle = false, .log = nullptr});
  BOOST_TEST(scaled_error(net.export_parameters(), at("after3")) <= gradient_tol<T>, name);

  // eval mode: the running statistics, in a batch and one sample at a time
  const auto xe = as<T>(at("x_eval"));
  std::vector<T> ye(2 * out);
  net.predict(ws, xe.data(), ye.data(), 2);
  BOOST_TEST(scaled_error(std::vector<double>(ye.begin(), ye.end()), at("y_eval")) <= forward_tol<T>, name);
  typename net_t::input_type one;
  std::copy_n(xe.data() + net_t::input_size, net_t::input_size, one.data());
  const auto y1 = net(one);
  BOOST_TEST(scaled_error(std::vector<double>(y1.begin(), y1.end()),
                          std::vector<double>(at("y_eval").begin() + out, at("y_eval").end())) <= forward_tol<T>,
             name);
}
} // namespace

// A residual block holding batch_norm and dropout (generate.py block): the block updates the
// running statistics inside it, draws ctnn's masks (reproduced in PyTorch) as the same layers
// outside a block would, and skips the dropout at inference.
using block_model =
    nn::network<nn::input<nn::shape<4>>, nn::dense<6>,
                nn::residual<nn::dense<6>, nn::batch_norm, nn::relu, nn::dropout<1, 3>, nn::dense<6>>, nn::dense<2>>;
BOOST_AUTO_TEST_CASE_TEMPLATE(a_block_with_batch_norm_and_dropout_matches_pytorch, T, scalars) {
  // the fixture draws the dropout's masks from stream 4: the block is stage 1, and its dropout
  // comes after its dense, batch_norm and relu stages
  using block_stage = typename nn::detail::lowered<block_model, T>::template stage<1>;
  static_assert(block_stage::noise_ids[3] == 3 && block_stage::stages == 5);
  check_case<T, block_model>("block", "block.txt");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(batch_norm_after_dense_matches_pytorch, T, scalars) {
  check_case<T, dense_model>("dense");
}
BOOST_AUTO_TEST_CASE_TEMPLATE(batch_norm_after_conv1d_matches_pytorch, T, scalars) {
  check_case<T, conv1d_model>("conv1d");
}
BOOST_AUTO_TEST_CASE_TEMPLATE(batch_norm_after_conv2d_matches_pytorch, T, scalars) {
  check_case<T, conv2d_model>("conv2d");
}

// per_step<batch_norm>: BatchNorm1d on x.transpose(1, 2) between a per-step Linear and a GRU (generate.py
// per_step_batch_norm): statistics over every step of the batch in training, running ones at inference
BOOST_AUTO_TEST_CASE_TEMPLATE(batch_norm_on_every_step_matches_pytorch, T, scalars) {
  using model = nn::network<nn::input<nn::sequence<5, 3>>, nn::per_step<nn::dense<6>>, nn::per_step<nn::batch_norm>,
                            nn::relu, nn::gru<4>, nn::last, nn::dense<2>>;
  static_assert(model::param_count == 3 * 6 + 6 + 2 * 6 + 3 * 4 * (6 + 4 + 2) + 4 * 2 + 2);
  check_case<T, model>("sequence", "per_step_batch_norm.txt");
}

// batch_norm over the channels of a sequence of frames: BatchNorm2d on x.permute(0, 3, 1, 2) after a
// causal conv2d over time (generate.py frame_batch_norm)
BOOST_AUTO_TEST_CASE_TEMPLATE(batch_norm_over_frames_matches_pytorch, T, scalars) {
  using model =
      nn::network<nn::input<nn::sequence<6, 5, 2>>, nn::conv2d<3, nn::kernel<2, 3>, nn::causal, nn::padding<0, 1>>,
                  nn::batch_norm, nn::relu, nn::last, nn::dense<2>>;
  static_assert(model::param_count == 3 * 2 * 2 * 3 + 3 + 2 * 3 + 15 * 2 + 2);
  check_case<T, model>("frames", "frame_batch_norm.txt");
}

// fake_quantize: PyTorch's FakeQuantize (MovingAverageMinMaxObserver, quint8 0..127) between two
// dense layers (generate.py fake_quantize): the rounded activations, the straight-through
// gradients, the range observed over 3 steps and inference with it. In double: PyTorch computed
// in double, and a value on a rounding boundary may round the other way in float.
BOOST_AUTO_TEST_CASE(fake_quantize_matches_pytorch) {
  using model = nn::network<nn::input<nn::shape<4>>, nn::dense<6>, nn::relu, nn::fake_quantize, nn::dense<2>>;
  static_assert(model::param_count == 4 * 6 + 6 + 6 * 2 + 2 && model::buffer_count == 2);
  check_case<double, model>("dense", "fake_quantize.txt");
}
