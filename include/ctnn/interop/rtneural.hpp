// RTNeural's JSON model files (written by RTNeural's Keras and PyTorch export scripts) read into a
// ctnn network type. Optional: needs nlohmann/json (Debian: nlohmann-json3-dev); ctnn.hpp does not
// include this header and the core keeps depending on xsimd only. CMake: link ctnn::rtneural.
//
//   using model = ctnn::network<ctnn::input<ctnn::sequence<1, 1>>, ctnn::gru<8>, ctnn::last, ctnn::dense<1>>;
//   auto net = ctnn::read_rtneural<model>("model.json");   // or ctnn::load_rtneural(net, path)
//   auto state = net.make_state();
//   float y = net.step(state, {x})[0];                       // one sample per call, as RTNeural
//
// The format: {"in_shape": [null, ..., F], "layers": [{"type", "activation", "shape", "weights"}]},
// as RTNeural's python/model_utils.py writes it from Keras. Each file layer and the ctnn layer it
// fills:
//   dense, time-distributed-dense: dense<N> on a vector (after `last`, or in an MLP), per_step<dense<N>>
//     on a sequence. weights [kernel [in][out], bias [out]]; without the bias (use_bias=False) it
//     is 0.
//   conv1d: conv1d<F, K, causal, dilation<D>, groups<G>> on a sequence (RTNeural's Conv1D is causal
//     and streams); "kernel_size", "dilation" and "groups" must be the layer's. weights [kernel
//     [K][C / G][F], bias [F]].
//   conv2d: conv2d<F, kernel<KT, KF>, causal, dilation<D, 1>, stride<1, S>, padding<0, P>> on a
//     sequence<Steps, Features, C> of frames (RTNeural's Conv2D: causal in time, where it streams,
//     and strided and padded in features); "kernel_size_time", "kernel_size_feature", "dilation",
//     "strides", "num_filters_in", "num_features_in" and "num_filters_out" must be the layer's,
//     "padding" "valid" (P = 0) or "same" (TensorFlow's: P on each side when its total padding is
//     even; an odd total, with one more zero after, is refused). weights [kernel [KT][KF][C][F],
//     bias [F]].
//   lstm: weights [W [in][4H], U [H][4H], bias [4H]], gates i, f, c, o (Keras's order, PyTorch's too).
//   gru:  weights [W [in][3H], U [H][3H], bias [2][3H] (input, recurrent)], gates z, r, h (Keras's
//     order; reset_after=True, which is PyTorch's formula).
//   batchnorm: batch_norm on a vector, per_step<batch_norm> on a sequence. weights [gamma, beta,
//     moving mean, moving variance], or [mean, variance] without scale and centre; "epsilon"
//     (Keras's default 1e-3) is kept by adding epsilon - 1e-5 to the variance (ctnn's epsilon is
//     PyTorch's 1e-5).
//   batchnorm2d: batch_norm on a sequence of frames (per channel); "num_filters_in" and
//     "num_features_in" must be the frame's; weights and epsilon as batchnorm's, one per channel.
//   prelu: channel_prelu on a vector, per_step<channel_prelu> on a sequence; weights [[alpha]].
//   activation: the activation named by "activation" (tanh, relu, sigmoid, softmax, elu), as
//     RTNeural's exporter writes it; "type": "tanh" (and the others) is read as well. A non-empty
//     "activation" of a dense or conv1d layer is the activation layer after it. softmax on a
//     sequence is refused (RTNeural's is per step, ctnn's over the whole sequence).
// RTNeural runs every layer at each time step; in ctnn a dense layer that gives one output per
// sequence comes after `last` (which the file does not list), and stepping the network is
// RTNeural's forward: net.step(state, x) per sample.
//
// A file whose layers, sizes or values do not fit the type is refused with a file_error naming the
// layer, the field and both values; the network is left exactly as it was.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/index.hpp>
#include <ctnn/dsl/layers/batch_norm.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>
#include <ctnn/runtime/network.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail::rtneural {

