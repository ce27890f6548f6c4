// quantize_sparse<MaxActive>(net): the integer network of a float network over sparse binary
// features, Stockfish's NNUE scheme: an int16 first layer updated incrementally from the features
// that changed, clipped ReLUs as uint8 codes, int8 layers after it. The float network is trained
// as usual, its first layer a dense layer over the 0/1 feature vector:
//
//   using model = ctnn::network<ctnn::input<ctnn::shape<768>>,                   // 0/1 features
//                               ctnn::dense<64>, ctnn::hardtanh_range<0, 1>,    // the sparse layer
//                               ctnn::dense<32>, ctnn::hardtanh_range<0, 1>,    // any number of these
//                               ctnn::dense<1>>;
//   auto q = ctnn::quantize_sparse<32>(net);   // at most 32 features active at once
//   auto s = q.make_state();
//   q.refresh(s, active);                       // from the active features' indices
//   q.update(s, removed, added);                // from what changed: equal to a refresh, bit for bit
//   auto y = q.evaluate(s);                     // std::array<float, outputs>
//
// The scheme (no calibration: clipped ReLUs bound every activation to [0, 1]):
//   first layer    int16 accumulator, weights and bias x 127 rounded (1.0 is 127); its clipped
//                  ReLU clamps the accumulator to 0..127 (uint8 codes)
//   dense layers   int8 weights x 64 rounded and clamped to -127..127 (float weights outside
//                  +-127/64 are clipped: train_options::quantization_aware keeps them inside),
//                  int32 biases x 127 x 64; the clipped ReLU is clamp(sum >> 6, 0, 127)
//   last layer     y = sum / (127 x 64), float
// The accumulator's int16 values are proved at quantize time for any MaxActive features, and every
// int8 layer's int32 sums for any input (bound_error otherwise, naming the layer). Saved and loaded
// like float networks (ctnn::save / ctnn::load of <ctnn/io/weights.hpp>), the fingerprint naming
// the scheme and MaxActive.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/bound_error.hpp>
#include <ctnn/core/value_reader.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/layers/activation.hpp>
#include <ctnn/dsl/layers/dense.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/layers/sparse_accumulator.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {
namespace detail::sparse {

template <class L>
inline constexpr bool is_dense = false;
template <std::size_t U>
inline constexpr bool is_dense<dense<U>> = true;
template <class L>
inline constexpr bool is_clip = std::is_same_v<L, hardtanh_range<0, 1>>;

/// The layers of a network quantize_sparse takes: input, dense<64 n>, clip, (dense, clip)*, dense.
template <class Model>
struct plan {
  static constexpr std::size_t layers = Model::layer_count;
  template <std::size_t I>
  static constexpr bool fits() {
    using L = typename Model::template layer<I>;
    if constexpr (I + 1 == layers || I % 2 == 1)
      return is_dense<L>;
    else
      return is_clip<L>;
  }
  /// The first layer that does not fit the pattern (0: none).
  static constexpr std::size_t first_unsupported = [] {
    std::size_t bad = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) { ((bad = bad == 0 && !fits<I + 1>() ? I + 1 : bad), ...); }
    (std::make_index_sequence<layers - 1>{});
    if (bad == 0 && (layers < 4 || layers % 2 != 0)) bad = layers - 1;
    if (bad == 0 && (Model::layer_input(2).size() % 64 != 0 || Model::layer_input(1).sequence)) bad = 1;
    return bad;
  }();
  static constexpr std::size_t features = Model::input_shape::size;
  static constexpr std::size_t dims = first_unsupported == 0 ? Model::layer_input(2).size() : 64;
  /// The int8 layers after the first: the dense layers at indices 3, 5, ..., layers - 1.
  static constexpr std::size_t count = first_unsupported == 0 ? (layers - 2) / 2 : 0;
  static constexpr std::size_t index(std::size_t k) { return 3 + 2 * k; }
  static constexpr std::size_t width(std::size_t i) {
    return i + 1 < layers ? Model::layer_input(i + 1).size() : Model::output_shape::size;
  }
  template <std::size_t K>
  using int8_layer = int8_dense<Model::layer_input(index(K)).size(), width(index(K)), 127>;
  template <std::size_t... K>
  static auto layers_of(std::index_sequence<K...>) -> std::tuple<int8_layer<K>...>;
  using layers_type = decltype(layers_of(std::make_index_sequence<count>{}));
};

} // namespace detail::sparse

