// expect: decoder_input_is_not_encoder_output<ctnn::diag::encoder_output<ctnn::shape<6> ?>, ctnn::diag::decoder_input<ctnn::shape<8> ?>, ctnn::diag::fix_start_the_decoder_with_the_encoders_output_shape>
#include <ctnn/ctnn.hpp>

using encoder = ctnn::network<ctnn::input<ctnn::shape<16>>, ctnn::dense<6>>;
#ifdef CTNN_PASSING_TWIN
using decoder = ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<16>>;
#else
using decoder = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<16>>;
#endif
using autoencoder = ctnn::chain<encoder, decoder>;

int main() {
  auto net = ctnn::make<autoencoder>(ctnn::init::glorot_uniform{}, 1);
  return net(typename decltype(net)::input_type{})[0] > 0 ? 1 : 0;
}