/// One ctnn layer as the file describes it: a parameter-holding layer or an activation.
struct item {
  std::string kind;           ///< "dense", "conv1d", "lstm", "gru", "batchnorm", "prelu", or an activation
  std::size_t units = 0;      ///< output features (parameter layers)
  std::size_t json_layer = 0; ///< index in "layers"
  const nlohmann::json* layer = nullptr;
  std::string field = "type"; ///< where the file says it: "type", or "activation" of a dense layer
};

class reader {
public:
  reader(std::string path, const nlohmann::json& doc) : path_(std::move(path)), doc_(doc) {}

  [[noreturn]] void fail(const std::string& where, const std::string& expected, const std::string& found) const {
    throw file_error(path_, where, expected, found);
  }
  static std::string describe(const nlohmann::json& v) {
    if (v.is_null()) return "null";
    if (v.is_array()) return "an array of " + std::to_string(v.size());
    if (v.is_object()) return "an object";
    if (v.is_string()) return "the string \"" + v.get<std::string>() + "\"";
    return v.dump();
  }
  static std::string at(std::size_t j, const std::string& field = "") {
    return "layers[" + std::to_string(j) + "]" + (field.empty() ? "" : ", " + field);
  }

  /// The file's layers as ctnn layers (activations split off), checked for form.
  std::vector<item> items() const {
    if (!doc_.is_object()) fail("the top level", "an object with \"in_shape\" and \"layers\"", describe(doc_));
    if (!doc_.contains("layers") || !doc_["layers"].is_array())
      fail("\"layers\"", "an array of layers", doc_.contains("layers") ? describe(doc_["layers"]) : "no such field");
    std::vector<item> out;
    const auto& layers = doc_["layers"];
    for (std::size_t j = 0; j < layers.size(); ++j) {
      const auto& l = layers[j];
      if (!l.is_object() || !l.contains("type") || !l["type"].is_string())
        fail(at(j), "an object with a string \"type\"", describe(l));
      const std::string type = l["type"].get<std::string>();
      if (is_activation(type)) { // the older spelling: the activation's name as the type
        out.push_back({type, 0, j, &l});
        continue;
      }
      if (type == "activation") { // RTNeural's own: {"type": "activation", "activation": "tanh"}
        if (!l.contains("activation") || !l["activation"].is_string())
          fail(at(j, "activation"), "the activation's name (tanh, relu, sigmoid, softmax or elu)",
               l.contains("activation") ? describe(l["activation"]) : "no such field");
        const std::string act = l["activation"].get<std::string>();
        if (!is_activation(act))
          fail(at(j, "activation"), "tanh, relu, sigmoid, softmax or elu", "\"" + act + "\" (not read by ctnn)");
        out.push_back({act, 0, j, &l, "activation"});
        continue;
      }
      if (type != "dense" && type != "time-distributed-dense" && type != "conv1d" && type != "conv2d" &&
          type != "lstm" && type != "gru" && type != "batchnorm" && type != "batchnorm2d" && type != "prelu")
        fail(at(j, "type"),
             "dense, time-distributed-dense, conv1d, conv2d, lstm, gru, batchnorm, batchnorm2d, prelu, activation, "
             "tanh, relu, sigmoid, softmax or elu",
             "\"" + type + "\" (not read by ctnn)");
      out.push_back({type == "time-distributed-dense" ? "dense" : type, units_of(l, j), j, &l});
      if ((type.find("dense") != std::string::npos || type.rfind("conv", 0) == 0) && l.contains("activation")) {
        if (!l["activation"].is_string()) fail(at(j, "activation"), "a string", describe(l["activation"]));
        const std::string act = l["activation"].get<std::string>();
        if (!act.empty() && !is_activation(act))
          fail(at(j, "activation"), "\"\", tanh, relu, sigmoid, softmax or elu", "\"" + act + "\"");
        if (!act.empty()) out.push_back({act, 0, j, &l, "activation"});
      }
    }
    return out;
  }

