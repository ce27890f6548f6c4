// A training checkpoint: what trainer::resume needs to continue a run bit-identically. Its layout
// is written once (write_checkpoint) and read once (read_checkpoint), both through io/binary.hpp.
//
// Layout (little-endian): "CTNNCKP\0", u32 version 1, then strings (u32 length + bytes): the
// network's fingerprint, the optimizer's and the loss's names; u64 values: parameter count N,
// N parameters (T, PyTorch order), the optimizer's state slots (each N values, PyTorch order),
// the step count, the update bounds (4 doubles), the epochs done, the shuffling generator
// (4 u64), the order (one u64 per sample), early stopping (since_best, best loss, best epoch,
// whether best weights follow, then N values), the schedule (base lr, lr, best, bad epochs,
// cooldown), the noise seed, the history (per epoch: number, loss, metric, validation flag,
// loss and metric, samples/s, lr); u64 FNV-1a checksum of all preceding bytes.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/binary.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>
#include <ctnn/io/weights.hpp>
#include <ctnn/train/optim.hpp>
#include <ctnn/train/report.hpp>
#include <ctnn/train/schedule.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE::detail {

/// Everything a checkpoint holds; values in PyTorch's order (net::to_logical).
template <class T>
struct checkpoint_data {
  std::vector<T> params;                    ///< N parameters and buffers
  std::vector<T> state;                     ///< the optimizer's slots, N values each
  std::vector<T> best;                      ///< early stopping's best weights (empty: none kept)
  std::int64_t steps = 0;                   ///< optimizer steps
  optim::bounds bounds{};                   ///< what the last update left
  std::size_t epochs_done = 0;              ///< epochs finished
  std::array<std::uint64_t, 4> generator{}; ///< the shuffling generator's state
  std::vector<std::size_t> order;           ///< the shuffled order of the samples
  std::size_t since_best = 0;               ///< epochs since the monitored loss improved
  double best_loss = INFINITY;
  std::size_t best_epoch = 0;
  double base_lr = 0;
  schedule::state lr_state{};
  std::uint64_t noise_seed = 0; ///< the dropout masks' seed
  std::vector<epoch_record> history;
};

inline constexpr char checkpoint_magic[8] = {'C', 'T', 'N', 'N', 'C', 'K', 'P', '\0'};

/// The checkpoint of a run of a Net trained by an optimizer of `slots` state slots, both named
/// (Optim::name(), Loss::name()), written atomically to path.
template <class Net, class T>
void write_checkpoint(const std::string& path, const checkpoint_data<T>& c, const std::string& optimizer,
                      const std::string& loss, std::size_t slots) {
  binary_writer out(checkpoint_magic);
  out.put<std::uint32_t>(1);
  out.put_string(weights_format::join(Net::fingerprint()));
  out.put_string(optimizer);
  out.put_string(loss);
  out.put<std::uint64_t>(Net::value_count);
  out.put_values<T>(c.params.data(), Net::value_count);
  out.put_values<T>(c.state.data(), slots * Net::value_count);
  out.put<std::int64_t>(c.steps);
  for (double v : {c.bounds.w, c.bounds.g, c.bounds.s1, c.bounds.s2}) out.put<double>(v);
  out.put<std::uint64_t>(c.epochs_done);
  for (auto v : c.generator) out.put<std::uint64_t>(v);
  out.put<std::uint64_t>(c.order.size());
  for (auto v : c.order) out.put<std::uint64_t>(v);
  out.put<std::uint64_t>(c.since_best);
  out.put<double>(c.best_loss);
  out.put<std::uint64_t>(c.best_epoch);
  out.put<std::uint8_t>(c.best.empty() ? 0 : 1);
  if (!c.best.empty()) out.put_values<T>(c.best.data(), Net::value_count);
  for (double v : {c.base_lr, c.lr_state.lr, c.lr_state.best}) out.put<double>(v);
  out.put<std::uint64_t>(c.lr_state.bad_epochs);
  out.put<std::uint64_t>(c.lr_state.cooldown_left);
  out.put<std::uint64_t>(c.noise_seed);
  out.put<std::uint64_t>(c.history.size());
  for (const auto& e : c.history) {
    out.put<std::uint64_t>(e.epoch);
    out.put<double>(e.train.loss);
    out.put<double>(e.train.metric);
    out.put<std::uint8_t>(e.validation ? 1 : 0);
    out.put<double>(e.validation ? e.validation->loss : 0.0);
    out.put<double>(e.validation ? e.validation->metric : 0.0);
    out.put<double>(e.samples_per_second);
    out.put<double>(e.lr);
  }
  out.write(path, "a writable checkpoint file");
}

