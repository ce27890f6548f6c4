// Memory of evaluation and prediction: they reserve only what inference needs (the inputs and two
// output buffers of up to 256 rows), not the training workspace with what backward keeps, and
// trainer::release() frees the training buffers after training at a large batch. Measured by
// counting the bytes this program allocates (operator new replaced below).
#define BOOST_TEST_MODULE memory
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#include <malloc.h>

namespace {
std::atomic<std::size_t> live{0}, peak{0};
void note(std::size_t n) {
  const std::size_t now = live += n;
  std::size_t p = peak.load();
  while (now > p && !peak.compare_exchange_weak(p, now)) {
  }
}
/// The most bytes live at once while f runs, beyond those live before it.
template <class F>
std::size_t peak_of(F&& f) {
  const std::size_t before = live.load();
  peak = before;
  f();
  return peak.load() - before;
}
} // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  note(malloc_usable_size(p));
  return p;
}
void* operator new(std::size_t n, std::align_val_t a) {
  void* p = std::aligned_alloc(std::size_t(a),
                               (std::max<std::size_t>(n, 1) + std::size_t(a) - 1) / std::size_t(a) * std::size_t(a));
  if (!p) throw std::bad_alloc();
  note(malloc_usable_size(p));
  return p;
}
void operator delete(void* p) noexcept {
  if (p) live -= malloc_usable_size(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { operator delete(p); }

namespace nn = ctnn;

namespace {
using cnn = nn::network<nn::input<nn::shape<1, 28, 28>>, nn::conv2d<16, nn::kernel<3>, nn::same>, nn::relu,
                        nn::max_pool2d<nn::kernel<2>>, nn::conv2d<32, nn::kernel<3>, nn::same>, nn::relu,
                        nn::max_pool2d<nn::kernel<2>>, nn::flatten, nn::dense<10>>;
using images = nn::dataset<float, nn::shape<1, 28, 28>, nn::shape<1>>;
images make_images(std::size_t n) {
  images d;
  nn::rng g(1);
  nn::tensor<float, nn::shape<1, 28, 28>> x;
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& v : x) v = float(g.uniform(0, 1));
    d.push_back(x, {float(i % 10)});
  }
  return d;
}
} // namespace

BOOST_AUTO_TEST_CASE(evaluation_and_prediction_reserve_only_what_inference_needs) {
  const auto data = make_images(1000);
  auto net = nn::make<cnn>(nn::init::he_uniform{}, 1);
  const std::size_t inference = net.make_inference_workspace(256).bytes();
  const std::size_t training = net.make_workspace(256).bytes();
  BOOST_TEST_MESSAGE("256 rows: inference workspace " << inference << " bytes, training workspace " << training);
  BOOST_TEST(inference * 4 < training); // what backward keeps is most of it

  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
  const std::size_t evaluating = peak_of([&] { (void)fit.evaluate(data); });
  const std::size_t predicting = peak_of([&] { (void)nn::predict_classes(net, data); });
  BOOST_TEST_MESSAGE("peak while evaluating 1000 images: " << evaluating << " bytes; predicting: " << predicting);
  BOOST_TEST(evaluating <= inference + (64u << 10)); // the workspace and the metrics' counters
  BOOST_TEST(predicting <= inference + 1000 * 10 * sizeof(float) + 1000 * sizeof(std::size_t) + (64u << 10));

  // the same after training at a batch of 512: evaluation does not use the training buffers ...
  (void)fit.train(data, {.epochs = 1, .batch = 512, .log = nullptr});
  BOOST_TEST(fit.reserved_bytes() >= net.make_workspace(512).bytes());
  BOOST_TEST(peak_of([&] { (void)fit.evaluate(data); }) <= inference + (64u << 10));
  // ... and release() frees them
  const std::size_t batch_512 = net.make_workspace(512).bytes();
  const std::size_t held = live.load();
  fit.release();
  const std::size_t freed = held - live.load();
  BOOST_TEST_MESSAGE("release() freed " << freed << " bytes");
  BOOST_TEST(fit.reserved_bytes() == 0u);
  BOOST_TEST(freed >= batch_512);

  // an inference workspace gives forward_batch the same outputs as a training one
  auto small = net.make_inference_workspace(7), big = net.make_workspace(7);
  const float* a = net.forward_batch(small, data.input(0), 7);
  std::vector<float> first(a, a + 7 * nn::net<cnn>::output_stride);
  const float* b = net.forward_batch(big, data.input(0), 7);
  BOOST_TEST(std::equal(first.begin(), first.end(), b));
}
