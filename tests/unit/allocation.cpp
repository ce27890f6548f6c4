// The hot paths allocate nothing: global operator new/delete are replaced by counting versions,
// and after warm-up single-sample inference, batched forward/backward, loss gradient and the
// optimizer step (whole trainer steps) must not call them; a network too large for the stack
// runs from the thread's frames, allocating on its first call only.
#define BOOST_TEST_MODULE allocation
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <array>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include <pthread.h>

// These replacements pair malloc with free on purpose; GCC cannot see that they replace the
// global operators and warns when it inlines them.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<std::size_t> allocations{0};
}

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a) {
  ++allocations;
  if (void* p = std::aligned_alloc(static_cast<std::size_t>(a), (n + static_cast<std::size_t>(a) - 1) /
                                                                    static_cast<std::size_t>(a) *
                                                                    static_cast<std::size_t>(a)))
    return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace nn = ctnn;

BOOST_AUTO_TEST_CASE(counting_allocator_sees_allocations) {
  const std::size_t before = allocations;
  // a direct call: compilers may elide a new-expression/delete pair, but not this
  void* p = ::operator new(16);
  ::operator delete(p);
  std::vector<float> v(100);             // and what a std::vector does goes through it as well
  BOOST_TEST(allocations == before + 2); // the counter works, so zero below means zero
  BOOST_TEST(v.size() == 100u);
}

BOOST_AUTO_TEST_CASE(hot_paths_do_not_allocate) {
  using model = nn::network<nn::input<nn::shape<32>>, nn::dense<64>, nn::relu, nn::dense<64>, nn::gelu, nn::dense<10>,
                            nn::softmax>;
  auto net = nn::make<model>(nn::init::he_uniform{}, 1);
  nn::tensor<float, nn::shape<32>> x{};
  for (std::size_t i = 0; i < 32; ++i) x[i] = float(i) / 32;

  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{}};
  fit.reserve(16, 10); // warm-up: the only allocations
  for (std::size_t r = 0; r < 16; ++r)
    for (std::size_t i = 0; i < 32; ++i) fit.work().input()[r * 32 + i] = float(r + i) / 40;
  for (std::size_t k = 0; k < 16 * 10; ++k) fit.targets()[k] = float(k % 10) / 10;

  const std::size_t before = allocations;
  float sink = 0;
  for (int rep = 0; rep < 10; ++rep) {
    sink += net(x)[0];         // single-sample inference
    sink += fit.step(16).loss; // batched forward, loss gradient, backward, Adam step
    sink += fit.step(5).loss;  // a smaller last batch
  }
  BOOST_TEST(allocations == before);
  BOOST_TEST(std::isfinite(sink));
  BOOST_TEST(fit.steps() == 20);

  // two threads: the helper thread and its buffers come from set_threads, not from steps
  fit.set_threads(2, /*adaptive=*/false);
  fit.reserve(16, 10);
  const std::size_t before_split = allocations;
  for (int rep = 0; rep < 10; ++rep) sink += fit.step(16).loss;
  BOOST_TEST(allocations == before_split);
  BOOST_TEST(std::isfinite(sink));
}

// The same for the convolutional layers: conv, pools, a residual block holding batch_norm and
// dropout (its inner buffers live in the workspace; its running statistics move after each step),
// global average pooling; one thread and two.
BOOST_AUTO_TEST_CASE(convolutional_hot_paths_do_not_allocate) {
  using model = nn::network<
      nn::input<nn::shape<2, 12, 12>>, nn::conv2d<8, nn::kernel<3>, nn::same>, nn::relu, nn::max_pool2d<nn::window<2>>,
      nn::residual<nn::conv2d<8, nn::kernel<3>, nn::same>, nn::batch_norm, nn::relu, nn::dropout<1, 5>,
                   nn::conv2d<8, nn::kernel<3>, nn::same>>,
      nn::relu, nn::avg_pool2d<nn::window<2>>, nn::conv2d<4, nn::kernel<1>>, nn::global_avg_pool, nn::dense<3>>;
  auto net = nn::make<model>(nn::init::he_uniform{}, 2);
  nn::tensor<float, nn::shape<2, 12, 12>> x{};
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 17) / 17;
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{.lr = 0.01, .momentum = 0.9}};
  fit.reserve(16, 1);
  for (std::size_t k = 0; k < 16 * 288; ++k) fit.work().input()[k] = float(k % 13) / 13;
  for (std::size_t r = 0; r < 16; ++r) fit.targets()[r] = float(r % 3);
  auto ws = net.make_workspace(16);
  const std::size_t before = allocations;
  float sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    sink += net(x)[0];
    sink += net.forward_batch(ws, fit.work().input(), 16)[0];
    sink += fit.step(16).loss;
    sink += fit.step(7).loss;
  }
  BOOST_TEST(allocations == before);
  fit.set_threads(2, /*adaptive=*/false);
  fit.reserve(16, 1);
  const std::size_t before_split = allocations;
  for (int rep = 0; rep < 5; ++rep) sink += fit.step(16).loss;
  BOOST_TEST(allocations == before_split);
  BOOST_TEST(std::isfinite(sink));
}

