// value_reader: a weight file's values read one by one by a network's import_parameters, each
// checked as it is read. A value that is not what was expected throws std::invalid_argument naming
// the network, the value's position and what was expected, before anything is set.
#pragma once

#include <ctnn/core/config.hpp>

#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

namespace CTNN_NAMESPACE {

class value_reader {
public:
  /// `who` names the network in messages ("quantized network").
  value_reader(std::span<const double> values, std::string who) : values_(values), who_(std::move(who)) {}

  /// The next value, an integer in lo..hi.
  double integer(double lo, double hi, const char* what) {
    const double x = values_[at_];
    if (!(x >= lo && x <= hi && x == std::floor(x)))
      fail(what, " (an integer in " + std::to_string(static_cast<long long>(lo)) + ".." +
                     std::to_string(static_cast<long long>(hi)) + ")");
    return values_[at_++];
  }
  /// The next value, positive and finite as a float.
  double positive(const char* what) {
    const double x = values_[at_];
    if (!(x > 0 && std::isfinite(x) && x <= 3.4e38)) fail(what, " (positive and finite)");
    return values_[at_++];
  }
  std::size_t position() const noexcept { return at_; }
  const std::string& who() const noexcept { return who_; }

private:
  [[noreturn]] void fail(const char* what, const std::string& expected) const {
    throw std::invalid_argument(who_ + ", value " + std::to_string(at_) + ": expected " + what + expected + ", found " +
                                std::to_string(values_[at_]));
  }
  std::span<const double> values_;
  std::string who_;
  std::size_t at_ = 0;
};

} // namespace CTNN_NAMESPACE
