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

// ---- the choice between one thread and two (train/thread_policy.hpp), with made-up timings ----

namespace {
/// Runs `steps` steps of 64 samples through the policy; a step costs one_ns(step) per sample on
/// one thread and split_ns(step) split. Returns how many steps ran split, per block of 1000.
template <class One, class Split>
std::vector<int> drive(nn::detail::thread_policy& p, int steps, One one_ns, Split split_ns) {
  std::vector<int> split_per_block((steps + 999) / 1000, 0);
  for (int s = 0; s < steps; ++s) {
    const bool split = p.use_split(64);
    split_per_block[std::size_t(s / 1000)] += split;
    p.record(split, split ? split_ns(s) : one_ns(s));
  }
  return split_per_block;
}
} // namespace

BOOST_AUTO_TEST_CASE(thread_policy_measures_one_thread_first_then_exploits_the_faster_split) {
  nn::detail::thread_policy p;
  BOOST_TEST(!p.split_mode());
  // the first probe_steps steps run on one thread, the next probe_steps split
  for (int s = 0; s < nn::detail::thread_policy::probe_steps; ++s) {
    BOOST_TEST(!p.use_split(64));
    p.record(false, 100);
  }
  BOOST_TEST(p.use_split(64));
  p.record(true, 60);
  const auto blocks = drive(
      p, 4000, [](int) { return 100.0; }, [](int) { return 60.0; });
  // split is faster: nearly every step runs split (short probes of one thread in between)
  for (int b : blocks) BOOST_TEST(b > 950);
  BOOST_TEST(p.costs().first == 100.0);
  BOOST_TEST(p.costs().second == 60.0);
}

BOOST_AUTO_TEST_CASE(thread_policy_stays_on_one_thread_when_split_is_slower_and_probes_ever_less) {
  nn::detail::thread_policy p;
  const auto blocks = drive(
      p, 20000, [](int) { return 100.0; }, [](int) { return 120.0; });
  // each lost probe quadruples the time until the next: 256, 1024, 4096, 16384 steps
  BOOST_TEST(p.exploit_steps() == nn::detail::thread_policy::max_exploit);
  int split_steps = 0;
  for (int b : blocks) split_steps += b;
  BOOST_TEST(split_steps < 60); // a handful of probes of probe_steps steps each
  BOOST_TEST(!p.split_mode());
}

BOOST_AUTO_TEST_CASE(thread_policy_falls_back_at_once_when_the_second_core_gets_busy) {
  nn::detail::thread_policy p;
  // split is faster until step 3000, then the second core is taken: split steps cost 10x
  auto split_ns = [](int s) { return s < 3000 ? 60.0 : 600.0; };
  int split_after = 0;
  for (int s = 0; s < 3100; ++s) {
    const bool split = p.use_split(64);
    if (s >= 3000) split_after += split;
    p.record(split, split ? split_ns(s) : 100.0);
  }
  // it leaves the split after slow_steps_to_fall_back slow steps, not at the next probe
  BOOST_TEST(split_after <= nn::detail::thread_policy::slow_steps_to_fall_back);
  BOOST_TEST(!p.split_mode());
}

BOOST_AUTO_TEST_CASE(thread_policy_splits_only_batches_worth_two_cores_and_always_when_not_adaptive) {
  nn::detail::thread_policy fixed(false);
  BOOST_TEST(fixed.split_mode());
  BOOST_TEST(fixed.use_split(2 * nn::detail::thread_policy::min_split_rows));
  BOOST_TEST(!fixed.use_split(2 * nn::detail::thread_policy::min_split_rows - 1)); // a half too small
  fixed.record(true, 1e9);                                                         // ignored
  BOOST_TEST(fixed.use_split(64));
  BOOST_TEST(fixed.costs().second == 0.0);
}

BOOST_AUTO_TEST_CASE(early_stopping_verdict_counts_epochs_without_improvement_beyond_min_delta) {
  using nn::detail::epoch_verdict;
  const nn::early_stopping_options o{.patience = 2, .min_delta = 0.1};
  std::size_t since = 0;
  BOOST_TEST((nn::detail::judge_epoch(o, 1.0, INFINITY, since) == epoch_verdict::improved));
  BOOST_TEST((nn::detail::judge_epoch(o, 0.95, 1.0, since) == epoch_verdict::not_improved)); // within min_delta
  BOOST_TEST(since == 1u);
  BOOST_TEST((nn::detail::judge_epoch(o, 0.85, 1.0, since) == epoch_verdict::improved));
  BOOST_TEST(since == 0u);
  BOOST_TEST((nn::detail::judge_epoch(o, 0.9, 0.85, since) == epoch_verdict::not_improved));
  BOOST_TEST((nn::detail::judge_epoch(o, 0.9, 0.85, since) == epoch_verdict::stop));
  const nn::early_stopping_options off{};
  std::size_t never = 0;
  for (int e = 0; e < 10; ++e) BOOST_TEST((nn::detail::judge_epoch(off, 2.0, 1.0, never) != epoch_verdict::stop));
}
