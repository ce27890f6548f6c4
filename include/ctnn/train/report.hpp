// What training and evaluation report: evaluation (loss, metric, classification and regression
// metrics), epoch_record and train_report (the history, best epoch, why training stopped), with
// the history as CSV. Plotting (plot/plot.hpp) reads only this header of train/.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/error.hpp>
#include <ctnn/train/metrics.hpp>

#include <cmath>
#include <cstddef>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

/// Loss and metrics of a network on a dataset.
struct evaluation {
  double loss = 0;
  double metric = 0; ///< the loss's metric_name: accuracy, RMSE or MAE
  /// Classification losses: accuracy, precision / recall / F1 per class and macro-averaged, the
  /// confusion matrix (bce_with_logits: with one output; two classes).
  std::optional<classification_metrics> classification{};
  /// Regression losses: RMSE and MAE.
  std::optional<regression_metrics> regression{};
  /// A network with several heads (loss::heads): each head's loss (unweighted), metric and
  /// metrics, in the heads' order; loss above is their weighted sum, metric head 0's.
  std::vector<evaluation> heads{};
};

struct epoch_record {
  std::size_t epoch = 0; ///< 1-based
  evaluation train;
  std::optional<evaluation> validation;
  double samples_per_second = 0;
  double lr = 0; ///< the learning rate of this epoch
};

struct train_report {
  std::vector<epoch_record> history;
  std::string metric_name;
  std::vector<std::string> head_metric_names; ///< each head's metric (loss::heads), else empty
  std::size_t best_epoch = 0;                 ///< epoch whose weights the network holds at the end (0: none)
  double best_loss = INFINITY;                ///< the monitored loss at best_epoch
  bool stopped_early = false;
  bool stopped_by_callback = false; ///< on_step or on_epoch returned false
  bool diverged = false;            ///< a non-finite loss stopped training
  std::string divergence;           ///< what happened, naming the epoch and step

  /// The history as CSV, one row per epoch: epoch, loss, <metric>, val_loss, val_<metric> (empty
  /// without validation data), lr, samples_per_second. Throws file_error if it cannot be written.
  void write_csv(const std::string& path) const {
    std::ofstream f(path, std::ios::trunc);
    if (!f) throw file_error(path, "opening for writing", "a writable file", "an error (does the directory exist?)");
    f << "epoch,loss," << metric_name << ",val_loss,val_" << metric_name << ",lr,samples_per_second";
    for (const char* prefix : {"", "val_"})
      for (std::size_t h = 0; h < head_metric_names.size(); ++h)
        f << ',' << prefix << "head" << h << "_loss," << prefix << "head" << h << '_' << head_metric_names[h];
    f << '\n';
    f.precision(9);
    const auto heads = [&](const evaluation* e) {
      for (std::size_t h = 0; h < head_metric_names.size(); ++h)
        if (e && h < e->heads.size())
          f << ',' << e->heads[h].loss << ',' << e->heads[h].metric;
        else
          f << ",,";
    };
    for (const auto& e : history) {
      f << e.epoch << ',' << e.train.loss << ',' << e.train.metric << ',';
      if (e.validation)
        f << e.validation->loss << ',' << e.validation->metric;
      else
        f << ',';
      f << ',' << e.lr << ',' << e.samples_per_second;
      heads(&e.train);
      heads(e.validation ? &*e.validation : nullptr);
      f << '\n';
    }
    if (!f) throw file_error(path, "writing", "the history written", "a write error");
  }
};

} // namespace CTNN_NAMESPACE
