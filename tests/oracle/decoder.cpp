// The decoder's layers against PyTorch (fixtures: tests/oracle/generate.py decoder):
// conv_transpose2d as nn.ConvTranspose2d (output-size rule, weight [in_c, out_c, kh, kw]; stride,
// padding, output_padding, dilation, unequal extents) and upsample2d as nn.Upsample(mode=
// 'nearest'): outputs, MSE loss and parameter gradients of a batch of 3, float and double.
#define BOOST_TEST_MODULE oracle_decoder
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/fixtures.hpp"

#include <boost/mpl/list.hpp>

namespace nn = ctnn;

namespace {
using scalars = boost::mpl::list<float, double>;
}

BOOST_AUTO_TEST_CASE_TEMPLATE(conv_transpose2d_matches_pytorch, T, scalars) {
  nn::test::check_mse_case<
      T, nn::network<nn::input<nn::shape<3, 4, 4>>,
                     nn::conv_transpose2d<2, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>, nn::output_padding<1>>,
                     nn::relu, nn::flatten, nn::dense<2>>>("decoder.txt", "transpose_s2", 3);
  nn::test::check_mse_case<
      T, nn::network<nn::input<nn::shape<2, 3, 5>>,
                     nn::conv_transpose2d<3, nn::kernel<2, 3>, nn::stride<1, 2>, nn::padding<0, 1>, nn::dilation<2, 1>>,
                     nn::tanh, nn::flatten, nn::dense<2>>>("decoder.txt", "transpose_dilated", 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(upsample2d_matches_pytorch, T, scalars) {
  nn::test::check_mse_case<T, nn::network<nn::input<nn::shape<2, 3, 3>>, nn::conv2d<3, nn::kernel<2, 2>>,
                                          nn::upsample2d<2, 3>, nn::flatten, nn::dense<2>>>("decoder.txt", "upsample",
                                                                                            3);
}