  /// The input values of one step: the last value of "in_shape", or of a Conv2D's input
  /// [null, steps, features, channels], features x channels (as RTNeural reads it).
  std::size_t input_features() const {
    const auto& shape = doc_.contains("in_shape") ? doc_["in_shape"] : nlohmann::json();
    const bool frames = shape.is_array() && shape.size() == 4;
    if (!shape.is_array() || shape.empty() || !shape.back().is_number_unsigned() ||
        (frames && !shape[2].is_number_unsigned()))
      fail("\"in_shape\"", "an array ending in the input features, e.g. [null, null, 1]",
           doc_.contains("in_shape") ? describe(shape) : "no such field");
    return shape.back().get<std::size_t>() * (frames ? shape[2].get<std::size_t>() : 1);
  }

  /// weights[w] as a rows x cols matrix (cols 0: a vector of rows values), checked for shape and
  /// values; `what` says what the sizes are, for the message.
  std::vector<double> matrix(const item& it, std::size_t w, std::size_t rows, std::size_t cols,
                             const std::string& what) const {
    const auto& l = *it.layer;
    const std::string field = "weights[" + std::to_string(w) + "]";
    if (!l.contains("weights") || !l["weights"].is_array())
      fail(at(it.json_layer, "weights"), "an array of weights",
           l.contains("weights") ? describe(l["weights"]) : "no such field");
    if (l["weights"].size() <= w)
      fail(at(it.json_layer, "weights"), "at least " + std::to_string(w + 1) + " arrays",
           std::to_string(l["weights"].size()));
    const auto& m = l["weights"][w];
    if (!m.is_array() || m.size() != rows)
      fail(at(it.json_layer, field), std::to_string(rows) + (cols ? " rows (" : " values (") + what + ")",
           m.is_array() ? std::to_string(m.size()) + (cols ? " rows" : " values") : describe(m));
    std::vector<double> v;
    v.reserve(rows * (cols ? cols : 1));
    for (std::size_t r = 0; r < rows; ++r) {
      if (cols == 0) {
        v.push_back(number(m[r], it.json_layer, field + "[" + std::to_string(r) + "]"));
        continue;
      }
      const auto& row = m[r];
      const std::string rf = field + "[" + std::to_string(r) + "]";
      if (!row.is_array() || row.size() != cols)
        fail(at(it.json_layer, rf), std::to_string(cols) + " columns (" + what + ")",
             row.is_array() ? std::to_string(row.size()) + " columns" : describe(row));
      for (std::size_t c = 0; c < cols; ++c)
        v.push_back(number(row[c], it.json_layer, rf + "[" + std::to_string(c) + "]"));
    }
    return v;
  }

