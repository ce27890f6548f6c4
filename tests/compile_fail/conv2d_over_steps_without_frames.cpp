// expect: layer_rejects_input_shape<ctnn::diag::layer_index<1>, ctnn::conv2d<4, ctnn::kernel<3[^>]*>, ctnn::causal ?>, ctnn::diag::expects<ctnn::diag::a_sequence_of_frames>, ctnn::diag::receives<ctnn::sequence<20, 16[^>]*> ?>, ctnn::diag::fix_declare_the_input_as_sequence_steps_features_channels>
// conv2d over time needs to know how a step's values form a [features, channels] frame: a plain
// sequence<Steps, Features> does not say, sequence<Steps, Features, Channels> does.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using input = ctnn::sequence<20, 16, 1>;
#else
using input = ctnn::sequence<20, 16>;
#endif
using model = ctnn::network<ctnn::input<input>, ctnn::conv2d<4, ctnn::kernel<3>, ctnn::causal>, ctnn::relu,
                            ctnn::per_step<ctnn::dense<2>>>;

int main() { return program::use<model, input, ctnn::sequence<20, 2>>(); }
