// Concurrency: one trained network serves many threads at once (inference reads the parameters
// only; each thread brings its own workspace). Run under ThreadSanitizer by .ci/run, beside the
// two-thread training tests of unit/training.cpp.
#define BOOST_TEST_MODULE threads
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/support.hpp"

#include <thread>
#include <vector>

namespace nn = ctnn;

BOOST_AUTO_TEST_CASE(concurrent_inference_on_one_network_matches_sequential_inference) {
  using model = nn::network<nn::input<nn::shape<12>>, nn::dense<40>, nn::relu, nn::dense<24>, nn::tanh, nn::dense<3>,
                            nn::softmax>;
  const auto net = nn::make<model>(nn::init::he_uniform{}, 9);
  constexpr std::size_t threads = 4, samples = 64;
  const auto inputs = nn::test::random_values<float>(samples * 12, 4);
  // sequential references: single-sample and batched
  std::vector<float> single(samples * 3), batched(samples * 3);
  auto ws = net.make_workspace(samples);
  net.predict(ws, inputs.data(), batched.data(), samples);
  for (std::size_t i = 0; i < samples; ++i) {
    nn::tensor<float, nn::shape<12>> x;
    std::copy_n(inputs.data() + i * 12, 12, x.data());
    const auto y = net(x);
    std::copy_n(y.data(), 3, single.data() + i * 3);
  }
  std::vector<std::vector<float>> got_single(threads, std::vector<float>(samples * 3)),
      got_batched(threads, std::vector<float>(samples * 3));
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto own = net.make_workspace(samples);
      for (int round = 0; round < 20; ++round) {
        net.predict(own, inputs.data(), got_batched[t].data(), samples);
        for (std::size_t i = 0; i < samples; ++i) {
          nn::tensor<float, nn::shape<12>> x;
          std::copy_n(inputs.data() + i * 12, 12, x.data());
          const auto y = net(x);
          std::copy_n(y.data(), 3, got_single[t].data() + i * 3);
        }
      }
    });
  for (auto& th : pool) th.join();
  for (std::size_t t = 0; t < threads; ++t) {
    BOOST_TEST(got_single[t] == single, boost::test_tools::per_element());
    BOOST_TEST(got_batched[t] == batched, boost::test_tools::per_element());
  }
}
