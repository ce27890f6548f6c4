// RTNeural's JSON model files (written by RTNeural's Keras and PyTorch export scripts) read into a
// ctnn network type. Optional: needs nlohmann/json (Debian: nlohmann-json3-dev); ctnn.hpp does not
// include this header and the core keeps depending on xsimd only. CMake: link ctnn::rtneural.
//
//   using model = ctnn::network<ctnn::input<ctnn::sequence<1, 1>>, ctnn::gru<8>, ctnn::last, ctnn::dense<1>>;
//   auto net = ctnn::read_rtneural<model>("model.json");   // or ctnn::load_rtneural(net, path)
//   auto state = net.make_state();
//   float y = net.step(state, {x})[0];                       // one sample per call, as RTNeural
//
// The format: {"in_shape": [null, ..., F], "layers": [{"type", "activation", "shape", "weights"}]}.
//   dense (and time-distributed-dense): weights [kernel [in][out], bias [out]]; a non-empty
//     "activation" (tanh, relu, sigmoid, softmax) is the ctnn activation layer after it.
//   lstm: weights [W [in][4H], U [H][4H], bias [4H]], gates i, f, c, o (Keras's order, PyTorch's too).
//   gru:  weights [W [in][3H], U [H][3H], bias [2][3H] (input, recurrent)], gates z, r, h (Keras's
//     order; reset_after=True, which is PyTorch's formula).
//   activation: an activation layer named by its "activation" field (tanh, relu, sigmoid, softmax),
//     as RTNeural's exporter writes it; "type": "tanh" (and the others) is read as well.
// RTNeural runs every layer at each time step; in ctnn a dense layer after a recurrent one comes
// after `last` (which the file does not list), and stepping the network is RTNeural's forward.
//
// A file whose layers, sizes or values do not fit the type is refused with a file_error naming the
// layer, the field and both values; the network is left exactly as it was.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>
#include <ctnn/runtime/network.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail::rtneural {

/// One ctnn layer as the file describes it: a parameter-holding layer or an activation.
struct item {
  std::string kind;           ///< "dense", "lstm", "gru", or an activation: "tanh", "relu", ...
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
          fail(at(j, "activation"), "the activation's name (tanh, relu, sigmoid or softmax)",
               l.contains("activation") ? describe(l["activation"]) : "no such field");
        const std::string act = l["activation"].get<std::string>();
        if (!is_activation(act))
          fail(at(j, "activation"), "tanh, relu, sigmoid or softmax", "\"" + act + "\" (not read by ctnn)");
        out.push_back({act, 0, j, &l, "activation"});
        continue;
      }
      if (type != "dense" && type != "time-distributed-dense" && type != "lstm" && type != "gru")
        fail(at(j, "type"), "dense, time-distributed-dense, lstm, gru, activation, tanh, relu, sigmoid or softmax",
             "\"" + type + "\" (not read by ctnn)");
      out.push_back({type == "time-distributed-dense" ? "dense" : type, units_of(l, j), j, &l});
      if (type.find("dense") != std::string::npos && l.contains("activation")) {
        if (!l["activation"].is_string()) fail(at(j, "activation"), "a string", describe(l["activation"]));
        const std::string act = l["activation"].get<std::string>();
        if (!act.empty() && !is_activation(act))
          fail(at(j, "activation"), "\"\", tanh, relu, sigmoid or softmax", "\"" + act + "\"");
        if (!act.empty()) out.push_back({act, 0, j, &l, "activation"});
      }
    }
    return out;
  }

  /// The last value of "in_shape": the input features.
  std::size_t input_features() const {
    if (!doc_.contains("in_shape") || !doc_["in_shape"].is_array() || doc_["in_shape"].empty() ||
        !doc_["in_shape"].back().is_number_unsigned())
      fail("\"in_shape\"", "an array ending in the input features, e.g. [null, null, 1]",
           doc_.contains("in_shape") ? describe(doc_["in_shape"]) : "no such field");
    return doc_["in_shape"].back().get<std::size_t>();
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

private:
  static bool is_activation(const std::string& t) {
    return t == "tanh" || t == "relu" || t == "sigmoid" || t == "softmax";
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
template <class Model, class T>
void read_layers(net<Model, T>& n, const std::string& path, const nlohmann::json& doc) {
  namespace rt = detail::rtneural;
  const rt::reader r(path, doc);
  const auto items = r.items();
  const auto names = Model::layer_names();
  constexpr dims first = Model::layer_output(0);
  if (const std::size_t f = r.input_features(); f != first.extent[first.rank - 1])
    r.fail("\"in_shape\"",
           std::to_string(first.extent[first.rank - 1]) + " input features (the network's " + names[0] + ")",
           std::to_string(f));

  std::vector<double> params;
  params.reserve(Model::param_count);
  std::size_t next = 0;
  for (std::size_t i = 1; i < Model::layer_count; ++i) {
    const std::string& name = names[i];
    if (name == "last") continue; // RTNeural steps every layer; ctnn's `last` is that step's output
    const dims in = Model::layer_input(i), out = Model::layer_output(i);
    const std::size_t in_features = in.extent[in.rank - 1], units = out.extent[out.rank - 1];
    const std::string layer = "layer " + std::to_string(i) + ", " + name;
    if (next == items.size())
      r.fail("\"layers\"", "a layer for the network's " + layer,
             "the end of the " + std::to_string(doc["layers"].size()) + " layers");
    const auto& it = items[next++];
    const std::string kind = name.substr(0, name.find('<'));
    if (kind != it.kind)
      r.fail(rt::reader::at(it.json_layer, it.field), "'" + kind + "' (the network's " + layer + ")",
             "'" + it.kind + "'");
    if (it.units != 0 && it.units != units)
      r.fail(rt::reader::at(it.json_layer, "shape"), std::to_string(units) + " features (the network's " + layer + ")",
             std::to_string(it.units));
    if (kind == "dense") {
      if (in.rank != 1 || in.sequence)
        r.fail(rt::reader::at(it.json_layer), "a dense layer the network can read",
               "the network's " + layer + " on input " + to_string(in));
      const auto k = r.matrix(it, 0, in_features, units, "the input size of the network's " + layer);
      rt::transposed(k, in_features, units, params);
      const auto b = r.matrix(it, 1, units, 0, "the units of the network's " + layer);
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
    }
    // activations hold no parameters: the kind matched
  }
  if (next != items.size())
    r.fail(rt::reader::at(items[next].json_layer),
           "no more layers (the network ends at layer " + std::to_string(Model::layer_count - 1) + ", " + names.back() +
               ")",
           "'" + items[next].kind + "'");
  if (params.size() != Model::param_count)
    r.fail("\"layers\"", std::to_string(Model::param_count) + " parameters (the network's)",
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
