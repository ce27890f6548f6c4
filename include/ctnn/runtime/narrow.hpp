// The plan of a network's narrow form (ctnn::quantize: int8; ctnn::to_bf16: bf16), from what each
// layer declares (dsl/protocol.hpp: narrow, int8_stage, bf16_stage): its stages, the clamp at 0
// that follows each, the layers that observed the codes of a stage's outputs, and the first layer
// without a form. It names no layer kind: a layer gets a narrow form in its own descriptor and
// stage files (layers/int8/, layers/bf16/). Composite blocks (residual<...>, parallel<...>) get
// theirs from the plans of their inner networks (inner_chain: codes out, not float).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/protocol.hpp>
#include <ctnn/dsl/type_list.hpp>
#include <ctnn/layers/bf16/block.hpp>
#include <ctnn/layers/bf16/chain.hpp>
#include <ctnn/layers/int8/block.hpp>
#include <ctnn/layers/int8/chain.hpp>

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

namespace CTNN_NAMESPACE::detail::narrow {

/// The int8 form: each layer's int8_stage. A composite block's (its descriptor's narrow_block)
/// runs each inner network as a layers::int8::chain of its plan's stages, merged by an int8::block.
struct int8_form {
  template <class L, class In, class Out, bool Clamp, bool Last>
  using stage = typename L::template int8_stage<In, Out, Clamp, Last>;
  template <class Plan>
  using chain = layers::int8::chain<Plan>;
  template <class Merge, class Views, std::size_t InSize, std::size_t OutSize, bool Clamp, bool Last, class... Chains>
  using block = layers::int8::block<Merge, Views, InSize, OutSize, Clamp, Last, Chains...>;
};
/// The bf16 form: each layer's bf16_stage; blocks as in int8 (layers/bf16/).
struct bf16_form {
  template <class L, class In, class Out, bool Clamp, bool Last>
  using stage = typename L::template bf16_stage<In, Out, Clamp, Last>;
  template <class Plan>
  using chain = layers::bf16::chain<Plan>;
  template <class Merge, class Views, std::size_t InSize, std::size_t OutSize, bool Clamp, bool Last, class... Chains>
  using block = layers::bf16::block<Merge, Views, InSize, OutSize, Clamp, Last, Chains...>;
};
/// The stage of a composite block in Form (its descriptor's narrow_block).
template <class Form, class Merge, class Views, std::size_t InSize, std::size_t OutSize, bool Clamp, bool Last,
          class... Chains>
struct block_of {
  using type = typename Form::template block<Merge, Views, InSize, OutSize, Clamp, Last, Chains...>;
};
/// Whether layer L, between shapes In and Out, has a stage in Form.
template <class Form, class L, class In, class Out>
inline constexpr bool has_stage = requires {
  typename Form::template stage<L, In, Out, false, false>;
};

/// Whether stage S gives its input's codes unchanged (a max pool): the codes a layer observes
/// after it are those of its input.
template <class S>
constexpr bool keeps_codes() noexcept {
  if constexpr (requires { S::keeps_codes; })
    return S::keeps_codes;
  else
    return false;
}

template <class S>
constexpr bool can_end() noexcept {
  if constexpr (requires { S::can_end; })
    return S::can_end;
  else
    return true;
}

/// The narrow plan of a valid network<...> Model in Form. FloatOut: the last stage gives float
/// (a network's outputs); false for the inner networks of composite blocks (codes).
template <class Model, class Form, bool FloatOut = true>
struct plan {
  using model = Model;
  static constexpr std::size_t layers = Model::layer_count;
  template <std::size_t I>
  using in_shape = typename Model::template input_of<I>;
  template <std::size_t I>
  using out_shape = CTNN_SHAPE_OF(Model::layer_output(I));

  template <std::size_t I>
  static constexpr narrow_role role_at() noexcept {
    using L = typename Model::template layer<I>;
    constexpr narrow_role r = narrow_role_of<L>();
    if constexpr (r == narrow_role::stage && !has_stage<Form, L, in_shape<I>, out_shape<I>>)
      return narrow_role::none; // a stage in other forms only
    else
      return r;
  }
  static constexpr auto roles = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<narrow_role, layers>{narrow_role::identity, role_at<I + 1>()...};
  }
  (std::make_index_sequence<layers - 1>{});

  static constexpr std::size_t count = [] {
    std::size_t n = 0;
    for (std::size_t i = 1; i < layers; ++i) n += roles[i] == narrow_role::stage;
    return n;
  }();
  /// Layer index of the k-th stage.
  static constexpr std::size_t index(std::size_t k) {
    for (std::size_t i = 1; i < layers; ++i)
      if (roles[i] == narrow_role::stage && k-- == 0) return i;
    return 0;
  }
  /// Whether a clamp at 0 comes after the k-th stage (before the next one).
  static constexpr bool clamp_after(std::size_t k) {
    for (std::size_t i = index(k) + 1; i < layers && roles[i] != narrow_role::stage; ++i)
      if (roles[i] == narrow_role::clamp) return true;
    return false;
  }

