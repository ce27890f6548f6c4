// Composite blocks carry every capability of the layers inside them. Each case puts a list of
// layers (every layer kind ctnn has, and the user's layer of examples/custom_layer.cpp) inside
// residual<...> and compares the block with the same layers outside it: since
// block(x) = x + f(x), training the block on targets t with the MSE loss is training f on t - x,
// step for step. So parameters, buffers (batch_norm's running statistics), random masks
// (dropout), inference (running statistics, dropout skipped), two cores, weight files, folding
// and streams must all agree with the layers outside a block.
#define BOOST_TEST_MODULE blocks
#include <boost/test/unit_test.hpp>

#define CTNN_CUSTOM_LAYER_NO_MAIN
#include "../../examples/custom_layer.cpp"

#include <ctnn/ctnn.hpp>

#include "../support/streams.hpp"
#include "../support/support.hpp"

#include <boost/mpl/list.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {

template <class In, class... Ls>
struct block_case {
  using inside = nn::network<nn::input<In>, nn::residual<Ls...>>;
  using outside = nn::network<nn::input<In>, Ls...>;
  /// the same, one block deeper: residual<residual<Ls...>> is x + (x + f(x))
  using nested = nn::network<nn::input<In>, nn::residual<nn::residual<Ls...>>>;
  /// x + f(x) again, as a parallel block, and [f(x), x] concatenated
  using added = nn::network<nn::input<In>, nn::parallel<nn::add, nn::branch<Ls...>, nn::branch<>>>;
  using joined = nn::network<nn::input<In>, nn::parallel<nn::concat, nn::branch<Ls...>, nn::branch<>>>;
};

using vec = nn::shape<6>;
using maps = nn::shape<2, 6, 6>;
using signal = nn::shape<3, 10>;
using seq = nn::sequence<5, 4>;

using cases = boost::mpl::list<
    block_case<vec, nn::dense<6>, nn::relu>,                                     // dense, fused activation
    block_case<vec, nn::dense<6>, nn::batch_norm, nn::tanh, nn::dense<6>>,       // batch_norm after dense
    block_case<vec, nn::dense<6>, nn::sigmoid, nn::dropout<1, 4>, nn::dense<6>>, // dropout, layers before it
    block_case<vec, nn::dropout<1, 2>, nn::dense<6>>,                            // dropout first
    block_case<vec, nn::layer_norm, nn::dense<6>, nn::gelu>,                     // layer_norm
    block_case<signal, nn::conv1d<3, 3, nn::same>, nn::batch_norm, nn::relu>,    // conv1d, batch_norm 1d
    block_case<maps, nn::conv2d<2, nn::kernel<3>, nn::same>, nn::batch_norm, nn::leaky_relu>,         // conv2d, 2d
    block_case<maps, nn::max_pool2d<nn::kernel<2>>, nn::upsample2d<2>, nn::conv2d<2, nn::kernel<1>>>, // pools
    block_case<maps, nn::avg_pool2d<nn::kernel<2>>, nn::conv_transpose2d<2, nn::kernel<2>, nn::stride<2>>>,
    block_case<maps, nn::flatten, nn::dense<72>, nn::dropout<1, 5>, nn::reshape<2, 6, 6>>, // views
    block_case<signal, nn::conv1d<3, 3, nn::same>, my::prelu>,                             // the user's layer
    block_case<seq, nn::lstm<4>, nn::layer_norm>,                                          // sequences
    block_case<seq, nn::gru<4>>, block_case<seq, nn::rnn<4>, nn::dropout<1, 3>>,
    block_case<vec, nn::residual<nn::dense<6>, nn::batch_norm>, nn::dropout<1, 3>, nn::dense<6>> // a block inside
    >;

template <class Model>
constexpr bool has_batch_norm = !std::is_same_v<nn::batch_norm_folded<Model>, Model>;

template <class In>
using data = nn::dataset<double, In, In>;

/// Inputs, and targets t for the block (t - x for the layers outside it).
template <class In>
std::pair<data<In>, data<In>> make_data(std::size_t n, std::uint64_t seed) {
  data<In> block, plain;
  nn::rng g(seed);
  for (std::size_t i = 0; i < n; ++i) {
    nn::tensor<double, In> x, t, d;
    for (std::size_t k = 0; k < In::size; ++k) {
      x[k] = g.uniform(-1, 2); // off centre: batch statistics have work to do
      t[k] = std::sin(3 * x[k]) + 0.1 * double(k % 3);
      d[k] = t[k] - x[k];
    }
    block.push_back(x, t);
    plain.push_back(x, d);
  }
  return {block, plain};
}

