// bf16::chain: the bf16 stages of a network's narrow plan (runtime/narrow.hpp), run one after the
// other on one buffer of bf16 codes, and set from the float network's layers. ctnn::to_bf16 runs
// a whole network as one chain (its last stage gives float); a composite block (bf16::block) runs
// each of its inner networks as one (codes out). Every bf16 stage declares:
//   width                      the codes it reads and writes in the buffer
//   set(view)                  its values from its float layer's view (a block's: its inner views)
//   run(codes, y)              one sample, in place: codes in, codes out (or floats y if last)
//   run_rows<Rows>(...)        optionally, several samples sharing each weight load
#pragma once

#include <ctnn/core/config.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE::layers::bf16 {

template <class Plan>
struct chain {
  using plan = Plan;
  using model = typename Plan::model;
  using stages_type = typename Plan::stages;
  static constexpr std::size_t count = std::tuple_size_v<stages_type>;
  static constexpr std::size_t in_size = model::input_shape::size, out_size = model::output_shape::size;
  /// The codes of a sample's buffer: the widest stage's, and the input's with an even padding.
  static constexpr std::size_t width = []<std::size_t... K>(std::index_sequence<K...>) {
    return std::max({in_size + 2, out_size + 2, std::tuple_element_t<K, stages_type>::width...});
  }
  (std::make_index_sequence<count>{});

  stages_type stages;

  /// Sets every stage from the float network's layers: view_at(std::integral_constant<I>) gives
  /// layer I's view (I: its index in the plan's model).
  template <class ViewAt>
  void set(ViewAt&& view_at) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (std::get<K>(stages).set(view_at(std::integral_constant<std::size_t, Plan::index(K)>{})), ...);
    }
    (std::make_index_sequence<count>{});
  }

  /// One sample, in place: the stages one after the other on `codes` (width codes); a network's
  /// last stage writes its floats to y.
  void run(std::uint16_t* codes, float* y) const noexcept {
    std::apply([&](const auto&... s) { (s.run(codes, y), ...); }, stages);
  }
  /// Rows samples at once (codes every `stride`, floats every `outputs`): a stage with run_rows
  /// shares each weight load among them, the others take them one by one. Equal to Rows calls of
  /// run, bit for bit.
  template <std::size_t Rows>
  void run_rows(std::uint16_t* codes, std::size_t stride, float* y, std::size_t outputs) const noexcept {
    std::apply(
        [&](const auto&... s) {
          (
              [&] {
                if constexpr (requires { s.template run_rows<Rows>(codes, stride, y, outputs); })
                  s.template run_rows<Rows>(codes, stride, y, outputs);
                else
                  for (std::size_t r = 0; r < Rows; ++r) s.run(codes + r * stride, y + r * outputs);
              }(),
              ...);
        },
        stages);
  }
};

} // namespace CTNN_NAMESPACE::layers::bf16
