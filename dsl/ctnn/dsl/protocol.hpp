// The layer protocol of the front end: what a layer descriptor declares so that network<...>
// can check, diagnose and lower it without knowing its kind. ctnn's own layers (dsl/layers/)
// and users' layers follow it alike; network.hpp and lower.hpp name no layer kind.
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/diag.hpp>

#include <concepts>
#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {

/// The narrow forms and what composite blocks ask of them (defined in runtime/narrow.hpp).
namespace detail::narrow {
struct int8_form;
struct bf16_form;
template <class Net, class Form>
struct inner_chain;
template <class Form, class Merge, class Views, std::size_t InSize, std::size_t OutSize, bool Clamp, bool Last,
          class... Chains>
struct block_of;
} // namespace detail::narrow

/// The result of a layer's shape rule: the output dims, or the layer's own failure code
/// (0 means none; the descriptor turns its codes into diagnostics, see LayerDescriptor).
struct layer_shape {
  int error = 0;
  dims out{};
};

/// How a layer takes part in the stage plan. This is the whole vocabulary the planner knows.
enum class layer_role {
  input,      ///< input<>: layer 0; no stage
  view,       ///< flatten, reshape: the same data seen with another shape; no stage, no copy
  activation, ///< fused into the stage right before it when that stage accepts it, else a stage
  stage,      ///< a stage of its own (dense, conv, pool, residual, users' layers, ...)
};

/// Which activations a stage takes into its kernels (applied in registers, no extra pass).
enum class fusion {
  none,
  elementwise, ///< relu, tanh, gelu, ... (not softmax)
  any,         ///< elementwise ones and row-wise ones (softmax)
};

/// How a layer takes part in the networks of narrow numbers that a float network is deployed as
/// (ctnn::quantize: int8; ctnn::to_bf16: bf16). The planner of those forms knows only this.
enum class narrow_role {
  none,     ///< no narrow form (the default; a view is an identity): quantize and to_bf16 name it
  stage,    ///< computes: the descriptor names its stage for each form it has (int8_stage, bf16_stage)
  clamp,    ///< max(x, 0) (relu): the lower bound of the outputs of the stage before it
  identity, ///< nothing at inference (dropout): left out
  observe,  ///< left out, and its view's codes() give the codes of the activations there
            ///< (fake_quantize, after quantization-aware training): quantize adopts them in place
            ///< of the ranges it calibrates (nullopt: nothing observed, calibrate)
};

