// expect: stage_cannot_step<ctnn::diag::stage_index<0[^>]*>, ctnn::layers::sequence_conv_stage<float, ctnn::conv1d<4, 3, ctnn::padding<1, 1> ?>.*ctnn::diag::fix_make_the_layers_before_last_recurrent_causal_or_per_step
// A stream steps every layer before `last` one sample at a time: a conv1d over time must be
// causal at stride 1 to do that (padding<1> would read the next sample).
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::sequence<8, 2>>, ctnn::conv1d<4, 3, ctnn::causal>, ctnn::gru<3>,
                            ctnn::last, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::sequence<8, 2>>, ctnn::conv1d<4, 3, ctnn::padding<1>>, ctnn::gru<3>,
                            ctnn::last, ctnn::dense<1>>;
#endif

int main() {
  const auto net = ctnn::make<model>(ctnn::init::he_uniform{}, 1);
  auto state = net.make_state();
  const auto y = net.step(state, ctnn::tensor<float, ctnn::shape<2>>{});
  return static_cast<int>(y[0]);
}