/// The integer network of a float network over sparse binary features (quantize_sparse).
template <class Model, std::size_t MaxActive>
class sparse_quantized {
  using plan = detail::sparse::plan<Model>;

public:
  static constexpr std::size_t features = plan::features, dims = plan::dims;
  static constexpr std::size_t output_size = Model::output_shape::size;
  static constexpr std::size_t max_active = MaxActive;
  /// 1.0 of an activation, and the weight scale's shift (1.0 of an int8 weight is 2^6).
  static constexpr int one = 127, weight_shift = 6;
  using accumulator_type = sparse_accumulator<features, dims, 0, MaxActive>;
  using state = typename accumulator_type::state;
  using layers_type = typename plan::layers_type;

  sparse_quantized() : first_(std::make_unique<accumulator_type>()), rest_(std::make_unique<layers_type>()) {}
  sparse_quantized(const sparse_quantized& o)
      : first_(std::make_unique<accumulator_type>(*o.first_)), rest_(std::make_unique<layers_type>(*o.rest_)) {}
  sparse_quantized& operator=(const sparse_quantized& o) {
    *first_ = *o.first_;
    *rest_ = *o.rest_;
    return *this;
  }
  sparse_quantized(sparse_quantized&&) noexcept = default;
  sparse_quantized& operator=(sparse_quantized&&) noexcept = default;

  state make_state() const { return first_->make_state(); }
  /// The accumulator of the active features (at most MaxActive, each below `features`).
  void refresh(state& s, std::span<const std::uint32_t> active) const noexcept { first_->refresh(s, active); }
  /// s updated in place from the features that went inactive and those that became active.
  void update(state& s, std::span<const std::uint32_t> removed, std::span<const std::uint32_t> added) const noexcept {
    first_->update(s, removed, added);
  }
  /// `to` = `from` updated (a search keeps one state per ply).
  void update(const state& from, state& to, std::span<const std::uint32_t> removed,
              std::span<const std::uint32_t> added) const noexcept {
    first_->update(from, to, removed, added);
  }

  /// The outputs from an accumulator: clipped ReLU, the int8 layers, floats out.
  std::array<float, output_size> evaluate(const state& s) const noexcept {
    alignas(64) std::uint8_t codes[widest + 64]{};
    for (std::size_t j = 0; j < dims; ++j) codes[j] = static_cast<std::uint8_t>(std::clamp<int>(s.values[j], 0, one));
    std::array<float, output_size> y{};
    if constexpr (plan::count > 0) run<0>(codes, y); // 0: quantize_sparse has named the layer that does not fit
    return y;
  }
  /// refresh and evaluate in one call.
  std::array<float, output_size> operator()(std::span<const std::uint32_t> active) const noexcept {
    auto s = make_state();
    refresh(s, active);
    return evaluate(s);
  }

  // ---- weight files: ctnn::save(q, path) and ctnn::load(q, path) (ctnn/io/weights.hpp) ----
  // The values as doubles (every int16, int8 and int32 value is exact in one), in PyTorch's order:
  // the sparse layer's weights [dims][features] and biases, then each int8 layer's weights
  // [out][in] and biases.