/// LayerDescriptor: a type that may appear in network<...>. It declares
///   role                       layer_role (see above)
///   infer(dims in)             its shape rule: a constexpr function returning layer_shape
///   name()                     the layer as written, e.g. "dense<64>" (fingerprints, summaries)
/// and, as its role needs:
///   template <int Error, class Index, class Received> using diagnosis
///                              the diag:: type for each failure code infer returns (Received:
///                              the shape<...> it received); without it a failure is reported as
///                              diag::layer_rejects_input<Index, Layer, receives<...>, error_code<E>>
///   template <class T, class In, class Out, class Fused> using stage
///                              the back-end stage (layers/stage.hpp) for scalar type T, input and
///                              output shape<...>s and the kernel of the activation fused into it
///                              (kernels::identity_fn if none); roles stage and activation
///   accepts                    fusion: the activations its stage takes (role stage; default none)
///   elementwise                whether it acts on each element alone (role activation; default true)
///   kernel                     its kernel function object (role activation: fused into a stage)
///   param_count(dims in)       trainable parameters as PyTorch counts them (default 0)
///   buffer_count(dims in)      values beside them that training updates without gradients and
///                              weight files keep (PyTorch's buffers: batch_norm's running
///                              statistics; default 0)
///   absorbs_channel_scale      true if its parameters (PyTorch's order) are a weight with one
///                              row per output channel, then one bias per channel (dense, conv):
///                              a batch_norm right after it folds into it (fold_batch_norm)
///   folds_into<Previous>, fold_diagnosis<Where, Previous>, fold_into(own, count, w, n)
///                              for a layer that fold_batch_norm removes by folding its values
///                              into the layer before it (batch_norm): whether it can fold into
///                              Previous, the one diagnostic when it cannot, and the folding of its
///                              `count` values into the previous layer's n values at w
///   macs(dims in)              multiply-adds of one sample's forward pass (default 0: layers
///                              without weights; summaries and network<...>::macs)
/// and, for the narrow forms a float network is deployed as (runtime/narrow.hpp):
///   narrow                     narrow_role (default: identity for a view, none otherwise)
///   template <class In, class Out, bool Clamp, bool Last> using int8_stage
///   template <class In, class Out, bool Clamp, bool Last> using bf16_stage
///                              its stage in that form (layers/int8/, layers/bf16/), for input and
///                              output shape<...>s, whether a clamp at 0 follows it and whether it
///                              is the network's last stage (float outputs); none: no such form
/// and, for composite blocks (residual<...>, parallel<...>), so that type rewrites and every
/// capability reach the layers inside them:
///   template <class In> using inner_networks
///                              detail::type_list<network<input<In>, ...>...>: the inner layers
///                              as networks over the block's input shape In (one for residual,
///                              one per branch for parallel); their values (export order) come
///                              first in the block's, one network after the other, and its stage
///                              carries their stage capabilities (layers/stage.hpp)
///   template <class... Networks> using with_inner
///                              the same block over other inner networks (as many)
///   template <class Form, class In, class Out, bool Clamp, bool Last> using narrow_block
///                              a composite block's stage in a narrow form: each inner network as
///                              the form's chain of stages (detail::narrow::inner_chain), merged
///                              by the form's block (detail::narrow::block_of); its int8_stage and
///                              bf16_stage are this alias for the two forms
/// A layer that folds into the layer before it at deployment (dsl/rewrite.hpp, runtime/fold.hpp).
template <class L>
concept folding_layer = requires(const float* own, float* w, std::size_t n) {
  L::fold_into(own, n, w, n);
};
/// A composite block (residual<...>, parallel<...>): its inner layers are networks of their own.
template <class L>
concept composite_layer = requires {
  typename L::template inner_networks<shape<1>>;
};

template <class L>
concept LayerDescriptor = requires(const dims& d) {
  { L::role } -> std::convertible_to<layer_role>;
  { L::infer(d) } -> std::same_as<layer_shape>;
  { L::name() } -> std::convertible_to<std::string>;
};

namespace detail {

template <class L>
constexpr fusion accepts_of() noexcept {
  if constexpr (requires { L::accepts; })
    return L::accepts;
  else
    return fusion::none;
}
/// Whether no layer may follow L (heads<...>: the network's outputs).
template <class L>
constexpr bool ends_the_network_of() noexcept {
  if constexpr (requires { L::ends_the_network; })
    return L::ends_the_network;
  else
    return false;
}
template <class L>
constexpr bool elementwise_of() noexcept {
  if constexpr (requires { L::elementwise; })
    return L::elementwise;
  else
    return true;
}
template <class L>
constexpr std::size_t param_count_of(const dims& in) noexcept {
  if constexpr (requires { L::param_count(in); })
    return L::param_count(in);
  else
    return 0;
}

template <class L>
constexpr std::size_t buffer_count_of(const dims& in) noexcept {
  if constexpr (requires { L::buffer_count(in); })
    return L::buffer_count(in);
  else
    return 0;
}
template <class L>
constexpr bool absorbs_channel_scale() noexcept {
  if constexpr (requires { L::absorbs_channel_scale; })
    return L::absorbs_channel_scale;
  else
    return false;
}

template <class L>
constexpr std::size_t macs_of(const dims& in) noexcept {
  if constexpr (requires { L::macs(in); })
    return L::macs(in);
  else
    return 0;
}

template <class L>
constexpr narrow_role narrow_role_of() noexcept {
  if constexpr (requires { L::narrow; })
    return L::narrow;
  else
    return L::role == layer_role::view ? narrow_role::identity : narrow_role::none;
}

/// The diagnostic of layer L's failure code E at Index, having received shape R.
template <class L, int E, class Index, class R>
constexpr auto diagnosis_of() noexcept {
  if constexpr (requires { typename L::template diagnosis<E, Index, R>; })
    return std::type_identity<typename L::template diagnosis<E, Index, R>>{};
  else
    return std::type_identity<diag::layer_rejects_input<Index, L, diag::receives<R>, diag::error_code<E>>>{};
}

} // namespace detail
} // namespace CTNN_NAMESPACE
