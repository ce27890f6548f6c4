// expect: head_count_differs_from_loss_count<ctnn::diag::head_count<2>, ctnn::diag::loss_count<3>, ctnn::diag::fix_give_loss_heads_one_loss_per_head_in_order>
// A network with two heads trained with three losses: the trainer names both counts.
#include "program.hpp" // and the network used as a program uses it: still one error

using model = ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, ctnn::relu,
                            ctnn::heads<ctnn::branch<ctnn::dense<3>>, ctnn::branch<ctnn::dense<1>, ctnn::tanh>>>;
#ifdef CTNN_PASSING_TWIN
using losses = ctnn::loss::heads<ctnn::loss::softmax_cross_entropy, ctnn::loss::mse>;
#else
using losses = ctnn::loss::heads<ctnn::loss::softmax_cross_entropy, ctnn::loss::mse, ctnn::loss::mse>;
#endif

int main() { return program::use<model, ctnn::shape<6>, ctnn::shape<2>, losses>(); }
