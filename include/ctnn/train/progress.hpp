// What a training run prints: a live progress line while an epoch runs (on a terminal only) and
// one line per finished epoch.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/train/report.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <ios>
#include <iostream>
#include <ostream>
#include <string>
#include <vector>

#include <unistd.h>

namespace CTNN_NAMESPACE {

namespace detail {
/// The live progress line of an epoch, on a terminal only: "epoch 3/10 [=====>     ] 48%
/// 51,200 samples/s loss 0.1234 ETA 1.2s", redrawn at most ten times a second and erased before
/// the epoch's own line. Not a terminal (a file, a pipe, CI): nothing, the epoch lines remain.
class progress_bar {
public:
  progress_bar(std::ostream* os, std::size_t epoch, std::size_t epochs) : epoch_(epoch), epochs_(epochs) {
    if (os == &std::clog || os == &std::cerr)
      os_ = ::isatty(2) ? os : nullptr;
    else if (os == &std::cout)
      os_ = ::isatty(1) ? os : nullptr;
  }
  explicit operator bool() const noexcept { return os_ != nullptr; }
  void update(std::size_t done, std::size_t total, double loss, std::chrono::steady_clock::time_point start) {
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start).count();
    const double rate = seconds > 0 ? double(done) / seconds : 0;
    constexpr int width = 24;
    const int filled = int(double(width) * double(done) / double(std::max<std::size_t>(total, 1)));
    char line[160];
    std::snprintf(line, sizeof line, "\repoch %zu/%zu [%.*s%s%*s] %3d%%  %.0f samples/s  loss %.4f  ETA %.1fs ", epoch_,
                  epochs_, filled, "========================", filled < width ? ">" : "",
                  width - filled - (filled < width ? 1 : 0), "",
                  int(100.0 * double(done) / double(std::max<std::size_t>(total, 1))), rate, loss,
                  rate > 0 ? double(total - done) / rate : 0.0);
    *os_ << line << std::flush;
    drawn_ = true;
  }
  void clear() {
    if (drawn_) *os_ << "\r\033[K" << std::flush;
  }

private:
  std::ostream* os_ = nullptr;
  std::size_t epoch_, epochs_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

/// The line of one finished epoch: "epoch 3/10  loss 0.1234  accuracy 0.9600  val_loss ...
/// samples/s".
inline void print_epoch(std::ostream& os, const epoch_record& r, std::size_t epochs, const std::string& metric_name,
                        const std::vector<std::string>& head_metric_names = {}) {
  const auto flags = os.flags();
  const auto precision = os.precision(4);
  os << "epoch " << r.epoch << '/' << epochs << std::fixed << "  loss " << r.train.loss;
  const auto heads = [&](const evaluation& e, const char* prefix) {
    for (std::size_t h = 0; h < e.heads.size() && h < head_metric_names.size(); ++h)
      os << "  " << prefix << "head" << h << " loss " << e.heads[h].loss << ' ' << head_metric_names[h] << ' '
         << e.heads[h].metric;
  };
  if (head_metric_names.empty())
    os << "  " << metric_name << ' ' << r.train.metric;
  else
    heads(r.train, "");
  if (r.validation) {
    os << "  val_loss " << r.validation->loss;
    if (head_metric_names.empty())
      os << "  val_" << metric_name << ' ' << r.validation->metric;
    else
      heads(*r.validation, "val_");
  }
  os.precision(0);
  os << "  " << r.samples_per_second << " samples/s\n";
  os.precision(precision);
  os.flags(flags);
}
} // namespace detail

} // namespace CTNN_NAMESPACE
