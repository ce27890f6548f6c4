// expect: stage_lacks_member<no_backward, no_backward_stage<float>, ctnn::diag::backward>
// A user's layer whose stage misses part of the stage protocol (ctnn/layers/stage.hpp): one error
// naming the layer, the stage and the first missing member.
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <string>

template <class T>
struct no_backward_stage {
  static constexpr std::size_t in_size = 4, out_size = 4, out_stride = ctnn::kernels::padded<T>(4);
  static constexpr std::size_t param_size = 0, param_count = 0, kept_stride = 0;
  static void forward(const T*, const T* x, T* y) noexcept { std::copy_n(x, 4, y); }
  static void forward_batch(const T*, const T*, std::size_t, T*, T*, std::size_t) noexcept {}
#ifdef CTNN_PASSING_TWIN
  static void backward(const T*, T*, const T*, std::size_t, const T*, const T*, T*, T*, std::size_t,
                       ctnn::kernels::store_mode) noexcept {}
#endif
  static void import_params(const T*, T*) noexcept {}
  static void export_params(const T*, T*) noexcept {}
  template <class Init>
  static void initialize(T*, const Init&, ctnn::rng&) noexcept {}
};

struct no_backward {
  static constexpr ctnn::layer_role role = ctnn::layer_role::stage;
  static constexpr ctnn::layer_shape infer(const ctnn::dims& in) noexcept { return {0, in}; }
  template <class T, class In, class Out, class Fused>
  using stage = no_backward_stage<T>;
  static std::string name() { return "no_backward"; }
};

using model = ctnn::network<ctnn::input<ctnn::shape<4>>, no_backward, ctnn::dense<2>>;

int main() { return static_cast<int>(ctnn::make<model>(ctnn::init::he_uniform{}, 1).parameters().size()); }
