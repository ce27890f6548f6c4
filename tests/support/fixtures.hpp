// Reading the PyTorch fixtures of tests/oracle/fixtures (written by tests/oracle/generate.py),
// and tests/README.md's tolerances against them.
#pragma once

#include <ctnn/ctnn.hpp>

#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <span>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ctnn::test {

/// name -> values, from "name count v1 v2 ..." lines.
inline std::map<std::string, std::vector<double>> read_fixture(const std::string& file) {
  const std::string path = std::string(CTNN_TEST_FIXTURES) + "/" + file;
  std::ifstream f(path);
  BOOST_REQUIRE_MESSAGE(f, "cannot open fixture " << path);
  std::map<std::string, std::vector<double>> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string name;
    std::size_t n = 0;
    in >> name >> n;
    std::vector<double> v(n);
    for (auto& x : v) in >> x;
    BOOST_REQUIRE_MESSAGE(in, "malformed fixture line for " << name << " in " << path);
    out[name] = std::move(v);
  }
  return out;
}

template <class T>
constexpr double forward_tol = sizeof(T) == 4 ? 1e-5 : 1e-9;
template <class T>
constexpr double gradient_tol = sizeof(T) == 4 ? 5e-5 : 1e-9;

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return {v.begin(), v.end()};
}

/// Case `name` of a fixture file written by generate.py for a network under MSE: Model (float
/// or double T) must give PyTorch's outputs, loss and parameter gradients on the batch of n
/// samples, and single-sample inference must agree with the batch.
template <class T, class Model>
void check_mse_case(const std::string& file, const std::string& name, std::size_t n,
                    double gradient_tolerance = gradient_tol<T>) {
  using net_t = ctnn::net<Model, T>;
  const auto fx = read_fixture(file);
  const auto& at = [&](const std::string& key) -> const std::vector<double>& { return fx.at(name + "." + key); };
  net_t net;
  net.import_parameters(as<T>(at("params")));
  constexpr std::size_t out = net_t::output_size;
  auto ws = net.make_workspace(n);
  const auto x = as<T>(at("x"));
  const auto target = as<T>(at("target"));
  BOOST_REQUIRE(x.size() == n * net_t::input_size);
  BOOST_REQUIRE(target.size() == n * out);
  const T* y = net.forward_train(ws, x.data(), n);
  std::vector<double> got(n * out);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < out; ++k) got[r * out + k] = y[r * net_t::output_stride + k];
  BOOST_TEST(scaled_error(got, at("y")) <= forward_tol<T>, name);
  // single-sample inference agrees with the batch
  typename net_t::input_type one;
  std::copy_n(x.data() + net_t::input_size, net_t::input_size, one.data());
  const auto y1 = net(one);
  BOOST_TEST(scaled_error(std::vector<double>(y1.begin(), y1.end()),
                          std::vector<double>(got.begin() + out, got.begin() + 2 * out)) <= forward_tol<T>,
             name);
  const T loss =
      ctnn::loss::mse::value_and_gradient(y, net_t::output_stride, target.data(), out, ws.output_gradient(), n);
  BOOST_TEST(std::abs(double(loss) - at("loss")[0]) / std::max(1.0, at("loss")[0]) <= forward_tol<T>, name);
  ctnn::aligned_buffer<T> grads(net_t::param_size);
  net.backward(ws, x.data(), n, grads.data());
  net_t view;
  std::copy(grads.begin(), grads.end(), view.parameters().begin());
  BOOST_TEST(scaled_error(view.export_parameters(), at("grads")) <= gradient_tolerance, name);
}

/// The case's 4 Adam steps (lr 0.01) of MSE on its batch of n, from generate.py's mse_case_fixtures
/// with adam_steps: ctnn's trainer, one full batch per step, against PyTorch's parameters.
template <class T, class Model>
void check_adam_steps(const std::string& file, const std::string& name, std::size_t n) {
  using net_t = ctnn::net<Model, T>;
  const auto fx = read_fixture(file);
  const auto& at = [&](const std::string& key) -> const std::vector<double>& { return fx.at(name + "." + key); };
  net_t net;
  net.import_parameters(as<T>(at("params")));
  const auto x = as<T>(at("x"));
  const auto target = as<T>(at("target"));
  ctnn::dataset<T, typename Model::input_shape, typename Model::output_shape> data;
  for (std::size_t r = 0; r < n; ++r)
    data.push_back(std::span<const T, net_t::input_size>(x.data() + r * net_t::input_size, net_t::input_size),
                   std::span<const T, net_t::output_size>(target.data() + r * net_t::output_size, net_t::output_size));
  ctnn::trainer fit{net, ctnn::loss::mse{}, ctnn::optim::adam{.lr = 0.01}};
  for (int step = 1; step <= 4; ++step) {
    fit.train(data, {.epochs = 1, .batch = n, .shuffle = false, .log = nullptr});
    BOOST_TEST(scaled_error(net.export_parameters(), at("adam" + std::to_string(step))) <= gradient_tol<T>,
               name << " Adam step " << step);
  }
}

} // namespace ctnn::test
