// upsample2d<F>: nearest-neighbour upsampling of feature maps, as PyTorch's
// nn.Upsample(scale_factor=F, mode='nearest'). Lowers to layers::upsample2d_stage
// (include/ctnn/layers/upsample.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/window.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t C, std::size_t H, std::size_t W, std::size_t FH, std::size_t FW>
struct upsample2d_stage;
} // namespace layers

/// upsample2d<F> or upsample2d<FH, FW>: in [C, H, W] -> out [C, H FH, W FW], each value repeated
/// into an FH x FW block. No parameters. The decoder's way up, beside conv_transpose2d.
template <std::size_t FH, std::size_t FW = FH>
struct upsample2d {
  static constexpr layer_role role = layer_role::stage;
  enum error : int { none, zero_factor, expects_rank_3 };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (FH == 0 || FW == 0) return {zero_factor, {}};
    if (in.rank != 3 || in.sequence) return {expects_rank_3, {}};
    return {none, dims{3, {in.extent[0], in.extent[1] * FH, in.extent[2] * FW}}};
  }
  template <int Error, class Index, class Received>
  using diagnosis = std::conditional_t<
      Error == zero_factor, diag::layer_has_zero_size<Index, upsample2d, diag::fix_give_a_factor_of_at_least_1>,
      diag::layer_rejects_input_shape<Index, upsample2d, diag::expects<diag::rank<3>>, diag::receives<Received>,
                                      diag::fix_reshape_to_channels_height_width>>;
  template <class T, class In, class Out, class>
  using stage = layers::upsample2d_stage<T, In::dims.extent[0], In::dims.extent[1], In::dims.extent[2], FH, FW>;
  static std::string name() {
    return FH == FW ? "upsample2d<" + std::to_string(FH) + ">"
                    : "upsample2d<" + std::to_string(FH) + ", " + std::to_string(FW) + ">";
  }
};

} // namespace CTNN_NAMESPACE