  using value_type = double;
  /// Line 0: the integer types, the scheme and MaxActive (its bounds were proved for it); then the
  /// float network's layers.
  static std::vector<std::string> fingerprint() {
    auto lines = net<Model, float>::fingerprint();
    lines[0] = "sparse int16 accumulator x127 over at most " + std::to_string(MaxActive) +
               " active features, int8 weights x64, int32 sums, clipped ReLU as clamp(sum >> 6, 0, 127)";
    return lines;
  }
  static constexpr std::size_t value_count = [] {
    std::size_t n = features * dims + dims;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((n += std::tuple_element_t<K, layers_type>::in_size * std::tuple_element_t<K, layers_type>::out_size +
             std::tuple_element_t<K, layers_type>::out_size),
       ...);
    }
    (std::make_index_sequence<plan::count>{});
    return n;
  }();
  static constexpr std::size_t param_count = value_count;

  std::vector<double> export_parameters() const {
    std::vector<double> v;
    v.reserve(value_count);
    for (std::size_t j = 0; j < dims; ++j)
      for (std::uint32_t f = 0; f < features; ++f) v.push_back(first_->row(f)[j]);
    for (std::size_t j = 0; j < dims; ++j) v.push_back(first_->biases()[j]);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            const auto& l = std::get<K>(*rest_);
            using L = std::remove_cvref_t<decltype(l)>;
            for (std::size_t o = 0; o < L::out_size; ++o)
              for (std::size_t i = 0; i < L::in_size; ++i) v.push_back(l.weight(o, i));
            for (std::size_t o = 0; o < L::out_size; ++o) v.push_back(l.bias(o));
          }(),
          ...);
    }
    (std::make_index_sequence<plan::count>{});
    return v;
  }

  /// Sets every value from export_parameters' order. Checks each (integers in their type's range;
  /// the accumulator and the sums proved not to overflow) and throws std::invalid_argument naming
  /// the first that is not; the network is then unchanged.
  void import_parameters(std::span<const double> v) {
    if (v.size() != value_count)
      throw std::invalid_argument("sparse quantized network: expected " + std::to_string(value_count) +
                                  " values, found " + std::to_string(v.size()));
    value_reader r(v, "sparse quantized network");
    sparse_quantized next;
    try {
      std::vector<std::int16_t> weights(features * dims), biases(dims);
      for (std::size_t j = 0; j < dims; ++j)
        for (std::size_t f = 0; f < features; ++f)
          weights[f * dims + j] = static_cast<std::int16_t>(r.integer(-32768, 32767, "an int16 weight"));
      for (auto& b : biases) b = static_cast<std::int16_t>(r.integer(-32768, 32767, "an int16 bias"));
      next.first_->set(biases, weights, {}, "sparse quantized network, layer 1");
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (
            [&] {
              using L = std::tuple_element_t<K, layers_type>;
              std::vector<std::int8_t> w(L::in_size * L::out_size);
              std::vector<std::int32_t> b(L::out_size);
              for (auto& x : w) x = static_cast<std::int8_t>(r.integer(-128, 127, "an int8 weight"));
              for (auto& x : b) x = static_cast<std::int32_t>(r.integer(-2147483648.0, 2147483647.0, "an int32 bias"));
              std::get<K>(*next.rest_).set(w, b, "sparse quantized network, layer " + std::to_string(plan::index(K)));
            }(),
            ...);
      }
      (std::make_index_sequence<plan::count>{});
    } catch (const bound_error& e) {
      throw std::invalid_argument(e.what());
    }
    *this = std::move(next);
  }

  accumulator_type& accumulator() noexcept { return *first_; }
  const accumulator_type& accumulator() const noexcept { return *first_; }
  /// The K-th int8 layer after the accumulator.
  template <std::size_t K>
  auto& layer() noexcept {
    return std::get<K>(*rest_);
  }
  template <std::size_t K>
  const auto& layer() const noexcept {
    return std::get<K>(*rest_);
  }

