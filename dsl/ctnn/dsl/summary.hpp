// summary<Model>(): the table of a topology, as Keras's model.summary() prints it, from the
// same constants the compiler has (network<...>::param_count, macs, layer_params(i), ...).
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/network.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

/// A table of Model's layers: index, layer as written, output shape, parameters, multiply-adds
/// and activation bytes (output values x sizeof(T)), with totals. Everything in it is also a
/// compile-time constant: Model::layer_count, param_count, macs, activation_count,
/// layer_params(i), layer_macs(i), layer_output(i).
/// (An ill-formed Model gives its one diagnostic and an empty string.)
template <class Model, class T = float>
[[nodiscard]] std::string summary() {
  using checked [[maybe_unused]] = typename Model::checked;
  if constexpr (!Model::valid) return {};
  const auto names = Model::layer_names();
  std::vector<std::vector<std::string>> rows{{"#", "layer", "output shape", "params", "MACs", "activation bytes"}};
  auto num = [](std::size_t v) { // thousands separated: 192,064
    const std::string digits = std::to_string(v);
    std::string s;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
      s += digits[i];
    }
    return s;
  };
  for (std::size_t i = 0; i < Model::layer_count; ++i)
    rows.push_back({std::to_string(i), names[i], to_string(Model::layer_output(i)), num(Model::layer_params(i)),
                    num(Model::layer_macs(i)), i == 0 ? "-" : num(Model::layer_output(i).size() * sizeof(T))});
  rows.push_back(
      {"", "total", "", num(Model::param_count), num(Model::macs), num(Model::activation_count * sizeof(T))});
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t c = 0; c < r.size(); ++c) {
      const std::string pad(width[c] - r[c].size(), ' ');
      out += c == 0 ? "" : "  ";
      out += c >= 3 ? pad + r[c] : r[c] + pad; // numbers right-aligned
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  std::size_t total_width = 0;
  for (auto w : width) total_width += w + 2;
  line(rows[0]);
  out += std::string(total_width - 2, '-') + '\n';
  for (std::size_t r = 1; r + 1 < rows.size(); ++r) line(rows[r]);
  out += std::string(total_width - 2, '-') + '\n';
  line(rows.back());
  return out;
}

} // namespace CTNN_NAMESPACE
