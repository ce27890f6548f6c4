// bound_error: integer parameters whose worst case does not fit the integer type of their sums.
#pragma once

#include <ctnn/core/config.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace CTNN_NAMESPACE {

/// Thrown by an integer layer's set() when some output could overflow for some input: what()
/// reads "<where>: expected <expected>, found a worst case of <bound>". A reader of a file turns
/// it into a file_error naming the file and the place.
class bound_error : public std::range_error {
public:
  bound_error(std::string where, std::string expected, std::int64_t bound)
      : std::range_error(where + ": expected " + expected + ", found a worst case of " + std::to_string(bound)),
        where_(std::move(where)), expected_(std::move(expected)), bound_(bound) {}

  /// The layer and the value: "layer stack 3, fc_0", "feature transformer, accumulator value 5".
  const std::string& where() const noexcept { return where_; }
  const std::string& expected() const noexcept { return expected_; }
  std::int64_t bound() const noexcept { return bound_; }

private:
  std::string where_, expected_;
  std::int64_t bound_;
};

} // namespace CTNN_NAMESPACE