template <class Net, class Data>
void train(Net& n, const Data& d, std::size_t threads, std::size_t epochs = 3) {
  nn::trainer fit{n, nn::loss::mse{}, nn::optim::sgd{.lr = 0.05, .momentum = 0.9}};
  fit.set_threads(threads, false);
  fit.train(d, {.epochs = epochs, .batch = 8, .seed = 4, .log = nullptr});
}

template <class In>
std::vector<nn::tensor<double, In>> probes(std::size_t n) {
  std::vector<nn::tensor<double, In>> xs(n);
  nn::rng g(17);
  for (auto& x : xs)
    for (auto& v : x) v = g.uniform(-1, 2);
  return xs;
}

/// max over the probes of |block(x) - (x + outside(x))| relative to the output scale
template <class Inside, class Outside>
double residual_error(const Inside& inside, const Outside& outside) {
  double worst = 0;
  for (const auto& x : probes<typename Inside::input_shape>(6)) {
    const auto a = inside(x);
    auto b = outside(x);
    for (std::size_t k = 0; k < b.size(); ++k) b[k] += x[k];
    worst = std::max(worst, nn::test::scaled_error(a, b));
  }
  return worst;
}

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ctnn-blocks-" + std::to_string(::getpid()) + "-" + name)).string();
}

constexpr double tight = 1e-9; // the block and the plain layers differ by rounding only

} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(a_block_trains_as_its_layers_do, C, cases) {
  using inside = typename C::inside;
  using outside = typename C::outside;
  using In = typename inside::input_shape;
  static_assert(nn::net<inside, double>::value_count == nn::net<outside, double>::value_count);
  static_assert(inside::buffer_count == outside::buffer_count);
  const auto start = nn::make<outside, double>(nn::init::pytorch_default{}, 3).export_parameters();
  nn::net<inside, double> a{std::span<const double>(start)};
  nn::net<outside, double> b{std::span<const double>(start)};
  BOOST_TEST(a.export_parameters() == start); // import and export keep the inner order and buffers
  BOOST_TEST(residual_error(a, b) <= tight);

  const auto [block_data, plain_data] = make_data<In>(48, 5);
  train(a, block_data, 1);
  train(b, plain_data, 1);
  const auto va = a.export_parameters(), vb = b.export_parameters();
  BOOST_TEST(nn::test::scaled_error(va, vb) <= tight);  // parameters, running statistics, masks
  BOOST_TEST(nn::test::scaled_error(va, start) > 1e-3); // and training did move them
  BOOST_TEST(residual_error(a, b) <= tight);            // inference: running statistics, no dropout

  // two cores: batch statistics on one core, masks per row, gradients of both halves
  nn::net<inside, double> two{std::span<const double>(start)};
  train(two, block_data, 2);
  BOOST_TEST(nn::test::scaled_error(two.export_parameters(), va) <= tight);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_block_inside_a_block_too, C, cases) {
  using nested = typename C::nested;
  using outside = typename C::outside;
  using In = typename nested::input_shape;
  const auto start = nn::make<outside, double>(nn::init::pytorch_default{}, 3).export_parameters();
  nn::net<nested, double> a{std::span<const double>(start)};
  nn::net<outside, double> b{std::span<const double>(start)};
  // nested(x) = 2x + f(x): trained on t, f sees the targets t - 2x
  auto [block_data, plain_data] = make_data<In>(48, 5);
  nn::dataset<double, In, In> twice;
  for (std::size_t i = 0; i < block_data.size(); ++i) {
    nn::tensor<double, In> x, t;
    std::copy_n(block_data.input(i), In::size, x.data());
    for (std::size_t k = 0; k < In::size; ++k) t[k] = plain_data.target(i)[k] - x[k];
    twice.push_back(x, t);
  }
  train(a, block_data, 1);
  train(b, twice, 1);
  BOOST_TEST(nn::test::scaled_error(a.export_parameters(), b.export_parameters()) <= tight);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_block_saves_loads_and_folds, C, cases) {
  using inside = typename C::inside;
  using In = typename inside::input_shape;
  auto a = nn::make<inside, double>(nn::init::pytorch_default{}, 3);
  train(a, make_data<In>(32, 6).first, 1, 2);
  const auto path = temp("weights.ctnn");
  nn::save(a, path);
  nn::net<inside, double> loaded;
  nn::load(loaded, path);
  std::filesystem::remove(path);
  BOOST_TEST(loaded.export_parameters() == a.export_parameters());
  for (const auto& x : probes<In>(3)) BOOST_TEST(nn::test::scaled_error(loaded(x), a(x)) == 0.0);

  if constexpr (has_batch_norm<inside>) {
    const auto folded = nn::fold_batch_norm(a);
    static_assert(!has_batch_norm<typename std::remove_cvref_t<decltype(folded)>::model>);
    for (const auto& x : probes<In>(4)) BOOST_TEST(nn::test::scaled_error(folded(x), a(x)) <= 1e-12);
  }
}