  /// weights[w] as a nested array of the given extents, outermost first (a conv1d kernel [K][C / G][F],
  /// a conv2d kernel [KT][KF][C][F]), flat, checked as matrix() does; units[d] names what depth d
  /// counts ("taps", "rows", ...), for the message.
  template <std::size_t Rank>
  std::vector<double> nested(const item& it, std::size_t w, const std::array<std::size_t, Rank>& extent,
                             const std::array<const char*, Rank>& units, const std::string& what) const {
    const auto& l = *it.layer;
    if (!has_weights(it, w))
      fail(at(it.json_layer, "weights"), "at least " + std::to_string(w + 1) + " arrays",
           l.contains("weights") ? describe(l["weights"]) : "no such field");
    std::vector<double> v;
    std::size_t count = 1;
    for (const std::size_t e : extent) count *= e;
    v.reserve(count);
    const auto walk = [&](const auto& self, const nlohmann::json& m, std::size_t depth,
                          const std::string& field) -> void {
      if (!m.is_array() || m.size() != extent[depth])
        fail(at(it.json_layer, field), std::to_string(extent[depth]) + " " + units[depth] + " (" + what + ")",
             m.is_array() ? std::to_string(m.size()) + " " + units[depth] : describe(m));
      for (std::size_t k = 0; k < m.size(); ++k) {
        const std::string sub = field + "[" + std::to_string(k) + "]";
        if (depth + 1 == Rank)
          v.push_back(number(m[k], it.json_layer, sub));
        else
          self(self, m[k], depth + 1, sub);
      }
    };
    walk(walk, l["weights"][w], 0, "weights[" + std::to_string(w) + "]");
    return v;
  }
  /// Whether the layer has weights[w].
  static bool has_weights(const item& it, std::size_t w) {
    const auto& l = *it.layer;
    return l.contains("weights") && l["weights"].is_array() && l["weights"].size() > w;
  }
  /// A whole-number field (RTNeural writes Keras's tuples: [3]; or a plain 3), checked against
  /// the value the network's layer has.
  void check_count(const item& it, const std::string& field, std::size_t want, const std::string& layer) const {
    const auto& l = *it.layer;
    if (!l.contains(field))
      fail(at(it.json_layer, field), std::to_string(want) + " (the network's " + layer + ")", "no such field");
    const auto& v = l[field].is_array() && !l[field].empty() ? l[field].back() : l[field];
    if (!v.is_number_unsigned() || v.get<std::size_t>() != want)
      fail(at(it.json_layer, field), std::to_string(want) + " (the network's " + layer + ")", describe(l[field]));
  }
  /// A string field that must be one of the values the network allows.
  std::string text_field(const item& it, const std::string& field, const std::string& expected) const {
    const auto& l = *it.layer;
    if (!l.contains(field) || !l[field].is_string())
      fail(at(it.json_layer, field), expected, l.contains(field) ? describe(l[field]) : "no such field");
    return l[field].get<std::string>();
  }
  /// A number field (with a default when the file has none).
  double number_field(const item& it, const std::string& field, double otherwise) const {
    const auto& l = *it.layer;
    return l.contains(field) ? number(l[field], it.json_layer, field) : otherwise;
  }

private:
  static bool is_activation(const std::string& t) {
    return t == "tanh" || t == "relu" || t == "sigmoid" || t == "softmax" || t == "elu";
  }
  std::size_t units_of(const nlohmann::json& l, std::size_t j) const {
    if (!l.contains("shape") || !l["shape"].is_array() || l["shape"].empty() || !l["shape"].back().is_number_unsigned())
      fail(at(j, "shape"), "an array ending in the layer's output features",
           l.contains("shape") ? describe(l["shape"]) : "no such field");
    return l["shape"].back().get<std::size_t>();
  }
  double number(const nlohmann::json& v, std::size_t j, const std::string& field) const {
    if (!v.is_number()) fail(at(j, field), "a number", describe(v));
    const double d = v.get<double>();
    if (!std::isfinite(d)) fail(at(j, field), "a finite number", v.dump());
    return d;
  }

  std::string path_;
  const nlohmann::json& doc_;
};

/// Keras's gate blocks (z, r, h) of each row of a [rows][3H] matrix -> PyTorch's (r, z, n), and
/// transposed to PyTorch's [3H][rows].
inline void keras_gru_to_torch(const std::vector<double>& m, std::size_t rows, std::size_t h,
                               std::vector<double>& out) {
  const std::size_t keras_block[3] = {1, 0, 2}; // PyTorch's r, z, n are Keras's blocks 1, 0, 2
  for (std::size_t g = 0; g < 3; ++g)
    for (std::size_t u = 0; u < h; ++u)
      for (std::size_t r = 0; r < rows; ++r) out.push_back(m[r * 3 * h + keras_block[g] * h + u]);
}
/// A [rows][cols] matrix transposed.
inline void transposed(const std::vector<double>& m, std::size_t rows, std::size_t cols, std::vector<double>& out) {
  for (std::size_t c = 0; c < cols; ++c)
    for (std::size_t r = 0; r < rows; ++r) out.push_back(m[r * cols + c]);
}

/// The layers of the parsed document into n (load_rtneural's second half).
template <class Model, class T>
void read_layers(net<Model, T>& n, const std::string& path, const nlohmann::json& doc);
} // namespace detail::rtneural

