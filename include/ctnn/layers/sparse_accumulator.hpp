// sparse_accumulator<Features, Dims, Sides, MaxActive>: the first layer over a large set of binary
// features of which at most MaxActive are active at once (a chess position's pieces, a user's
// categories). Its output is an int16 accumulator, biases plus the weight rows of the active
// features, kept in a state object like a stream's:
//
//   ctnn::sparse_accumulator<22528, 1024, 8, 32> ft;      // weights set or read from a file
//   auto s = ft.make_state();
//   ft.refresh(s, active);                                 // from the list of active features
//   ft.update(s, removed, added);                          // from what changed: equal to a refresh
//   ft.update(parent, child, removed, added);              // into a copy (a search's next ply)
//
// Side outputs (Sides, int32, no bias) sum their own rows of the same features: Stockfish's PSQT
// buckets. Everything is exact integer arithmetic, so an update equals a refresh bit for bit and
// every instruction set gives the same values.
//
// Overflow is proved at set(): the worst case of every accumulator value, |bias| plus the MaxActive
// largest |weights| of its column, must fit in int16 (the side outputs in int32), or set() throws
// a bound_error naming the value (a file reader turns it into a file_error naming the file).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/bound_error.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

template <std::size_t Features, std::size_t Dims, std::size_t Sides = 0, std::size_t MaxActive = 32>
class sparse_accumulator {
  static_assert(Features > 0 && Dims > 0 && MaxActive > 0, "sparse_accumulator: sizes must be positive");
  static_assert(Dims % 64 == 0, "sparse_accumulator: Dims must be a multiple of 64 (whole AVX-512 registers)");

public:
  static constexpr std::size_t features = Features;
  static constexpr std::size_t dims = Dims;
  static constexpr std::size_t sides = Sides;
  static constexpr std::size_t max_active = MaxActive;

  /// One accumulator: what a refresh or an update writes. Plain data: copy it to keep one per ply.
  struct state {
    alignas(64) std::array<std::int16_t, Dims> values;
    std::array<std::int32_t, Sides> side;
    friend bool operator==(const state&, const state&) = default;
  };

  sparse_accumulator() : weights_(Features * Dims), side_weights_(Features * Sides) {}

  state make_state() const noexcept {
    state s{};
    s.values = biases_;
    return s;
  }

  /// Sets the parameters: biases [Dims], weights [Features][Dims] (a feature's row contiguous),
  /// side weights [Features][Sides]. Throws std::invalid_argument on other sizes, and bound_error
  /// naming `where` and the first value whose worst case cannot be held; then the old parameters
  /// stay.
  void set(std::span<const std::int16_t> biases, std::span<const std::int16_t> weights,
           std::span<const std::int32_t> side_weights, const std::string& where = "sparse_accumulator") {
    if (biases.size() != Dims || weights.size() != Features * Dims || side_weights.size() != Features * Sides)
      throw std::invalid_argument(where + ": expected " + std::to_string(Dims) + " biases, " +
                                  std::to_string(Features * Dims) + " weights and " + std::to_string(Features * Sides) +
                                  " side weights, found " + std::to_string(biases.size()) + ", " +
                                  std::to_string(weights.size()) + " and " + std::to_string(side_weights.size()));
    check_bound<std::int16_t>(biases.data(), weights.data(), Dims, where, "accumulator value");
    check_bound<std::int32_t>(nullptr, side_weights.data(), Sides, where, "side output");
    std::copy(biases.begin(), biases.end(), biases_.begin());
    std::copy(weights.begin(), weights.end(), weights_.data());
    std::copy(side_weights.begin(), side_weights.end(), side_weights_.data());
  }

  /// The accumulator of the active features (at most MaxActive of them).
  void refresh(state& s, std::span<const std::uint32_t> active) const noexcept {
    accumulate(biases_.data(), s.values.data(), {}, active);
    s.side.fill(0);
    for (const auto f : active) kernels::add_row<Sides>(s.side.data(), side_row(f));
  }