namespace {
/// Stepping network a over a sequence equals its whole-sequence forward, step for step.
template <class Model>
void check_streams(const nn::net<Model, double>& a) {
  for (const auto& x : probes<typename Model::input_shape>(3))
    BOOST_TEST(nn::test::stream_difference(a, x.data()) <= 1e-12);
}
template <class Model>
void check_streams() {
  check_streams(nn::make<Model, double>(nn::init::pytorch_default{}, 3));
}
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(a_block_streams_as_its_layers_do, C, cases) {
  using inside = typename C::inside;
  using In = typename inside::input_shape;
  if constexpr (In::dims.sequence) {
    auto a = nn::make<inside, double>(nn::init::pytorch_default{}, 3);
    train(a, make_data<In>(32, 6).first, 1, 2);
    check_streams(a);
    // parallel blocks over a sequence step too: the same branches added to the input, concatenated
    check_streams<typename C::added>();
    check_streams<typename C::joined>();
  }
}

BOOST_AUTO_TEST_CASE(a_graph_with_recurrent_branches_streams) {
  // a recurrent branch beside a stack of two and the input, concatenated per step, then a
  // product of two recurrent branches (one normalized) and a recurrent layer after the blocks
  using model =
      nn::network<nn::input<nn::sequence<7, 3>>,
                  nn::parallel<nn::concat, nn::branch<nn::lstm<4>>, nn::branch<nn::gru<3>, nn::rnn<2>>, nn::branch<>>,
                  nn::parallel<nn::multiply, nn::branch<nn::gru<5>>, nn::branch<nn::lstm<5>, nn::layer_norm>>,
                  nn::gru<2>>;
  static_assert(model::layer_output(1) == nn::dims{2, {7, 9}, true});
  check_streams<model>();
}

// parallel<add, branch<f>, branch<>> is residual<f> by another mechanism: the same values, masks
// and batch statistics, trained on one core and on two, saved and loaded.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_parallel_add_of_f_and_the_input_trains_as_a_residual_block, C, cases) {
  using added = typename C::added;
  using inside = typename C::inside;
  using In = typename inside::input_shape;
  static_assert(nn::net<added, double>::value_count == nn::net<inside, double>::value_count);
  const auto start = nn::make<inside, double>(nn::init::pytorch_default{}, 3).export_parameters();
  nn::net<added, double> a{std::span<const double>(start)};
  nn::net<inside, double> b{std::span<const double>(start)};
  BOOST_TEST(a.export_parameters() == start);
  for (const auto& x : probes<In>(3)) BOOST_TEST(nn::test::scaled_error(a(x), b(x)) <= tight);
  const auto block_data = make_data<In>(48, 5).first;
  train(a, block_data, 1);
  train(b, block_data, 1);
  const auto va = a.export_parameters();
  BOOST_TEST(nn::test::scaled_error(va, b.export_parameters()) <= tight);
  BOOST_TEST(nn::test::scaled_error(va, start) > 1e-3);
  for (const auto& x : probes<In>(3)) BOOST_TEST(nn::test::scaled_error(a(x), b(x)) <= tight);
  nn::net<added, double> two{std::span<const double>(start)};
  train(two, block_data, 2);
  BOOST_TEST(nn::test::scaled_error(two.export_parameters(), va) <= tight);

