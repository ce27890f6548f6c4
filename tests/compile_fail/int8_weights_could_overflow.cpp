// expect: int8_sums_could_overflow<ctnn::int8_dense<8000, 1, 127>, ctnn::diag::worst_case_sum<2229032000>, ctnn::diag::fix_scale_the_weights_down_or_clip_the_inputs_lower>
// constexpr int8 weights whose worst-case sum (a bias of 2.1e9 plus 8,000 inputs of 127 times
// weights of 127) passes 2^31 - 1: one error naming the layer and the bound, where a program
// proves its embedded weights and then runs them.
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/runtime/quantize.hpp>

#include <array>
#include <cstdint>

#ifdef CTNN_PASSING_TWIN
constexpr std::int32_t bias = 2'000'000'000;
#else
constexpr std::int32_t bias = 2'100'000'000;
#endif

constexpr auto make() {
  ctnn::int8_dense<8000, 1, 127> d{};
  for (std::size_t i = 0; i < 8000; ++i) d.weights[decltype(d)::layout::index(i, 0)] = 127;
  d.biases[0] = bias;
  return d;
}
constexpr auto layer = make();
static_assert(ctnn::proved<layer>);

int main() {
  alignas(64) static std::uint8_t x[decltype(layer)::in_padded]{};
  alignas(64) std::int32_t y[decltype(layer)::out_padded];
  layer.forward(x, y);
  return y[0] == bias ? 0 : 1;
}
