// Overfitting, seen and fought: a large network on a small real training set learns it by heart
// (training loss near 0) while its validation loss climbs; the same network with dropout,
// decoupled weight decay and early stopping keeps the two close. Prints the train/validation gap
// of each run and writes both runs' curves into one PNG (ctnn/plot/plot.hpp, cairo).
//
//   overfitting [PNG]   (default: overfitting.png in the current directory)
//
// Data: breast cancer WDBC (tests/README.md's split, z-scored), but only the first 40 training samples;
// validation: tests/README.md's 113 test samples.
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>
#include <ctnn/plot/plot.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace nn = ctnn;

// 30 features -> 256 -> 256 -> 1: 74,000 parameters for 40 samples
using plain = nn::network<nn::input<nn::shape<30>>, nn::dense<256>, nn::relu, nn::dense<256>, nn::relu, nn::dense<1>>;
using regularized = nn::network<nn::input<nn::shape<30>>, nn::dense<256>, nn::relu, nn::dropout<1, 2>, nn::dense<256>,
                                nn::relu, nn::dropout<1, 2>, nn::dense<1>>;

namespace {
struct outcome {
  nn::train_report report;
  nn::evaluation train, validation;
};

template <class Model, class Optim, class Data>
outcome run(const Data& train, const Data& val, Optim optim, std::size_t patience) {
  auto net = nn::make<Model>(nn::init::pytorch_default{}, 3);
  nn::trainer fit{net, nn::loss::bce_with_logits{}, optim};
  outcome o;
  o.report = fit.train(train, {.epochs = 300,
                               .batch = train.size(),
                               .validation = val,
                               .early_stopping = {.patience = patience},
                               .seed = 5,
                               .log = nullptr});
  o.train = fit.evaluate(train); // the weights the network ends with (early stopping: the best epoch's)
  o.validation = fit.evaluate(val);
  return o;
}

void print(const char* name, const outcome& o) {
  std::printf("%-42s epochs %3zu (weights of epoch %3zu)  train loss %.4f acc %.4f | validation loss %.4f acc %.4f | "
              "gap: loss %+.4f, accuracy %+.4f\n",
              name, o.report.history.size(), o.report.best_epoch, o.train.loss, o.train.metric, o.validation.loss,
              o.validation.metric, o.validation.loss - o.train.loss, o.train.metric - o.validation.metric);
}
} // namespace

int main(int argc, char** argv) {
  try {
    const std::string png = argc > 1 ? argv[1] : "overfitting.png";
    const auto [all_train, val] = nn::datasets::breast_cancer_split();
    const auto train = all_train.subset([](std::size_t i) { return i < 40; });
    std::printf("training on %zu samples, validating on %zu\n", train.size(), val.size());

    const auto a = run<plain>(train, val, nn::optim::adam{.lr = 1e-3}, 0);
    const auto b = run<regularized>(train, val, nn::optim::adamw{.lr = 1e-3, .weight_decay = 1.0}, 25);
    print("plain (adam)", a);
    print("dropout 0.5 + adamw decay 1 + early stop", b);

    auto panels = nn::plot::training_curves(a.report, "plain");
    nn::plot::append_training_curves(panels, b.report, "dropout + decay + early stop");
    panels[0].title = "loss: 40 training samples, 113 validation";
    nn::plot::save_png(png, panels, 620, 440);
    std::printf("curves written to %s\n", png.c_str());
    // the example's claim, checked: regularization narrows the validation-loss gap
    return (b.validation.loss - b.train.loss) < (a.validation.loss - a.train.loss) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "overfitting: %s\n", e.what());
    return 1;
  }
}