  const auto path = temp("parallel.ctnn");
  nn::save(a, path);
  nn::net<added, double> loaded;
  nn::load(loaded, path);
  std::filesystem::remove(path);
  BOOST_TEST(loaded.export_parameters() == va);

  if constexpr (has_batch_norm<added>) { // folding reaches into branches
    const auto folded = nn::fold_batch_norm(a);
    static_assert(!has_batch_norm<typename std::remove_cvref_t<decltype(folded)>::model>);
    for (const auto& x : probes<In>(4)) BOOST_TEST(nn::test::scaled_error(folded(x), a(x)) <= 1e-12);
  }
}

// concat puts each branch's output after the ones before it (for sequences, in each step).
BOOST_AUTO_TEST_CASE_TEMPLATE(a_parallel_concat_joins_its_branches_in_order, C, cases) {
  using joined = typename C::joined;
  using outside = typename C::outside;
  using In = typename outside::input_shape;
  const auto start = nn::make<outside, double>(nn::init::pytorch_default{}, 3).export_parameters();
  nn::net<joined, double> a{std::span<const double>(start)};
  nn::net<outside, double> f{std::span<const double>(start)};
  constexpr std::size_t steps = In::dims.sequence ? In::dims.extent[0] : 1;
  constexpr std::size_t width = In::size / steps; // f keeps the shape
  for (const auto& x : probes<In>(3)) {
    const auto y = a(x);
    const auto fx = f(x);
    BOOST_TEST(y.size() == 2 * In::size);
    std::vector<double> expected;
    for (std::size_t t = 0; t < steps; ++t) {
      expected.insert(expected.end(), fx.data() + t * width, fx.data() + (t + 1) * width);
      expected.insert(expected.end(), x.data() + t * width, x.data() + (t + 1) * width);
    }
    BOOST_TEST(nn::test::scaled_error(std::vector<double>(y.begin(), y.end()), expected) <= tight);
  }
}

BOOST_AUTO_TEST_CASE(a_parallel_blocks_branches_are_reached_through_its_view) {
  using model = nn::network<nn::input<nn::shape<4>>,
                            nn::parallel<nn::concat, nn::branch<nn::dense<3>>, nn::branch<nn::tanh, nn::dense<2>>>>;
  auto n = nn::make<model>(nn::init::pytorch_default{}, 1);
  const auto values = n.export_parameters(); // branch 0: dense 4x3+3, branch 1: dense 4x2+2
  BOOST_TEST(n.layer<1>().branch<0>().layer<0>().weight(2, 1) == values[2 * 4 + 1]);
  BOOST_TEST(n.layer<1>().branch<1>().layer<1>().bias(1) == values[15 + 8 + 1]);
  n.layer<1>().branch<1>().layer<1>().weight(0, 3) = 0.5f;
  BOOST_TEST(n.export_parameters()[15 + 3] == 0.5f);
}

BOOST_AUTO_TEST_CASE(a_blocks_layers_are_reached_through_its_view) {
  using model = nn::network<nn::input<nn::shape<4>>, nn::dense<6>,
                            nn::residual<nn::dense<6>, nn::batch_norm, nn::residual<nn::dense<6>, nn::tanh>>,
                            nn::residual<nn::project, nn::dense<3>>>;
  auto n = nn::make<model>(nn::init::pytorch_default{}, 1);
  const auto values = n.export_parameters(); // dense 4x6+6, then the block: dense 6x6+6, batch_norm 4x6, ...
  auto block = n.layer<2>();
  BOOST_TEST(block.layer<0>().weight(1, 2) == values[30 + 1 * 6 + 2]);
  BOOST_TEST(block.layer<0>().bias(5) == values[30 + 36 + 5]);
  BOOST_TEST(block.layer<1>().gamma(0) == 1.f);
  BOOST_TEST(block.layer<1>().running_var(3) == 1.f);
  block.layer<2>().layer<0>().weight(0, 0) = 0.25f; // a block inside the block
  BOOST_TEST(n.export_parameters()[30 + 42 + 24] == 0.25f);
  BOOST_TEST(n.layer<3>().projection().weight(2, 5) ==
             n.export_parameters()[30 + 42 + 24 + 42 + 6 * 3 + 3 + 2 * 6 + 5]);
}
