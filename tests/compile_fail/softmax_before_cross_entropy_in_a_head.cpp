// expect: loss_applies_the_final_activation<ctnn::loss::softmax_cross_entropy, ctnn::diag::in_block<ctnn::diag::layer_index<3>, ctnn::diag::in_branch<ctnn::diag::branch_index<0>, ctnn::diag::inner_index<1> ?> ?>, ctnn::diag::final_layer<ctnn::softmax>, ctnn::diag::fix_drop_the_final_softmax_the_loss_applies_it>
// Each head's loss is checked against the end of its own head: softmax_cross_entropy applies
// softmax itself, so a head that ends in softmax would apply it twice.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, ctnn::relu,
                            ctnn::heads<ctnn::branch<ctnn::dense<3>>, ctnn::branch<ctnn::dense<1>, ctnn::tanh>>>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, ctnn::relu,
                  ctnn::heads<ctnn::branch<ctnn::dense<3>, ctnn::softmax>, ctnn::branch<ctnn::dense<1>, ctnn::tanh>>>;
#endif
using losses = ctnn::loss::heads<ctnn::loss::softmax_cross_entropy, ctnn::loss::mse>;

int main() { return program::use<model, ctnn::shape<6>, ctnn::shape<2>, losses>(); }