  /// s updated in place: the rows of `removed` subtracted, those of `added` added.
  void update(state& s, std::span<const std::uint32_t> removed, std::span<const std::uint32_t> added) const noexcept {
    update(s, s, removed, added);
  }
  /// `to` = `from` with the rows of `removed` subtracted and those of `added` added (to may be from).
  void update(const state& from, state& to, std::span<const std::uint32_t> removed,
              std::span<const std::uint32_t> added) const noexcept {
    accumulate(from.values.data(), to.values.data(), removed, added);
    to.side = from.side;
    for (const auto f : removed) kernels::subtract_row<Sides>(to.side.data(), side_row(f));
    for (const auto f : added) kernels::add_row<Sides>(to.side.data(), side_row(f));
  }

  /// The scalar twin of refresh: one row after the other, in the order of the definition.
  void refresh_reference(state& s, std::span<const std::uint32_t> active) const noexcept {
    s.values = biases_;
    s.side.fill(0);
    for (const auto f : active) {
      for (std::size_t j = 0; j < Dims; ++j)
        s.values[j] = static_cast<std::int16_t>(static_cast<std::uint16_t>(s.values[j] + row(f)[j]));
      for (std::size_t k = 0; k < Sides; ++k) s.side[k] += side_row(f)[k];
    }
  }

  std::span<const std::int16_t, Dims> biases() const noexcept { return biases_; }
  const std::int16_t* row(std::uint32_t f) const noexcept { return weights_.data() + std::size_t{f} * Dims; }
  const std::int32_t* side_row(std::uint32_t f) const noexcept { return side_weights_.data() + std::size_t{f} * Sides; }

private:
  /// to = from - rows(removed) + rows(added), one tile of registers at a time: each tile is
  /// loaded and stored once, whatever the number of rows.
  static constexpr std::size_t lanes = kernels::simd<std::int16_t>::size;
  static constexpr std::size_t tile_registers = std::min<std::size_t>(8, Dims / lanes);
  static constexpr std::size_t tile = tile_registers * lanes;

  void accumulate(const std::int16_t* from, std::int16_t* to, std::span<const std::uint32_t> removed,
                  std::span<const std::uint32_t> added) const noexcept {
    using batch = kernels::simd<std::int16_t>;
    static_assert(Dims % tile == 0);
    for (std::size_t t = 0; t < Dims; t += tile) {
      batch acc[tile_registers];
      for (std::size_t r = 0; r < tile_registers; ++r) acc[r] = batch::load_aligned(from + t + r * lanes);
      for (const auto f : removed) {
        const std::int16_t* w = row(f) + t;
        for (std::size_t r = 0; r < tile_registers; ++r) acc[r] -= batch::load_aligned(w + r * lanes);
      }
      for (const auto f : added) {
        const std::int16_t* w = row(f) + t;
        for (std::size_t r = 0; r < tile_registers; ++r) acc[r] += batch::load_aligned(w + r * lanes);
      }
      for (std::size_t r = 0; r < tile_registers; ++r) acc[r].store_aligned(to + t + r * lanes);
    }
  }

  /// For each of `columns` values: |bias| (biases may be null) + the MaxActive largest |weights| of its column must fit
  /// in Acc.
  template <class Acc, class W>
  static void check_bound(const std::int16_t* biases, const W* weights, std::size_t columns, const std::string& where,
                          const char* what) {
    std::vector<std::int64_t> column(Features);
    for (std::size_t j = 0; j < columns; ++j) {
      for (std::size_t f = 0; f < Features; ++f) {
        const std::int64_t w = weights[f * columns + j];
        column[f] = w < 0 ? -w : w;
      }
      const std::size_t k = std::min(MaxActive, Features);
      std::nth_element(column.begin(), column.begin() + static_cast<std::ptrdiff_t>(k - 1), column.end(),
                       std::greater<>{});
      std::int64_t bound = 0;
      for (std::size_t f = 0; f < k; ++f) bound += column[f];
      if (biases) bound += biases[j] < 0 ? -std::int64_t{biases[j]} : std::int64_t{biases[j]};
      if (bound > std::numeric_limits<Acc>::max())
        throw bound_error(where + ", " + what + " " + std::to_string(j),
                          "weights whose sum over any " + std::to_string(MaxActive) + " active features fits in " +
                              (sizeof(Acc) == 2 ? "int16 (32767)" : "int32 (2147483647)"),
                          bound);
    }
  }

  alignas(64) std::array<std::int16_t, Dims> biases_{};
  aligned_buffer<std::int16_t> weights_;
  aligned_buffer<std::int32_t> side_weights_;
};

} // namespace CTNN_NAMESPACE
