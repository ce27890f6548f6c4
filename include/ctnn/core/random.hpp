// rng: a small portable generator (xoshiro256**), so that a seed gives the same network and
// the same shuffles with any compiler and standard library.
#pragma once

#include <ctnn/core/config.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

namespace CTNN_NAMESPACE {

/// splitmix64 (Steele, Lea, Flood): z advanced by the golden-ratio increment and mixed; a good
/// 64-bit hash of z. The one mixing function of ctnn: rng's seeding, dropout's counter-based masks
/// (noise in layers/stage.hpp).
constexpr std::uint64_t splitmix64(std::uint64_t z) noexcept {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// xoshiro256** seeded through splitmix64. std::mt19937 would be portable too, but the
/// standard distributions are not, and initialization must reproduce across toolchains.
class rng {
public:
  explicit constexpr rng(std::uint64_t seed) noexcept {
    for (auto& s : state_) {
      s = splitmix64(seed);
      seed += 0x9E3779B97F4A7C15ull;
    }
  }

  /// The generator's whole state (checkpoints), and a generator continuing from one.
  constexpr std::array<std::uint64_t, 4> state() const noexcept { return {state_[0], state_[1], state_[2], state_[3]}; }
  static constexpr rng from_state(const std::array<std::uint64_t, 4>& s) noexcept {
    rng g(0);
    for (std::size_t i = 0; i < 4; ++i) g.state_[i] = s[i];
    return g;
  }

  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  constexpr double uniform01() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  constexpr double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }
  /// Standard normal (Box-Muller; one of the pair is discarded for simplicity).
  double normal() noexcept {
    const double u1 = 1.0 - uniform01(); // (0, 1]
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  /// Uniform integer in [0, n) without modulo bias (Lemire's method).
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = -n % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4]{};
};

} // namespace CTNN_NAMESPACE