/// Reads RTNeural's JSON model file at `path` into `n`, whose type must have the file's layers
/// (see the top of this header). Throws file_error naming the file, the layer, the field and
/// both values if not; `n` is then unchanged.
template <class Model, class T>
void load_rtneural(net<Model, T>& n, const std::string& path) {
  namespace rt = detail::rtneural;
  // a JSON model holds the network's parameters as text: 256 bytes each (numbers, indentation) and
  // 1 MiB of structure is far more than RTNeural writes
  const std::string text =
      detail::read_file(path, "an RTNeural JSON model file",
                        {.max_bytes = 256 * std::uint64_t(Model::param_count) + (1u << 20), .gzip = false});
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw file_error(path, "byte " + std::to_string(e.byte), "JSON", std::string("a syntax error (") + e.what() + ")");
  } catch (const nlohmann::json::exception& e) { // e.g. a number beyond double's range (8E667)
    throw file_error(path, "the JSON text", "JSON numbers within double's range", e.what());
  }
  try {
    rt::read_layers(n, path, doc);
  } catch (const nlohmann::json::exception& e) { // a field of another type than the reader checked for
    throw file_error(path, "the JSON document", "RTNeural's model layout", e.what());
  }
}

namespace detail::rtneural {
/// What the reader needs of a network's convolution over time (kernel 0: the layer is none).
/// conv1d: the time axis is the window's width; conv2d over frames: its height, and the width is
/// the frame's features.
struct conv_facts {
  std::size_t kernel = 0, dilation = 1, groups = 1;
  bool streams = false; ///< causal at stride 1 in time: RTNeural's Conv1D and Conv2D
  // conv2d: the frame's features in, its kernel, stride, dilation and padding (left, right), the
  // channels in and the filters
  std::size_t features = 0, feature_kernel = 0, feature_stride = 1, feature_dilation = 1;
  std::size_t pad_left = 0, pad_right = 0, channels = 0, filters = 0;
};
template <class Model>
constexpr std::array<conv_facts, Model::layer_count> conv_facts_of() {
  std::array<conv_facts, Model::layer_count> f{};
  ctnn::detail::for_each_index<Model::layer_count>([&](auto i) {
    using L = typename Model::template layer<i>;
    if constexpr (i > 0 && requires { L::one_d; }) {
      constexpr dims in = Model::layer_input(i);
      if constexpr (L::one_d && in.sequence) {
        constexpr auto g = L::geometry(in);
        f[i] = {g.kw, g.dw, L::groups, g.sw == 1 && g.pr == 0 && g.pl == (g.kw - 1) * g.dw};
      } else if constexpr (!L::one_d && in.sequence) {
        constexpr auto g = L::geometry(in);
        f[i] = {g.kh, g.dh, L::groups, g.sh == 1 && g.pb == 0 && g.pt == (g.kh - 1) * g.dh, g.w, g.kw, g.sw, g.dw, g.pl,
                g.pr, g.c,  L::filters};
      }
    }
  });
  return f;
}

/// The file's kind for a ctnn layer name: per_step<L> as L; channel_prelu is "prelu", batch_norm
/// "batchnorm", elu (elu_alpha<1, 1>) "elu"; otherwise the name up to its first '<'.
inline std::string kind_of(const std::string& name) {
  std::string inner = name;
  if (inner.rfind("per_step<", 0) == 0) inner = inner.substr(9, inner.size() - 10);
  if (inner == "channel_prelu") return "prelu";
  if (inner == "batch_norm") return "batchnorm"; // over frames: batchnorm2d (read_layers)
  if (inner == "elu_alpha<1, 1>") return "elu";
  return inner.substr(0, inner.find('<'));
}

template <class Model, class T>
void read_layers(net<Model, T>& n, const std::string& path, const nlohmann::json& doc) {
  namespace rt = detail::rtneural;
  const rt::reader r(path, doc);
  const auto items = r.items();
  const auto names = Model::layer_names();
  constexpr auto convs = conv_facts_of<Model>();
  constexpr dims first = Model::layer_output(0);
  if (const std::size_t f = r.input_features(); f != first.extent[first.rank - 1])
    r.fail("\"in_shape\"",
           std::to_string(first.extent[first.rank - 1]) + " input features (the network's " + names[0] + ")",
           std::to_string(f));

  std::vector<double> params;
  params.reserve(Model::param_count + Model::buffer_count);
  std::size_t next = 0;
  for (std::size_t i = 1; i < Model::layer_count; ++i) {
    const std::string& name = names[i];
    if (name == "last") continue; // RTNeural steps every layer; ctnn's `last` is that step's output
    const dims in = Model::layer_input(i), out = Model::layer_output(i);
    // units: a frame's channels (the file's shape ends in them), or the features of a step
    const std::size_t in_features = in.extent[in.rank - 1];
    const std::size_t units = out.sequence && out.channels ? out.channels : out.extent[out.rank - 1];
    const std::string layer = "layer " + std::to_string(i) + ", " + name;
    if (next == items.size())
      r.fail("\"layers\"", "a layer for the network's " + layer,
             "the end of the " + std::to_string(doc["layers"].size()) + " layers");
    const auto& it = items[next++];
    const std::string kind = rt::kind_of(name) + (name == "batch_norm" && in.channels ? "2d" : "");
    if (kind != it.kind)
      r.fail(rt::reader::at(it.json_layer, it.field), "'" + kind + "' (the network's " + layer + ")",
             "'" + it.kind + "'");
    if (it.units != 0 && it.units != units)
      r.fail(rt::reader::at(it.json_layer, "shape"), std::to_string(units) + " features (the network's " + layer + ")",
             std::to_string(it.units));
    const bool per_step = name.rfind("per_step<", 0) == 0;
    if ((kind == "dense" || kind == "batchnorm" || (kind == "prelu" && name != "prelu")) && in.sequence != per_step)
      r.fail(rt::reader::at(it.json_layer), "a layer the network can read here",
             "the network's " + layer + " on input " + to_string(in) +
                 (in.sequence ? " (on a sequence: per_step<...>, or `last` before it)" : ""));
    if (kind == "dense") {
      if (!per_step && in.rank != 1)
        r.fail(rt::reader::at(it.json_layer), "a dense layer the network can read",
               "the network's " + layer + " on input " + to_string(in));
      const auto k = r.matrix(it, 0, in_features, units, "the input size of the network's " + layer);
      rt::transposed(k, in_features, units, params);
      if (rt::reader::has_weights(it, 1)) {
        const auto b = r.matrix(it, 1, units, 0, "the units of the network's " + layer);
        params.insert(params.end(), b.begin(), b.end());
      } else { // Keras's use_bias=False
        params.insert(params.end(), units, 0.0);
      }
    } else if (kind == "conv1d") {
      const auto c = convs[i];
      if (!in.sequence || !c.streams)
        r.fail(rt::reader::at(it.json_layer), "a conv1d the network can read (RTNeural's is causal, stride 1)",
               "the network's " + layer + (in.sequence ? " (not causal at stride 1)" : " on " + to_string(in)));
      r.check_count(it, "kernel_size", c.kernel, layer);
      r.check_count(it, "dilation", c.dilation, layer);
      if ((*it.layer).contains("groups") || c.groups != 1) r.check_count(it, "groups", c.groups, layer);
      const std::size_t group_in = in_features / c.groups;
      const auto k = r.nested<3>(it, 0, {c.kernel, group_in, units}, {"taps", "rows", "values"},
                                 "kernel x channels per group x filters of the network's " + layer);
      // Keras's kernel [K][C / G][F] (rows of C / G x F values here) -> PyTorch's [F][C / G][K]
      for (std::size_t f = 0; f < units; ++f)
        for (std::size_t ch = 0; ch < group_in; ++ch)
          for (std::size_t tap = 0; tap < c.kernel; ++tap) params.push_back(k[tap * group_in * units + ch * units + f]);
      const auto b = r.matrix(it, 1, units, 0, "the filters of the network's " + layer);
      params.insert(params.end(), b.begin(), b.end());
    } else if (kind == "conv2d") {
      const auto c = convs[i];
      if (!in.sequence || !c.streams || c.groups != 1 || c.feature_dilation != 1)
        r.fail(rt::reader::at(it.json_layer),
               "a conv2d the network can read (RTNeural's is causal at stride 1 in time, ungrouped, undilated in "
               "features)",
               "the network's " + layer);
      r.check_count(it, "kernel_size_time", c.kernel, layer);
      r.check_count(it, "kernel_size_feature", c.feature_kernel, layer);
      r.check_count(it, "dilation", c.dilation, layer);
      r.check_count(it, "strides", c.feature_stride, layer);
      r.check_count(it, "num_filters_in", c.channels, layer);
      r.check_count(it, "num_features_in", c.features, layer);
      r.check_count(it, "num_filters_out", c.filters, layer);
      const std::string padding = r.text_field(it, "padding", "\"valid\" or \"same\"");
      std::size_t left = 0, right = 0; // TensorFlow's: the total as "same" needs it, the odd zero after
      if (padding == "same") {
        const std::size_t s = c.feature_stride, rest = c.features % s == 0 ? s : c.features % s;
        const std::size_t total = c.feature_kernel > rest ? c.feature_kernel - rest : 0;
        left = total / 2, right = total - left;
      } else if (padding != "valid") {
        r.fail(rt::reader::at(it.json_layer, "padding"), "\"valid\" or \"same\"", "\"" + padding + "\"");
      }
      if (left != right)
        r.fail(rt::reader::at(it.json_layer, "padding"),
               "padding ctnn's conv2d can express (as many zeros on each side)",
               "\"same\" with " + std::to_string(left) + " zero(s) before and " + std::to_string(right) +
                   " after the features");
      if (left != c.pad_left || right != c.pad_right)
        r.fail(rt::reader::at(it.json_layer, "padding"),
               std::string(c.pad_left ? "\"same\"" : "\"valid\"") + " (the network's " + layer + " pads " +
                   std::to_string(c.pad_left) + " feature(s) on each side)",
               "\"" + padding + "\" (" + std::to_string(left) + " on each side)");
      const auto k = r.nested<4>(it, 0, {c.kernel, c.feature_kernel, c.channels, c.filters},
                                 {"time taps", "feature taps", "channels", "filters"},
                                 "time taps x feature taps x channels x filters of the network's " + layer);
      // Keras's kernel [KT][KF][C][F] -> PyTorch's [F][C][KT][KF]
      for (std::size_t f = 0; f < c.filters; ++f)
        for (std::size_t ch = 0; ch < c.channels; ++ch)
          for (std::size_t kt = 0; kt < c.kernel; ++kt)
            for (std::size_t kf = 0; kf < c.feature_kernel; ++kf)
              params.push_back(k[((kt * c.feature_kernel + kf) * c.channels + ch) * c.filters + f]);
      const auto b = r.matrix(it, 1, c.filters, 0, "the filters of the network's " + layer);
      params.insert(params.end(), b.begin(), b.end());
    } else if (kind == "lstm") {
      const auto w = r.matrix(it, 0, in_features, 4 * units, "input features x 4 units of the network's " + layer);
      const auto u = r.matrix(it, 1, units, 4 * units, "units x 4 units of the network's " + layer);
      const auto b = r.matrix(it, 2, 4 * units, 0, "4 units of the network's " + layer);
      rt::transposed(w, in_features, 4 * units, params); // Keras's i, f, c, o is PyTorch's i, f, g, o
      rt::transposed(u, units, 4 * units, params);
      params.insert(params.end(), b.begin(), b.end()); // bias_ih, and bias_hh = 0
      params.insert(params.end(), 4 * units, 0.0);
    } else if (kind == "gru") {
      const auto w = r.matrix(it, 0, in_features, 3 * units, "input features x 3 units of the network's " + layer);
      const auto u = r.matrix(it, 1, units, 3 * units, "units x 3 units of the network's " + layer);
      const auto& bias = (*it.layer)["weights"].size() > 2 ? (*it.layer)["weights"][2] : nlohmann::json();
      if (bias.is_array() && !bias.empty() && bias[0].is_number())
        r.fail(rt::reader::at(it.json_layer, "weights[2]"),
               "2 rows of " + std::to_string(3 * units) + " (input and recurrent bias: Keras's reset_after=True)",
               "one row (reset_after=False, a GRU formula other than PyTorch's, which ctnn's gru computes)");
      const auto b = r.matrix(it, 2, 2, 3 * units, "input and recurrent bias of the network's " + layer);
      rt::keras_gru_to_torch(w, in_features, units, params);
      rt::keras_gru_to_torch(u, units, units, params);
      rt::keras_gru_to_torch({b.begin(), b.begin() + 3 * units}, 1, units, params);
      rt::keras_gru_to_torch({b.begin() + 3 * units, b.end()}, 1, units, params);
    } else if (kind == "batchnorm" || kind == "batchnorm2d") {
      if (kind == "batchnorm2d") {
        r.check_count(it, "num_filters_in", in.channels, layer);
        r.check_count(it, "num_features_in", in.frame_features(), layer);
      }
      const bool affine = rt::reader::has_weights(it, 2);
      const std::string what =
          (kind == "batchnorm" ? "the features of the network's " : "the channels of the network's ") + layer;
      std::vector<double> gamma(units, 1.0), beta(units, 0.0);
      if (affine) gamma = r.matrix(it, 0, units, 0, what), beta = r.matrix(it, 1, units, 0, what);
      const auto mean = r.matrix(it, affine ? 2 : 0, units, 0, what);
      auto variance = r.matrix(it, affine ? 3 : 1, units, 0, what);
      const double eps = r.number_field(it, "epsilon", 1e-3); // Keras's default
      for (std::size_t f = 0; f < units; ++f) {
        variance[f] += eps - batch_norm::eps; // ctnn normalizes by sqrt(var + 1e-5)
        if (!(variance[f] >= 0))
          r.fail(rt::reader::at(it.json_layer, "weights[" + std::to_string(affine ? 3 : 1) + "]"),
                 "variances of at least 0", std::to_string(variance[f] - eps + batch_norm::eps));
      }
      for (const auto& v : {gamma, beta, mean, variance}) params.insert(params.end(), v.begin(), v.end());
    } else if (kind == "prelu") {
      // RTNeural reads weights[0][0]: Keras's alpha of shape [1, F] (shared over time), or [1, 1]
      // (shared over the features too), which RTNeural gives every feature
      const auto& w = (*it.layer).contains("weights") ? (*it.layer)["weights"] : nlohmann::json();
      const bool nested = w.is_array() && !w.empty() && w[0].is_array() && !w[0].empty() && w[0][0].is_array();
      const std::size_t found =
          nested ? w[0][0].size() : (w.is_array() && !w.empty() && w[0].is_array() ? w[0].size() : 0);
      const std::size_t want = Model::layer_params(i); // prelu: 1; channel_prelu: one per feature
      const std::size_t count = found == 1 ? 1 : want;
      const std::string what =
          std::to_string(want) + (want == 1 ? " alpha" : " alphas (or 1 for all)") + " of the network's " + layer;
      const auto a = nested ? r.matrix(it, 0, 1, count, what) : r.matrix(it, 0, count, 0, what);
      for (std::size_t k = 0; k < want; ++k) params.push_back(a[count == 1 ? 0 : k]);
    } else if (kind == "softmax" && in.sequence) {
      r.fail(rt::reader::at(it.json_layer, it.field), "a softmax the network can read",
             "softmax on a sequence (RTNeural's normalizes each step, ctnn's softmax the whole sequence: put it "
             "after `last`)");
    }
    // activations hold no parameters: the kind matched
  }
  if (next != items.size())
    r.fail(rt::reader::at(items[next].json_layer),
           "no more layers (the network ends at layer " + std::to_string(Model::layer_count - 1) + ", " + names.back() +
               ")",
           "'" + items[next].kind + "'");
  if (params.size() != Model::param_count + Model::buffer_count)
    r.fail("\"layers\"", std::to_string(Model::param_count + Model::buffer_count) + " values (the network's)",
           std::to_string(params.size()) + " (a layer kind this reader does not fill)");
  const std::vector<T> values(params.begin(), params.end());
  n.import_parameters(values); // cannot fail now: the count matches
}
} // namespace detail::rtneural

/// A network of topology Model read from RTNeural's JSON model file (see load_rtneural).
template <class Model, class T = float>
net<Model, T> read_rtneural(const std::string& path) {
  net<Model, T> n;
  load_rtneural(n, path);
  return n;
}

} // namespace CTNN_NAMESPACE
