// What a program does with a network, for the compile-fail tests: a test's one diagnostic must not
// be followed by others when the network is also called with a tensor of its declared input
// shape, trained, evaluated, used for predictions, saved, loaded and summarized (the passing
// twin compiles the same uses).
#pragma once

#include <ctnn/ctnn.hpp>

#include <string>
#include <tuple>

namespace program {
/// The first output value (of the first head, for a network with heads<...>).
template <class Y>
float first_value(const Y& y) {
  if constexpr (requires { y[0]; })
    return y[0];
  else
    return std::get<0>(y)[0];
}

/// Every use of a network of topology Model whose declared input is Input, trained with Loss on
/// targets of shape Target. Compiled, never run.
template <class Model, class Input, class Target, class Loss = ctnn::loss::mse>
int use() {
  auto net = ctnn::make<Model>(ctnn::init::he_uniform{}, 1);
  const ctnn::tensor<float, Input> x{};
  const auto y = net(x);
  ctnn::dataset<float, Input, Target> data;
  data.push_back(x, ctnn::tensor<float, Target>{});
  ctnn::trainer fit{net, Loss{}, ctnn::optim::adam{}};
  const auto report = fit.train(data, {.epochs = 1, .log = nullptr});
  const auto evaluation = fit.evaluate(data);
  const auto predictions = ctnn::predict(net, data);
  ctnn::save(net, "compile-only.ctnn");
  ctnn::load(net, "compile-only.ctnn");
  const std::string table = ctnn::summary<Model>();
  return static_cast<int>(first_value(y)) +
         static_cast<int>(report.history.size() + predictions.size() + table.size()) +
         static_cast<int>(evaluation.loss);
}
} // namespace program