// Recurrent networks (with a causal conv1d and a per-step layer): streams (one and many, with
// clipping on in training), the whole-sequence forward and training steps on one thread and two.
BOOST_AUTO_TEST_CASE(recurrent_hot_paths_do_not_allocate) {
  // the block steps its inner layers; the causal conv1d its ring, per_step its dense layer
  using model = nn::network<nn::input<nn::sequence<6, 2>>, nn::conv1d<4, 3, nn::causal, nn::dilation<2>>, nn::tanh,
                            nn::lstm<8>, nn::residual<nn::gru<8>, nn::layer_norm>, nn::per_step<nn::dense<6>>,
                            nn::gru<5>, nn::last, nn::dense<1>>;
  using net_t = nn::net<model>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 2);
  net_t::input_type x{};
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) / 7;
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  fit.set_clip_grad_norm(0.5);
  fit.reserve(16, 1);
  for (std::size_t k = 0; k < 16 * 12; ++k) fit.work().input()[k] = float(k % 11) / 11;
  for (std::size_t r = 0; r < 16; ++r) fit.targets()[r] = float(r % 3) / 3;
  auto state = net.make_state();
  std::array<net_t::stream_state, 9> states{};
  std::array<net_t::step_input_type, 9> xs{};
  std::vector<float> flat_x(9 * 2, 0.25f), flat_y(9);
  const std::size_t before = allocations;
  float sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    sink += net(x)[0];
    sink += net.step(state, net_t::step_input_type{0.5f, -0.5f})[0];
    sink += net.step(states, xs)[8][0];
    net.step(std::span<net_t::stream_state>(states), flat_x.data(), flat_y.data());
    sink += flat_y[0];
    sink += fit.step(16).loss;
    sink += fit.step(5).loss;
  }
  BOOST_TEST(allocations == before);
  fit.set_threads(2, /*adaptive=*/false);
  fit.reserve(16, 1);
  const std::size_t before_split = allocations;
  for (int rep = 0; rep < 5; ++rep) sink += fit.step(16).loss;
  BOOST_TEST(allocations == before_split);
  BOOST_TEST(std::isfinite(sink));
}

// GAN rounds (k discriminator steps, a generator step through the discriminator's input
// gradient): every buffer comes from gan_trainer's constructor.
BOOST_AUTO_TEST_CASE(gan_rounds_do_not_allocate) {
  using generator = nn::network<nn::input<nn::shape<4>>, nn::dense<32>, nn::tanh, nn::batch_norm, nn::dense<2>>;
  using discriminator = nn::network<nn::input<nn::shape<2>>, nn::dense<32>, nn::relu, nn::dropout<1, 5>, nn::dense<1>>;
  auto g = nn::make<generator>(nn::init::pytorch_default{}, 1);
  auto d = nn::make<discriminator>(nn::init::pytorch_default{}, 2);
  std::vector<float> real(2 * 256);
  for (std::size_t i = 0; i < real.size(); ++i) real[i] = float(i % 7) / 7;
  nn::gan_trainer gan{g, d, nn::optim::adam{}, nn::optim::adam{}, {.batch = 32, .d_steps = 2, .seed = 1}};
  const std::size_t before = allocations;
  bool applied = true;
  for (int r = 0; r < 10; ++r) applied = gan.round(real).applied && applied;
  BOOST_TEST(allocations == before);
  BOOST_TEST(applied);
}

namespace {
/// Runs f on a thread whose stack is `bytes` (a small stack: what a 224x224 network's activations
/// would overflow if they lived on it).
template <class F>
void on_small_stack(std::size_t bytes, F f) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    (*static_cast<F*>(arg))();
    return nullptr;
  };
  BOOST_REQUIRE(pthread_create(&thread, &attr, run, &f) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}
} // namespace

