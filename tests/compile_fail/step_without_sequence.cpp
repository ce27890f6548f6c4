// expect: network_has_no_time_steps<ctnn::diag::network_input<ctnn::shape<4> ?>, ctnn::diag::fix_declare_the_input_as_sequence_steps_features ?>
// Streams step a sequence network one time step per call; a network on vectors has no steps.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::sequence<5, 4>>, ctnn::gru<3>, ctnn::last, ctnn::dense<3>>;
using step_input = ctnn::tensor<float, ctnn::shape<4>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<4>>, ctnn::dense<3>>;
using step_input = ctnn::tensor<float, ctnn::shape<4>>;
#endif

int main() {
  const auto net = ctnn::make<model>(ctnn::init::he_uniform{}, 1);
  auto state = net.make_state();
  const auto y = net.step(state, step_input{});
  return static_cast<int>(y[0]);
}
