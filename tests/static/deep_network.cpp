// A 512-layer network type-checks, lowers and instantiates its runtime within the compilers'
// default limits (no recursion over the layer list, no fold over the whole pack).
#include <ctnn/ctnn.hpp>

#include <type_traits>
#include <utility>

namespace {

template <class Seq>
struct deep_mlp;
template <std::size_t... I>
struct deep_mlp<std::index_sequence<I...>> {
  using type =
      ctnn::network<ctnn::input<ctnn::shape<8>>, std::conditional_t<I % 2 == 0, ctnn::dense<8>, ctnn::relu>...>;
};
using deep = deep_mlp<std::make_index_sequence<511>>::type;

static_assert(deep::layer_count == 512);
static_assert(deep::valid);
static_assert(deep::stage_count == 256);
static_assert(deep::param_count == 256 * (8 * 8 + 8));
static_assert(deep::stages[255].layer == 511 && deep::stages[255].activation == ctnn::detail::npos);

// the runtime over 256 stages: forward, training forward and backward all instantiate
[[maybe_unused]] float run(ctnn::net<deep>& net, ctnn::workspace<float>& ws, float* grads) {
  const ctnn::tensor<float, ctnn::shape<8>> x{};
  const float* y = net.forward_train(ws, x.data(), 1);
  net.backward(ws, x.data(), 1, grads);
  return net(x)[0] + y[0];
}

} // namespace
