// expect: generator_output_is_not_discriminator_input<ctnn::diag::generator_output<ctnn::shape<3> ?>, ctnn::diag::discriminator_input<ctnn::shape<2> ?>, ctnn::diag::fix_end_the_generator_with_the_discriminators_input_shape>
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using generator = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<2>>;
#else
using generator = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<3>>;
#endif
using discriminator = ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<1>>;

int main() {
  auto g = ctnn::make<generator>(ctnn::init::pytorch_default{}, 1);
  auto d = ctnn::make<discriminator>(ctnn::init::pytorch_default{}, 2);
  ctnn::gan_trainer gan{g, d, ctnn::optim::adam{}, ctnn::optim::adam{}, {.batch = 8}};
  return int(gan.options().batch) - 8;
}