/// Reads the checkpoint at path of a run of Net on `samples` samples, by the named optimizer
/// (`slots` state slots) and loss. Throws file_error naming the field and byte for a file of
/// another topology, scalar type, optimizer, loss or dataset size, a truncated or corrupt file, or
/// a non-finite value.
template <class Net, class T>
checkpoint_data<T> read_checkpoint(const std::string& path, std::size_t samples, const std::string& optimizer,
                                   const std::string& loss, std::size_t slots) {
  namespace wf = weights_format;
  // the most a checkpoint of this network and dataset holds: its fixed fields, the values
  // (parameters, optimizer slots, best weights), the shuffled order, and a history of up to
  // 2^20 epochs
  const std::uint64_t max_bytes = 4096 + wf::join(Net::fingerprint()).size() + optimizer.size() + loss.size() +
                                  (slots + 2) * std::uint64_t(Net::value_count) * sizeof(T) +
                                  8 * std::uint64_t(samples) + 64 * (std::uint64_t(1) << 20);
  binary_reader in(path, read_file(path, "a ctnn checkpoint file", {.max_bytes = max_bytes, .gzip = false}));
  if (in.size() < 20 || !in.has_magic(checkpoint_magic))
    in.fail("byte 0", "the checkpoint magic \"CTNNCKP\"", "other bytes (not a ctnn checkpoint)");
  auto values = [&](std::vector<T>& out, std::size_t count, const char* name) {
    in.field = name;
    in.need(count * sizeof(T));
    out.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t at = in.at();
      out[i] = in.get<T>();
      if (!std::isfinite(out[i]))
        in.fail(in.field + ", value " + std::to_string(i % Net::value_count) + " (byte " + std::to_string(at) + ")",
                "a finite number", std::to_string(double(out[i])));
    }
  };
  // the fields, in the order write_checkpoint puts them
  auto read_identity = [&] { // what the checkpoint was written for
    in.seek(8);
    in.field = "version";
    if (const auto v = in.get<std::uint32_t>(); v != 1)
      in.fail("byte 8", "checkpoint version 1", "version " + std::to_string(v));
    in.field = "fingerprint";
    wf::compare_fingerprints(path, wf::split(in.str()), Net::fingerprint(), 0, "the network being trained",
                             "in the checkpoint");
    in.field = "optimizer";
    if (const auto o = in.str(); o != optimizer)
      in.fail("optimizer", wf::quoted(optimizer) + " (the trainer's)", wf::quoted(o) + " (in the checkpoint)");
    in.field = "loss";
    if (const auto l = in.str(); l != loss)
      in.fail("loss", wf::quoted(loss) + " (the trainer's)", wf::quoted(l) + " (in the checkpoint)");
    in.field = "parameter count";
    if (const auto n = in.get<std::uint64_t>(); n != Net::value_count)
      in.fail("parameter count", std::to_string(Net::value_count), std::to_string(n));
  };
  auto read_run = [&](checkpoint_data<T>& c) { // the optimizer's progress, the data order, early stopping
    in.field = "step count, bounds and shuffling generator";
    c.steps = in.get<std::int64_t>();
    c.bounds.w = in.get<double>();
    c.bounds.g = in.get<double>();
    c.bounds.s1 = in.get<double>();
    c.bounds.s2 = in.get<double>();
    c.epochs_done = in.get<std::uint64_t>();
    for (auto& v : c.generator) v = in.get<std::uint64_t>();
    in.field = "shuffled order";
    if (const auto n = in.get<std::uint64_t>(); n != samples)
      in.fail("shuffled order", std::to_string(samples) + " samples (the dataset given)",
              std::to_string(n) + " (the dataset saved)");
    c.order.resize(samples);
    for (auto& v : c.order) {
      v = std::size_t(in.get<std::uint64_t>());
      if (v >= samples) in.fail("shuffled order", "sample indices below " + std::to_string(samples), std::to_string(v));
    }
    in.field = "early stopping";
    c.since_best = in.get<std::uint64_t>();
    c.best_loss = in.get<double>();
    c.best_epoch = in.get<std::uint64_t>();
    if (in.get<std::uint8_t>() != 0) values(c.best, Net::value_count, "early stopping's best weights");
    in.field = "learning-rate schedule and dropout seed";
    c.base_lr = in.get<double>();
    c.lr_state.lr = in.get<double>();
    c.lr_state.best = in.get<double>();
    c.lr_state.bad_epochs = in.get<std::uint64_t>();
    c.lr_state.cooldown_left = in.get<std::uint64_t>();
    c.noise_seed = in.get<std::uint64_t>();
  };
  auto read_history = [&](checkpoint_data<T>& c) {
    in.field = "history";
    const std::size_t records = in.get<std::uint64_t>();
    if (records != c.epochs_done)
      in.fail("history", std::to_string(c.epochs_done) + " epochs", std::to_string(records));
    if (c.best_epoch > records)
      in.fail("best epoch", "an epoch of the " + std::to_string(records) + " in the history",
              "epoch " + std::to_string(c.best_epoch));
    for (std::size_t i = 0; i < records; ++i) {
      epoch_record e;
      e.epoch = in.get<std::uint64_t>();
      e.train.loss = in.get<double>();
      e.train.metric = in.get<double>();
      const bool has_val = in.get<std::uint8_t>() != 0;
      const double vl = in.get<double>(), vm = in.get<double>();
      if (has_val) e.validation = evaluation{vl, vm};
      e.samples_per_second = in.get<double>();
      e.lr = in.get<double>();
      c.history.push_back(e);
    }
  };
  auto parse = [&] {
    read_identity();
    checkpoint_data<T> c;
    values(c.params, Net::value_count, "parameters and buffers");
    values(c.state, slots * Net::value_count, "optimizer state");
    read_run(c);
    read_history(c);
    in.expect_end("the history");
    return c;
  };
  if (in.checksum_ok()) return parse();
  try { // a damaged file: truncated if its fields run past its end, else corrupt
    (void)parse();
  } catch (const file_error&) {
    if (in.truncated()) throw;
  }
  in.fail("byte " + std::to_string(in.end()), "the checksum of the preceding bytes", "another value (corrupt)");
}

} // namespace CTNN_NAMESPACE::detail
