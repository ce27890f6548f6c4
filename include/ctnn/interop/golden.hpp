// Golden activations: every layer's output for a few inputs, as PyTorch computed them
// (examples/pytorch/ctnn_export.py writes NAME.golden beside the weights). check_layers runs a
// network on the golden inputs and names the first layer whose output differs, with the error.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/network.hpp>
#include <ctnn/io/binary.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>
#include <ctnn/io/weights.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {

/// File layout (all integers little-endian, values IEEE 754 double):
///   offset 0   8 bytes  magic "CTNNGLD\0"
///          8   u32      format version (1)
///         12   u32      fingerprint length F
///         16   F bytes  fingerprint, as in weight files (net::fingerprint() joined by '\n')
///      16+F    u32      number of inputs K
///      20+F    u32      number of layers L (input<> included: layer 0 holds the inputs)
///              then for each layer: u64 values per sample S, then K * S doubles (sample-major)
///              u64      FNV-1a 64 checksum of every preceding byte
struct golden_activations {
  std::string path;
  std::vector<std::string> fingerprint;  ///< the lines of the topology the file was made for
  std::size_t inputs = 0;                ///< K
  std::vector<std::size_t> sizes;        ///< values per sample of each layer's output
  std::vector<std::vector<double>> data; ///< [layer][K * size]

  std::size_t layers() const noexcept { return sizes.size(); }
  /// Layer `layer`'s output for input k (layer 0: the input itself).
  std::span<const double> output(std::size_t layer, std::size_t k) const noexcept {
    return {data[layer].data() + k * sizes[layer], sizes[layer]};
  }
};

/// Reads a golden-activation file. Throws file_error naming the file, the byte and what was
/// expected for a missing, truncated, corrupt or foreign file.
inline golden_activations read_golden(const std::string& path) {
  static constexpr char magic[8] = {'C', 'T', 'N', 'N', 'G', 'L', 'D', '\0'};
  detail::binary_reader in(path, detail::read_file(path, "a ctnn golden-activation file", {.gzip = false}));
  if (in.size() < 16 || !in.has_magic(magic))
    in.fail("byte 0", "the golden-activation magic \"CTNNGLD\"", "other bytes");
  in.field = "version";
  if (const auto v = in.get<std::uint32_t>(); v != 1)
    in.fail("byte 8", "format version 1", "version " + std::to_string(v));
  if (!in.checksum_ok())
    in.fail("byte " + std::to_string(in.end()), "the checksum of the preceding bytes", "another value (corrupt)");
  golden_activations g;
  g.path = path;
  in.field = "fingerprint";
  g.fingerprint = weights_format::split(in.str());
  in.field = "input and layer counts";
  g.inputs = in.get<std::uint32_t>();
  const std::size_t layers = in.get<std::uint32_t>();
  if (layers + 1 != g.fingerprint.size())
    in.fail("byte " + std::to_string(in.at() - 4),
            std::to_string(g.fingerprint.size() - 1) + " layers (its fingerprint's)", std::to_string(layers));
  for (std::size_t l = 0; l < layers; ++l) {
    in.field = "layer " + std::to_string(l);
    const std::uint64_t size = in.get<std::uint64_t>();
    if (size != 0 && g.inputs > (in.end() - std::min(in.at(), in.end())) / 8 / size)
      in.fail(in.place(),
              std::to_string(g.inputs) + " x " + std::to_string(size) + " values of layer " + std::to_string(l),
              "the end of the file at byte " + std::to_string(in.end()) + " (truncated)");
    std::vector<double> v(g.inputs * size);
    for (auto& x : v) x = in.get<double>();
    g.sizes.push_back(size);
    g.data.push_back(std::move(v));
  }
  in.expect_end("the last layer");
  return g;
}

/// One layer's comparison against its golden output.
struct layer_error {
  std::size_t layer = 0; ///< index in network<...> (input<> is 0)
  std::string name;      ///< the layer as written, e.g. "conv2d<8, kernel<3, 3>>"
  double max_error = 0;  ///< max |ctnn - golden| over the layer's outputs for every golden input
  double scale = 1;      ///< max(1, max |golden|)
  bool within = true;    ///< max_error <= tolerance * scale
};

/// What check_layers found: one entry per layer after the input, and the first that differs.
struct layer_check {
  std::vector<layer_error> layers;
  double tolerance = 0;
  std::optional<std::size_t> first_differing; ///< index of the first layer out of tolerance

