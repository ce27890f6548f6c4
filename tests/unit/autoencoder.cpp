// An autoencoder is one network, chain<Encoder, Decoder>; its halves are two networks whose shapes
// chain at compile time (tests/compile_fail/decoder_input_is_not_encoder_output.cpp), and
// split_chain / join_chain move the parameters between the whole and the halves.
#define BOOST_TEST_MODULE autoencoder
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <type_traits>
#include <vector>

namespace nn = ctnn;

namespace {
using encoder =
    nn::network<nn::input<nn::shape<1, 8, 8>>, nn::conv2d<4, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>>, nn::relu,
                nn::flatten, nn::dense<6>>;
using decoder =
    nn::network<nn::input<nn::shape<6>>, nn::relu, nn::dense<64>, nn::reshape<4, 4, 4>,
                nn::conv_transpose2d<1, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>, nn::output_padding<1>>,
                nn::sigmoid>;
using autoencoder = nn::chain<encoder, decoder>;
static_assert(
    std::is_same_v<
        autoencoder,
        nn::network<nn::input<nn::shape<1, 8, 8>>, nn::conv2d<4, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>>,
                    nn::relu, nn::flatten, nn::dense<6>, nn::relu, nn::dense<64>, nn::reshape<4, 4, 4>,
                    nn::conv_transpose2d<1, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>, nn::output_padding<1>>,
                    nn::sigmoid>>);
static_assert(autoencoder::param_count == encoder::param_count + decoder::param_count);
static_assert(std::is_same_v<autoencoder::output_shape, nn::shape<1, 8, 8>>);
} // namespace

BOOST_AUTO_TEST_CASE(the_halves_compute_what_the_whole_computes) {
  const auto whole = nn::make<autoencoder>(nn::init::pytorch_default{}, 3);
  const auto [enc, dec] = nn::split_chain<encoder, decoder>(whole);
  nn::rng g(1);
  for (int s = 0; s < 5; ++s) {
    nn::tensor<float, nn::shape<1, 8, 8>> x;
    for (auto& v : x) v = float(g.uniform(0, 1));
    const auto code = enc(x);
    const auto a = whole(x), b = dec(code);
    for (std::size_t k = 0; k < a.size(); ++k) BOOST_TEST(a[k] == b[k], boost::test_tools::tolerance(1e-6f));
  }
  const auto again = nn::join_chain(enc, dec);
  BOOST_TEST(again.export_parameters() == whole.export_parameters());
}

BOOST_AUTO_TEST_CASE(an_autoencoder_trains_as_one_network) {
  // inputs that live on a 2-D subspace: the reconstruction error falls well below the data's variance
  nn::dataset<float, nn::shape<1, 8, 8>, nn::shape<1, 8, 8>> data;
  nn::rng g(2);
  for (int i = 0; i < 256; ++i) {
    const float a = float(g.uniform(0, 1)), b = float(g.uniform(0, 1));
    nn::tensor<float, nn::shape<1, 8, 8>> x;
    for (std::size_t r = 0; r < 8; ++r)
      for (std::size_t c = 0; c < 8; ++c) x[r * 8 + c] = 0.5f * (a * float(r) + b * float(c)) / 7.f;
    data.push_back(x, x);
  }
  auto net = nn::make<autoencoder>(nn::init::pytorch_default{}, 4);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 3e-3}};
  const double before = fit.evaluate(data).loss;
  fit.train(data, {.epochs = 60, .batch = 32, .seed = 1, .log = nullptr});
  const double after = fit.evaluate(data).loss;
  BOOST_TEST_MESSAGE("reconstruction MSE " << before << " -> " << after);
  BOOST_TEST(after < before / 10);
}
