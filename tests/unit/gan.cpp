// Generative training: the mode-coverage measure on point sets whose coverage is known, and
// gan_trainer: the generator learns through the discriminator (its samples move to the data),
// seeded runs repeat, and bad real data is refused.
#define BOOST_TEST_MODULE gan
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace nn = ctnn;

namespace {
constexpr double sd = 0.02;
const std::vector<double> centres = nn::ring_centres(8, 2.0);

/// per_mode[c] samples around centre c (std sd), then `far` samples at the origin.
std::vector<float> mixture(const std::vector<std::size_t>& per_mode, std::size_t far = 0) {
  nn::rng g(5);
  std::vector<float> p;
  for (std::size_t c = 0; c < per_mode.size(); ++c)
    for (std::size_t i = 0; i < per_mode[c]; ++i) {
      p.push_back(float(centres[2 * c] + sd * g.normal()));
      p.push_back(float(centres[2 * c + 1] + sd * g.normal()));
    }
  for (std::size_t i = 0; i < far; ++i) {
    p.push_back(0.f);
    p.push_back(0.f);
  }
  return p;
}
} // namespace

BOOST_AUTO_TEST_CASE(ring_centres_lie_on_the_circle) {
  BOOST_REQUIRE_EQUAL(centres.size(), 16u);
  for (std::size_t c = 0; c < 8; ++c)
    BOOST_TEST(std::hypot(centres[2 * c], centres[2 * c + 1]) == 2.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(centres[0] == 2.0);
  BOOST_TEST(std::abs(centres[5] - 2.0) < 1e-12); // the third centre is at 90 degrees
}

BOOST_AUTO_TEST_CASE(coverage_of_known_point_sets) {
  // every mode: 8/8; a 2-D Gaussian puts 1 - exp(-4.5) = 98.9% within 3 std
  const auto all = nn::measure_modes<float>(mixture(std::vector<std::size_t>(8, 250)), centres, sd);
  BOOST_TEST(all.covered == 8u);
  BOOST_TEST(all.modes == 8u);
  BOOST_TEST(all.high_quality > 0.975);
  BOOST_TEST(all.high_quality < 0.999);
  // five modes only (built without a braced list: GCC 12.2 at -march=native with AVX-512
  // miscompiles the list {400, 400, 400, 400, 400, 0, 0, 0}, its SLP vectorizer reading 8 x 400)
  std::vector<std::size_t> first_five(8, 0);
  std::fill_n(first_five.begin(), 5, std::size_t(400));
  const auto five = nn::measure_modes<float>(mixture(first_five), centres, sd);
  BOOST_TEST(five.covered == 5u);
  BOOST_TEST(five.counts[5] == 0u);
  // the 1% threshold: 2000 samples, a mode with 30 of them counts, one with 10 does not
  const auto edge = nn::measure_modes<float>(mixture({1000, 960, 30, 10}), centres, sd);
  BOOST_TEST(edge.covered == 3u);
  BOOST_TEST(edge.counts[3] <= 10u);
  // samples far from every centre: no mode, no quality; and half the samples far
  const auto none = nn::measure_modes<float>(mixture({}, 500), centres, sd);
  BOOST_TEST(none.covered == 0u);
  BOOST_TEST(none.high_quality == 0.0);
  const auto half = nn::measure_modes<float>(mixture(std::vector<std::size_t>(8, 125), 1000), centres, sd);
  BOOST_TEST(half.covered == 8u);
  BOOST_TEST(std::abs(half.high_quality - 0.5) < 0.01);
  // not (x, y) pairs
  const std::vector<float> odd{1.f, 2.f, 3.f};
  BOOST_CHECK_THROW(nn::measure_modes<float>(odd, centres, sd), std::invalid_argument);
}

namespace {
using generator = nn::network<nn::input<nn::shape<4>>, nn::dense<32>, nn::tanh, nn::dense<2>>;
using discriminator = nn::network<nn::input<nn::shape<2>>, nn::dense<32>, nn::tanh, nn::dense<1>>;

std::vector<float> run(std::size_t rounds, std::uint64_t seed) {
  std::vector<float> real;
  nn::rng g(11);
  for (int i = 0; i < 512; ++i) {
    real.push_back(float(1.5 + 0.05 * g.normal()));
    real.push_back(float(-0.5 + 0.05 * g.normal()));
  }
  auto gen = nn::make<generator>(nn::init::pytorch_default{}, 1);
  auto dis = nn::make<discriminator>(nn::init::pytorch_default{}, 2);
  nn::gan_trainer gan{gen,
                      dis,
                      nn::optim::adam{.lr = 2e-3, .beta1 = 0.5},
                      nn::optim::adam{.lr = 2e-3, .beta1 = 0.5},
                      {.batch = 64, .d_steps = 1, .seed = seed}};
  BOOST_CHECK_THROW(gan.round(std::span<const float>(real.data(), 3)), std::invalid_argument);
  for (std::size_t r = 0; r < rounds; ++r) BOOST_TEST_REQUIRE(gan.round(real).applied);
  BOOST_TEST(gan.generator_steps() == std::int64_t(rounds));
  BOOST_TEST(gan.discriminator_trainer().steps() == std::int64_t(rounds));
  return gan.sample(500);
}
} // namespace

BOOST_AUTO_TEST_CASE(the_generator_learns_through_the_discriminator) {
  auto mean_distance = [](const std::vector<float>& s) {
    double d = 0;
    for (std::size_t i = 0; i < s.size() / 2; ++i) d += std::hypot(s[2 * i] - 1.5, s[2 * i + 1] + 0.5);
    return d / double(s.size() / 2);
  };
  const double before = mean_distance(run(0, 3)), after = mean_distance(run(1000, 3));
  BOOST_TEST_MESSAGE("mean distance of the samples to the data: " << before << " before, " << after << " after");
  BOOST_TEST(before > 1.0);
  BOOST_TEST(after < 0.15);             // the data lie 0.063 from their mean on average
  BOOST_TEST(run(50, 4) == run(50, 4)); // a seed repeats a run
  BOOST_TEST(run(50, 4) != run(50, 5));
}

BOOST_AUTO_TEST_CASE(a_round_reports_which_steps_were_applied) {
  // real data with a NaN: the discriminator's step is not applied (its weights stay), the
  // generator's step through the unchanged discriminator is (its weights move)
  std::vector<float> real(2 * 64, 0.5f);
  real[0] = std::numeric_limits<float>::quiet_NaN();
  auto gen = nn::make<generator>(nn::init::pytorch_default{}, 1);
  auto dis = nn::make<discriminator>(nn::init::pytorch_default{}, 2);
  const auto g0 = gen.export_parameters(), d0 = dis.export_parameters();
  nn::gan_trainer gan{
      gen, dis, nn::optim::sgd{.lr = 0.1}, nn::optim::sgd{.lr = 0.1}, {.batch = 64, .d_steps = 1, .seed = 3}};
  const auto r = gan.round(std::span<const float>(real.data(), 2)); // one real sample, drawn every time
  BOOST_TEST(!r.discriminator_applied);
  BOOST_TEST(r.generator_applied);
  BOOST_TEST(!r.applied);
  BOOST_TEST(dis.export_parameters() == d0);
  BOOST_TEST(gen.export_parameters() != g0);
}
