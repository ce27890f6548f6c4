// int8::chain: the int8 stages of a network's narrow plan (runtime/narrow.hpp), run one after the
// other on uint8 codes and quantized from the float network's layers one after the other.
// ctnn::quantize runs a whole network as one chain (its last stage gives float); a composite
// block (int8::block) runs each of its inner networks as one (codes out). Knows its stages only
// by what every int8 stage declares:
//   in_codes, out_codes        the codes a sample reads and writes
//   run(in, out, y)            one sample: codes in, codes out (or floats y: a network's last stage)
//   value_count, export_values(v), import_values(r, where), worst_case_sum(v)
//                              its values (weight files, embedding) and its largest int32 sum
//   reference and quantize     how calibration quantizes it: weighted stages (dense, conv) from
//                              their float layer's view, others from the values alone, composite
//                              blocks from their inner networks' views and values
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/value_reader.hpp>
#include <ctnn/layers/int8/codes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE::layers::int8 {

/// No stage's output codes were observed in training (the inner networks of a block).
struct none_observed {
  template <class K>
  std::optional<affine_range> operator()(K) const noexcept {
    return std::nullopt;
  }
};

template <class Plan>
struct chain {
  using plan = Plan;
  using model = typename Plan::model;
  using stages_type = typename Plan::stages;
  static constexpr std::size_t count = std::tuple_size_v<stages_type>;
  static constexpr std::size_t in_size = model::input_shape::size, out_size = model::output_shape::size;
  /// Each stage's values, one stage after the other.
  static constexpr std::size_t value_count = []<std::size_t... K>(std::index_sequence<K...>) {
    return (std::size_t{0} + ... + std::tuple_element_t<K, stages_type>::value_count);
  }
  (std::make_index_sequence<count>{});

private:
  template <std::size_t K = 0>
  static constexpr std::size_t widest() {
    if constexpr (K == count)
      return in_size + 64;
    else {
      using S = std::tuple_element_t<K, stages_type>;
      return std::max({widest<K + 1>(), S::in_codes + 64, S::out_codes + 64});
    }
  }

public:
  /// The bytes of a buffer of run(): the widest codes of a stage and the slack its kernels read
  /// past them (up to 64), in whole cache lines.
  static constexpr std::size_t width = (widest() + 63) / 64 * 64;

  stages_type stages;

  /// One sample: runs the stages on the codes at `in`, taking turns between buffers a and b
  /// (width bytes each); a network's last stage writes its floats to y. Returns where the last
  /// codes are (`in` itself for a chain without stages).
  const std::uint8_t* run(const std::uint8_t* in, std::uint8_t* a, std::uint8_t* b, float* y) const noexcept {
    if constexpr (count == 0)
      return in;
    else
      return run_from<0>(in, a, b, y);
  }

  /// Rows samples at once (codes every `codes` bytes in `in`, a and b; floats every `outputs`
  /// in y): a stage with run_rows shares its weight loads among them, the others take them one
  /// by one. Equal to Rows calls of run, bit for bit.
  template <std::size_t Rows>
  void run_rows(const std::uint8_t* in, std::uint8_t* a, std::uint8_t* b, float* y, std::size_t codes,
                std::size_t outputs) const noexcept {
    if constexpr (count > 0) run_rows_from<Rows, 0>(in, a, b, y, codes, outputs);
  }