private:
  template <std::size_t K = 0>
  static constexpr std::size_t widest_of() {
    if constexpr (K == plan::count)
      return dims;
    else {
      using L = std::tuple_element_t<K, layers_type>;
      return std::max({widest_of<K + 1>(), L::in_padded, L::out_padded});
    }
  }
  static constexpr std::size_t widest = widest_of();

  template <std::size_t K>
  void run(std::uint8_t* codes, std::array<float, output_size>& y) const noexcept {
    using L = std::tuple_element_t<K, layers_type>;
    alignas(64) std::int32_t sums[L::out_padded];
    std::get<K>(*rest_).forward(codes, sums);
    if constexpr (K + 1 == plan::count) {
      for (std::size_t o = 0; o < output_size; ++o) y[o] = static_cast<float>(sums[o]) / float(one << weight_shift);
    } else {
      kernels::clipped_relu<L::out_size, weight_shift>(sums, codes);
      run<K + 1>(codes, y);
    }
  }

  std::unique_ptr<accumulator_type> first_; // large: on the heap
  std::unique_ptr<layers_type> rest_;
};

/// The integer network of `n`, a float network over sparse binary features (see the top of this
/// file), at most MaxActive of them active at once. Throws bound_error naming the layer when
/// weights are too large for int16 accumulators over MaxActive features or for int32 sums.
template <std::size_t MaxActive, class Model>
sparse_quantized<Model, MaxActive> quantize_sparse(const net<Model, float>& n) {
  using plan = detail::sparse::plan<Model>;
  if constexpr (plan::first_unsupported != 0) {
    constexpr std::size_t bad = plan::first_unsupported;
    static_assert(diag::layer_has_no_integer_form<
                      diag::layer_index<bad>, typename Model::template layer<bad>,
                      diag::fix_quantize_sparse_dense_64n_then_dense_and_hardtanh_range_0_1_pairs_then_dense>::ok,
                  "ctnn::quantize_sparse: this layer does not fit the sparse scheme; the failed condition names it");
    return {};
  } else {
    using result = sparse_quantized<Model, MaxActive>;
    constexpr std::size_t features = plan::features, dims = plan::dims;
    auto& net_ = const_cast<net<Model, float>&>(n); // layer<I>() views are only read here
    result q;
    {
      const auto view = net_.template layer<1>();
      std::vector<std::int16_t> biases(dims), weights(features * dims);
      // the name of the value is built only when it does not fit (f: none for a bias)
      constexpr std::size_t bias = features;
      const auto to_int16 = [](double v, std::size_t j, std::size_t f) {
        const double r = std::nearbyint(v * result::one);
        if (std::abs(r) > 32767)
          throw bound_error(
              "layer 1 (the sparse layer), " +
                  (f == bias ? "bias " + std::to_string(j) : "weight " + std::to_string(j) + ", " + std::to_string(f)),
              "weights and biases of magnitude at most 32767 / 127 = 258", static_cast<std::int64_t>(r));
        return static_cast<std::int16_t>(r);
      };
      for (std::size_t j = 0; j < dims; ++j) {
        biases[j] = to_int16(view.bias(j), j, bias);
        for (std::size_t f = 0; f < features; ++f) weights[f * dims + j] = to_int16(view.weight(j, f), j, f);
      }
      q.accumulator().set(biases, weights, {}, "layer 1 (the sparse layer)");
    }
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            constexpr std::size_t index = plan::index(K);
            using L = std::tuple_element_t<K, typename result::layers_type>;
            const auto view = net_.template layer<index>();
            std::vector<std::int8_t> w(L::in_size * L::out_size);
            std::vector<std::int32_t> b(L::out_size);
            for (std::size_t o = 0; o < L::out_size; ++o) {
              for (std::size_t i = 0; i < L::in_size; ++i)
                w[o * L::in_size + i] = static_cast<std::int8_t>(
                    std::clamp(std::nearbyint(double(view.weight(o, i)) * (1 << result::weight_shift)), -127.0, 127.0));
              b[o] = static_cast<std::int32_t>(
                  std::clamp(std::llround(double(view.bias(o)) * result::one * (1 << result::weight_shift)),
                             -(1ll << 30), 1ll << 30));
            }
            q.template layer<K>().set(w, b, "layer " + std::to_string(index) + " (dense)");
          }(),
          ...);
    }
    (std::make_index_sequence<plan::count>{});
    return q;
  }
}

} // namespace CTNN_NAMESPACE