  /// Layers without a form, over a sequence, or a clamp before any stage; a network without a
  /// stage names its last layer, an inner network without one gives its input (0: none).
  static constexpr std::size_t misplaced = [] {
    std::size_t stages = 0;
    for (std::size_t i = 1; i < layers; ++i) {
      if (roles[i] == narrow_role::none || Model::layer_input(i).sequence) return i;
      if (roles[i] == narrow_role::clamp && stages == 0) return i;
      stages += roles[i] == narrow_role::stage;
    }
    return stages == 0 && FloatOut ? layers - 1 : std::size_t{0}; // inner: the block's input itself
  }();
  template <std::size_t K>
  static constexpr auto stage_of() {
    if constexpr (misplaced != 0)
      return std::type_identity<std::tuple<>>{};
    else {
      constexpr std::size_t i = index(K);
      using L = typename Model::template layer<i>;
      return std::type_identity<
          typename Form::template stage<L, in_shape<i>, out_shape<i>, clamp_after(K), FloatOut && K + 1 == count>>{};
    }
  }

  /// The k-th stage's type.
  template <std::size_t K>
  using stage = typename decltype(stage_of<K>())::type;
  /// Whether each stage keeps its input's codes (keeps_codes).
  static constexpr auto keeps = []<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<bool, sizeof...(K)>{keeps_codes<stage<K>>()...};
  }
  (std::make_index_sequence<misplaced == 0 ? count : 0>{});
  template <std::size_t... K>
  static auto stages_of(std::index_sequence<K...>) -> std::tuple<stage<K>...>;
  /// std::tuple of the stages.
  using stages = decltype(stages_of(std::make_index_sequence < misplaced == 0 ? count : 0 > {}));

  /// The layer that observed the codes of the k-th stage's outputs (k = count: of the network's
  /// input), narrow_role::observe: the last one before the next stage that sets its own output
  /// codes, past stages that keep their input's (max pools: keeps_codes). 0: none.
  static constexpr std::size_t observer_of(std::size_t k) {
    if constexpr (misplaced != 0)
      return 0;
    else {
      std::size_t found = 0, next = k == count ? 0 : k + 1; // the next stage
      for (std::size_t i = k == count ? 1 : index(k) + 1; i < layers; ++i) {
        if (roles[i] == narrow_role::stage) {
          if (!keeps[next]) break;
          ++next;
        }
        if (roles[i] == narrow_role::observe) found = i;
      }
      return found;
    }
  }

  /// The first layer without a narrow form: a layer of a kind without one (or not in this
  /// form), over a sequence, a clamp before any stage, or a last stage that cannot give the
  /// network's float outputs (0: none).
  static constexpr std::size_t first_unsupported = [] {
    if constexpr (misplaced != 0)
      return misplaced;
    else if constexpr (!FloatOut)
      return std::size_t{0};
    else
      return can_end<stage<count - 1>>() ? std::size_t{0} : index(count - 1);
  }();
};

/// The stages of an inner network Net of a composite block in Form, giving codes: no type when
/// a layer of Net has no form in Form (the block then has none either, and is named for it). A
/// network of no layers (branch<>: the block's input itself) is an empty chain.
template <class Net, class Form>
struct inner_chain {};
template <class Net, class Form>
requires(plan<Net, Form, false>::first_unsupported == 0) && requires {
  typename Form::template chain<plan<Net, Form, false>>;
}
struct inner_chain<Net, Form> {
  using type = typename Form::template chain<plan<Net, Form, false>>;
};

/// Where diagnostics name the layers of a network: network<...>'s own by layer_index<I>, a
/// composite block's inner layers by their place in the block (inner_index<J>: J from 0 at the
/// block's first layer), inside branch B of a block with branches (parallel<...>).
struct at_top {
  template <std::size_t I>
  using at = diag::layer_index<I>;
};
template <class Block>
struct at_inner {
  template <std::size_t I>
  using at = diag::in_block<Block, diag::inner_index<I - 1>>;
};
template <class Block, std::size_t B>
struct at_branch {
  template <std::size_t I>
  using at = diag::in_block<Block, diag::in_branch<diag::branch_index<B>, diag::inner_index<I - 1>>>;
};

template <class Where, class Layer>
struct gap {
  using where = Where;
  using layer = Layer;
};
/// The first layer of Model without a form in Form, as gap<where, layer>, looking into composite
/// blocks: a block whose inner networks all have a form (a merge without one) is named itself.
/// Model's plan has first_unsupported != 0.
template <class Model, class Form, bool FloatOut, class Places>
constexpr auto first_gap() noexcept {
  constexpr std::size_t bad = plan<Model, Form, FloatOut>::first_unsupported;
  using L = typename Model::template layer<bad>;
  using here = typename Places::template at<bad>;
  if constexpr (!composite_layer<L>) {
    return gap<here, L>{};
  } else {
    using nets = typename L::template inner_networks<typename Model::template input_of<bad>>;
    return []<class... Nets>(type_list<Nets...>) {
      constexpr bool fails[] = {(plan<Nets, Form, false>::first_unsupported != 0)..., false};
      constexpr std::size_t b = [&] {
        std::size_t k = 0;
        while (k < sizeof...(Nets) && !fails[k]) ++k;
        return k;
      }();
      if constexpr (b == sizeof...(Nets)) {
        return gap<here, L>{};
      } else {
        using places = std::conditional_t < requires { L::branch_count; }
        , at_branch<here, b>, at_inner < here >> ;
        return first_gap<type_at<b, Nets...>, Form, false, places>();
      }
    }(nets{});
  }
}
/// The first layer of Model without a form in Form (first_unsupported != 0): gap<where, layer>.
template <class Model, class Form>
using first_gap_of = decltype(first_gap<Model, Form, true, at_top>());

} // namespace CTNN_NAMESPACE::detail::narrow