  bool ok() const noexcept { return !first_differing; }
  /// "every layer within 1e-05 (largest error 3.1e-07, layer 4 conv2d<...>)", or
  /// "layer 3 (dense<16>) differs from the golden output: max error 0.12 > 1e-05 x 1.7".
  std::string message() const {
    auto num = [](double v) {
      char s[32];
      std::snprintf(s, sizeof s, "%.3g", v);
      return std::string(s);
    };
    if (first_differing) {
      const auto& e = *std::find_if(layers.begin(), layers.end(), [&](auto& l) { return l.layer == *first_differing; });
      return "layer " + std::to_string(e.layer) + " (" + e.name + ") differs from the golden output: max error " +
             num(e.max_error) + " > " + num(tolerance) + " x " + num(e.scale);
    }
    auto worst = std::max_element(layers.begin(), layers.end(),
                                  [](auto& a, auto& b) { return a.max_error / a.scale < b.max_error / b.scale; });
    if (worst == layers.end()) return "no layers to check";
    return "every layer within " + num(tolerance) + " (largest error " + num(worst->max_error) + ", layer " +
           std::to_string(worst->layer) + " " + worst->name + ")";
  }
};

namespace detail {
template <class Model, std::size_t... Is>
network<typename Model::template layer<Is>...> prefix_of(std::index_sequence<Is...>);
/// network<layers 0..I of Model>: runs exactly as far as layer I, with Model's parameters.
template <class Model, std::size_t I>
using network_prefix = decltype(prefix_of<Model>(std::make_index_sequence<I + 1>{}));

/// The default tolerance of tests/README.md for forward values: 1e-5 x scale in float, 1e-9 in double.
template <class T>
inline constexpr double golden_tolerance = sizeof(T) == 4 ? 1e-5 : 1e-9;
} // namespace detail

/// Runs `net` on the golden inputs and compares every layer's output with the golden one. Each
/// layer is checked on its own prefix of the network (layers 0..I with net's parameters), so a
/// fused stage's inner layers are checked too. Throws file_error if the golden file was made for
/// another topology, naming the first differing layer.
template <class Model, class T>
layer_check check_layers(const net<Model, T>& n, const golden_activations& g,
                         double tolerance = detail::golden_tolerance<T>) {
  weights_format::compare_fingerprints(g.path, g.fingerprint, net<Model, T>::fingerprint(), 1, "the network checked",
                                       "in the golden file");
  for (std::size_t l = 0; l < Model::layer_count; ++l)
    if (g.sizes[l] != Model::layer_output(l).size())
      throw file_error(g.path, "layer " + std::to_string(l),
                       std::to_string(Model::layer_output(l).size()) + " values per sample",
                       std::to_string(g.sizes[l]) + " (the file contradicts its fingerprint)");
  layer_check report;
  report.tolerance = tolerance;
  const std::vector<T> params = n.export_parameters();
  const auto names = Model::layer_names();
  detail::for_each_index<Model::layer_count - 1>([&](auto i) {
    constexpr std::size_t layer = decltype(i)::value + 1;
    using prefix = detail::network_prefix<Model, layer>;
    net<prefix, T> p;
    p.import_parameters(std::span<const T>(params.data(), net<prefix, T>::value_count));
    layer_error e{layer, names[layer], 0, 1, true};
    for (std::size_t k = 0; k < g.inputs; ++k) {
      typename net<prefix, T>::input_type x;
      const auto in = g.output(0, k);
      for (std::size_t j = 0; j < x.size(); ++j) x[j] = static_cast<T>(in[j]);
      std::vector<T> y(net<prefix, T>::output_size); // flat: a network's heads one after the other
      p(x.data(), y.data());
      const auto ref = g.output(layer, k);
      for (std::size_t j = 0; j < y.size(); ++j) {
        e.max_error = std::max(e.max_error, std::abs(static_cast<double>(y[j]) - ref[j]));
        if (std::isnan(static_cast<double>(y[j])) != std::isnan(ref[j])) e.max_error = INFINITY;
        e.scale = std::max(e.scale, std::abs(ref[j]));
      }
    }
    e.within = e.max_error <= tolerance * e.scale;
    if (!e.within && !report.first_differing) report.first_differing = layer;
    report.layers.push_back(std::move(e));
  });
  return report;
}

} // namespace CTNN_NAMESPACE
