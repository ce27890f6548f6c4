// summary<Model>(): the table of a topology, as Keras's model.summary() prints it, from the
// same constants the compiler has (network<...>::param_count, macs, layer_params(i), ...).
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/core/index.hpp>
#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail {
/// 192064 as "192,064".
inline std::string thousands(std::size_t v) {
  const std::string digits = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}
/// A composite block's row: its block_name() if it has one ("residual", "parallel<concat>"),
/// else its name; its inner layers follow, indented.
template <class L>
std::string block_label() {
  if constexpr (requires { L::block_name(); })
    return L::block_name();
  else
    return L::name();
}
/// What a block calls each of its inner networks: its inner_label ("head"), else "branch".
template <class Block>
constexpr const char* inner_label() noexcept {
  if constexpr (requires { Block::inner_label; })
    return Block::inner_label;
  else
    return "branch";
}

/// The rows of Model's layers after its input (all of them if Top), a composite block's inner
/// layers indented under it (by branch when it has several inner networks), numbered as
/// net.layer<I>() and the block views reach them: "2", "2.0", "2.b1.0".
template <class Model, class T, bool Top>
void summary_rows(std::vector<std::vector<std::string>>& rows, const std::string& indent, const std::string& number) {
  const auto names = Model::layer_names();
  for_each_index<Model::layer_count>([&](auto i) {
    if constexpr (Top || i > 0) {
      using L = typename Model::template layer<i>;
      const std::string id = number + std::to_string(Top ? std::size_t(i) : std::size_t(i) - 1);
      std::string label = names[i];
      if constexpr (i > 0 && composite_layer<L>) label = block_label<L>();
      rows.push_back({id, indent + label, to_string(Model::layer_output(i)), thousands(Model::layer_params(i)),
                      thousands(Model::layer_macs(i)),
                      i == 0 ? "-" : thousands(Model::layer_output(i).size() * sizeof(T))});
      if constexpr (i > 0 && composite_layer<L>) {
        using nets = typename L::template inner_networks<typename Model::template input_of<i>>;
        [&]<class... Nets>(type_list<Nets...>) {
          std::size_t k = 0;
          (
              [&] {
                if constexpr (sizeof...(Nets) == 1) {
                  summary_rows<Nets, T, false>(rows, indent + "  ", id + ".");
                } else {
                  const std::string branch = id + ".b" + std::to_string(k);
                  rows.push_back({branch,
                                  indent + "  " + inner_label<L>() + " " + std::to_string(k) +
                                      (Nets::layer_count == 1 ? " (the block's input)" : ""),
                                  to_string(Nets::layer_output(Nets::layer_count - 1)), thousands(Nets::param_count),
                                  thousands(Nets::macs), thousands(Nets::activation_count * sizeof(T))});
                  summary_rows<Nets, T, false>(rows, indent + "    ", branch + ".");
                }
                ++k;
              }(),
              ...);
        }(nets{});
      }
    }
  });
}
} // namespace detail

/// A table of Model's layers: index, layer as written, output shape, parameters, multiply-adds
/// and activation bytes (output values x sizeof(T)), with totals. A block (residual, parallel)
/// is one row with its totals, and its inner layers follow it indented, branch by branch. Everything in it is also a
/// compile-time constant: Model::layer_count, param_count, macs, activation_count,
/// layer_params(i), layer_macs(i), layer_output(i).
/// (An ill-formed Model gives its one diagnostic and an empty string.)
template <class Model, class T = float>
[[nodiscard]] std::string summary() {
  using checked [[maybe_unused]] = typename Model::checked;
  std::vector<std::vector<std::string>> rows{{"#", "layer", "output shape", "params", "MACs", "activation bytes"}};
  if constexpr (!Model::valid) // nothing below is instantiated: no second error from inside a block
    return {};
  else
    detail::summary_rows<Model, T, true>(rows, "", "");
  rows.push_back({"", "total", "", detail::thousands(Model::param_count), detail::thousands(Model::macs),
                  detail::thousands(Model::activation_count * sizeof(T))});
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