BOOST_AUTO_TEST_CASE(large_activations_run_from_the_thread_frames) {
  // a 224x224 image network: megabytes per activation, its blocks' buffers and a convolution's
  // padded input on top; net(x) runs on a 256 KiB stack, and after the first call allocates nothing
  using model = nn::network<nn::input<nn::shape<3, 224, 224>>, nn::conv2d<8, nn::kernel<3>, nn::same>, nn::relu,
                            nn::residual<nn::conv2d<8, nn::kernel<3>, nn::same>, nn::relu>,
                            nn::parallel<nn::concat, nn::branch<nn::conv2d<4, nn::kernel<1>>>, nn::branch<>>,
                            nn::max_pool2d<nn::window<2>>, nn::conv2d<8, nn::kernel<3>, nn::stride<2>, nn::padding<1>>,
                            nn::global_avg_pool, nn::dense<10>>;
  using net_t = nn::net<model>;
  static_assert(net_t::peak_activation_bytes > 4 * (2 * 8 * 224 * 224)); // the two buffers alone
  static_assert(net_t::peak_activation_bytes > 4 * 1024 * 1024);         // past any small stack
  const auto net = nn::make<model>(nn::init::he_uniform{}, 2);
  auto x = std::make_unique<net_t::input_type>();
  for (std::size_t i = 0; i < x->size(); ++i) (*x)[i] = float(i % 97) / 97.0f - 0.5f;
  // the reference: the batched path (workspace buffers on the heap)
  auto ws = net.make_inference_workspace(1);
  const float* batched = net.forward_batch(ws, x->data(), 1);
  std::vector<float> want(batched, batched + 10);
  net_t::output_type first{}, second{};
  std::size_t during_second = 1;
  on_small_stack(256 * 1024, [&] {
    first = net(*x);
    const std::size_t before = allocations;
    second = net(*x);
    during_second = allocations - before;
  });
  for (std::size_t k = 0; k < 10; ++k) {
    BOOST_TEST(std::abs(first[k] - want[k]) <= 1e-4f * std::max(1.0f, std::abs(want[k])));
    BOOST_TEST(second[k] == first[k]);
  }
  BOOST_TEST(during_second == 0u);
}

// Graphs: several inputs, a parallel block with batch_norm and dropout in a branch, and two heads
// trained with a loss per head: single-sample inference (a tuple), trainer steps and streams of a
// recurrent graph allocate nothing after warm-up.
BOOST_AUTO_TEST_CASE(graph_hot_paths_do_not_allocate) {
  using model =
      nn::network<nn::inputs<nn::sequence<6, 2>, nn::shape<5>>,
                  nn::parallel<nn::concat, nn::branch<nn::from<0>, nn::gru<4>, nn::last>,
                               nn::branch<nn::from<1>, nn::dense<6>, nn::batch_norm, nn::relu, nn::dropout<1, 4>>>,
                  nn::heads<nn::branch<nn::dense<3>>, nn::branch<nn::dense<1>, nn::tanh>>>;
  auto net = nn::make<model>(nn::init::he_uniform{}, 3);
  nn::tensor<float, nn::sequence<6, 2>> window{};
  nn::tensor<float, nn::shape<5>> features{};
  for (std::size_t i = 0; i < window.size(); ++i) window[i] = float(i % 5) / 5;
  for (std::size_t i = 0; i < features.size(); ++i) features[i] = float(i) / 5;
  nn::trainer fit{net, nn::loss::heads<nn::loss::softmax_cross_entropy, nn::loss::mse>{.weights = {1, 0.5}},
                  nn::optim::adam{}};
  fit.reserve(16, 2);
  for (std::size_t k = 0; k < 16 * 17; ++k) fit.work().input()[k] = float(k % 11) / 11;
  for (std::size_t r = 0; r < 16; ++r) {
    fit.targets()[2 * r] = float(r % 3);
    fit.targets()[2 * r + 1] = float(r % 4) / 4;
  }
  float sink = std::get<0>(net(window, features))[0]; // warm-up
  const std::size_t before = allocations;
  for (int rep = 0; rep < 5; ++rep) {
    const auto [policy, value] = net(window, features);
    sink += policy[0] + value[0];
    sink += fit.step(16).loss;
  }
  BOOST_TEST(allocations == before);
  BOOST_TEST(std::isfinite(sink));

  // streams through parallel blocks
  using recurrent =
      nn::network<nn::input<nn::sequence<8, 3>>,
                  nn::parallel<nn::concat, nn::branch<nn::lstm<4>>, nn::branch<nn::gru<3>>, nn::branch<>>, nn::gru<2>>;
  const auto r = nn::make<recurrent>(nn::init::he_uniform{}, 4);
  auto state = r.make_state();
  const nn::tensor<float, nn::shape<3>> xt{0.5f, -1, 0.25f};
  sink += r.step(state, xt)[0];
  const std::size_t before_steps = allocations;
  for (int t = 0; t < 20; ++t) sink += r.step(state, xt)[0];
  BOOST_TEST(allocations == before_steps);
  BOOST_TEST(std::isfinite(sink));
}