  /// Quantizes the stages from the float network's layers. view_at(std::integral_constant<I>)
  /// gives layer I's view (I: its index in the plan's model); `act` holds `count` rows of the
  /// chain's inputs in double, coded by `in`, and is left holding its outputs. Each stage's output
  /// codes are observed(std::integral_constant<K>) (codes fake_quantize observed in training) or
  /// else calibrate(values) (the range of its float outputs). Errors name `where` and the layer.
  /// Returns the codes of the outputs (a last stage's: its input's).
  template <class ViewAt, class Calibrate, class Observed = none_observed>
  affine_range quantize(ViewAt&& view_at, std::vector<double>& act, std::size_t rows, affine_range in,
                        Calibrate&& calibrate, const std::string& where, Observed&& observed = {}) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            auto& s = std::get<K>(stages);
            using S = std::remove_cvref_t<decltype(s)>;
            constexpr std::size_t layer = Plan::index(K);
            constexpr std::size_t in_w = model::layer_input(layer).size(), out_w = model::layer_output(layer).size();
            const std::string at = where + "layer " + std::to_string(layer);
            std::vector<double> next(rows * out_w); // the float layer's outputs, in double
            const auto out_range = [&] {
              if (const auto seen = observed(std::integral_constant<std::size_t, K>{})) return *seen;
              return calibrate(next);
            };
            if constexpr (requires { S::composite; }) {
              next = act;
              in = s.quantize(view_at(std::integral_constant<std::size_t, layer>{}), next, rows, in, calibrate,
                              out_range, at);
            } else if constexpr (S::weighted) {
              const auto view = view_at(std::integral_constant<std::size_t, layer>{});
              for (std::size_t r = 0; r < rows; ++r) S::reference(view, &act[r * in_w], &next[r * out_w]);
              in = s.quantize(view, in, out_range, at);
            } else {
              for (std::size_t r = 0; r < rows; ++r) S::reference(&act[r * in_w], &next[r * out_w]);
              in = s.quantize(in, out_range);
            }
            act = std::move(next);
          }(),
          ...);
    }
    (std::make_index_sequence<count>{});
    return in;
  }

  /// Calls f(std::type_identity<S>{}, view) for each stage S with weights, in this chain and in
  /// the blocks inside it, with its float layer's view (quantization-aware training).
  template <class ViewAt, class F>
  static void for_each_weighted(ViewAt&& view_at, F&& f) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            using S = std::tuple_element_t<K, stages_type>;
            constexpr std::size_t layer = Plan::index(K);
            if constexpr (requires { S::composite; }) {
              S::for_each_weighted(view_at(std::integral_constant<std::size_t, layer>{}), f);
            } else if constexpr (S::weighted) {
              auto view = view_at(std::integral_constant<std::size_t, layer>{});
              f(std::type_identity<S>{}, view);
            }
          }(),
          ...);
    }
    (std::make_index_sequence<count>{});
  }

  void export_values(std::vector<double>& v) const {
    std::apply([&](const auto&... s) { (s.export_values(v), ...); }, stages);
  }
  /// Reads export_values' order (each stage checks its values); errors name `where` and the layer.
  void import_values(value_reader& r, const std::string& where) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (std::get<K>(stages).import_values(r, where + "layer " + std::to_string(Plan::index(K))), ...);
    }
    (std::make_index_sequence<count>{});
  }
  /// The largest worst-case int32 sum of a stage (from stage K on), from values in
  /// export_values' order. (Recursive, not a lambda over the stages: Clang 14 crashes
  /// instantiating such a lambda inside make_embedded's constant expression.)
  template <std::size_t K = 0>
  static constexpr std::int64_t worst_case_sum(const double* v) noexcept {
    if constexpr (K == count) {
      return 0;
    } else {
      using S = std::tuple_element_t<K, stages_type>;
      const std::int64_t here = S::worst_case_sum(v), rest = worst_case_sum<K + 1>(v + S::value_count);
      return here > rest ? here : rest;
    }
  }

private:
  // stage K reads `in` and writes `out`; the next reads `out` and writes `spare`
  template <std::size_t K>
  const std::uint8_t* run_from(const std::uint8_t* in, std::uint8_t* out, std::uint8_t* spare,
                               float* y) const noexcept {
    std::get<K>(stages).run(in, out, y);
    if constexpr (K + 1 < count)
      return run_from<K + 1>(out, spare, out, y);
    else
      return out;
  }
  template <std::size_t Rows, std::size_t K>
  void run_rows_from(const std::uint8_t* in, std::uint8_t* out, std::uint8_t* spare, float* y, std::size_t codes,
                     std::size_t outputs) const noexcept {
    const auto& s = std::get<K>(stages);
    if constexpr (requires { s.template run_rows<Rows>(in, out, y, codes, outputs); })
      s.template run_rows<Rows>(in, out, y, codes, outputs);
    else
      for (std::size_t r = 0; r < Rows; ++r) s.run(in + r * codes, out + r * codes, y + r * outputs);
    if constexpr (K + 1 < count) run_rows_from<Rows, K + 1>(out, spare, out, y, codes, outputs);
  }
};

} // namespace CTNN_NAMESPACE::layers::int8
