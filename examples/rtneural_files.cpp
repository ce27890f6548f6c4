// RTNeural's own model files and test data, read by ctnn and run one sample per call as
// RTNeural's functional tests run them (tests/functional/test_configs.hpp there), in double,
// against RTNeural's thresholds.
//
//   git clone https://github.com/jatinchowdhury18/RTNeural
//   cmake --build build/<compiler> --target rtneural_files && build/<compiler>/examples/rtneural_files RTNeural
//
// The types below are the ctnn spelling of each file's layers (RTNeural runs every layer at each
// sample: a dense layer on the steps is per_step<dense<N>>, a conv1d is causal). Not part of the
// test suite: the files are RTNeural's, not this repository's.
#include <ctnn/ctnn.hpp>
#include <ctnn/interop/rtneural.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

namespace nn = ctnn;

namespace {
using step = nn::sequence<1, 1>; // one sample per call: the declared length does not matter to a stream
using conv_model =
    nn::network<nn::input<step>, nn::per_step<nn::dense<8>>, nn::tanh, nn::conv1d<4, 3, nn::causal>, nn::tanh,
                nn::per_step<nn::batch_norm>, nn::per_step<nn::channel_prelu>, nn::conv1d<4, 1, nn::causal>, nn::tanh,
                nn::conv1d<6, 3, nn::causal, nn::dilation<2>, nn::groups<2>>, nn::tanh, nn::per_step<nn::batch_norm>,
                nn::prelu, nn::per_step<nn::dense<1>>, nn::sigmoid>;
using dense_model =
    nn::network<nn::input<nn::shape<1>>, nn::dense<8>, nn::tanh, nn::dense<8>, nn::relu, nn::dense<8>, nn::elu,
                nn::dense<8>, nn::softmax, nn::dense<1>, nn::dense<8>, nn::dense<8>, nn::dense<1>>;
using gru_model = nn::network<nn::input<step>, nn::per_step<nn::dense<8>>, nn::tanh, nn::gru<8>,
                              nn::per_step<nn::dense<8>>, nn::sigmoid, nn::per_step<nn::dense<1>>>;
using gru_1d_model =
    nn::network<nn::input<step>, nn::gru<8>, nn::per_step<nn::dense<8>>, nn::sigmoid, nn::per_step<nn::dense<1>>>;
using lstm_model =
    nn::network<nn::input<step>, nn::per_step<nn::dense<8>>, nn::tanh, nn::lstm<8>, nn::per_step<nn::dense<1>>>;
using lstm_1d_model = nn::network<nn::input<step>, nn::lstm<8>, nn::per_step<nn::dense<1>>>;
using full_model =
    nn::network<nn::input<step>, nn::per_step<nn::dense<8>>, nn::tanh, nn::conv1d<4, 3, nn::causal, nn::dilation<2>>,
                nn::tanh, nn::gru<8>, nn::per_step<nn::dense<1>>>;

// conv2d.json: RTNeural's python/conv2d.py, a spectrogram of 23 features, one channel
using conv2d_model = nn::network<nn::input<nn::sequence<1, 23, 1>>,
                                 nn::conv2d<2, nn::kernel<5>, nn::causal, nn::dilation<2, 1>>, nn::batch_norm, nn::relu,
                                 nn::conv2d<3, nn::kernel<4, 3>, nn::causal, nn::stride<1, 2>, nn::padding<0, 1>>,
                                 nn::batch_norm, nn::conv2d<1, nn::kernel<2, 3>, nn::causal, nn::dilation<3, 1>>>;

std::vector<double> column(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::vector<double> v;
  for (double x; f >> x;) v.push_back(x);
  return v;
}

/// Runs RTNeural's model `name` on its test input, one sample per call; true if within threshold.
template <class Model>
bool check(const std::string& root, const std::string& name, double threshold) {
  const auto n = nn::read_rtneural<Model, double>(root + "/models/" + name + ".json");
  const auto x = column(root + "/test_data/" + name + "_x_python.csv");
  const auto y = column(root + "/test_data/" + name + "_y_python.csv");
  double worst = 0;
  auto state = n.make_state();
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    double out = 0;
    if constexpr (Model::input_shape::dims.sequence)
      out = n.step(state, nn::tensor<double, nn::shape<1>>{x[i]})[0];
    else
      out = n(nn::tensor<double, nn::shape<1>>{x[i]})[0];
    worst = std::max(worst, std::abs(out - y[i]));
  }
  std::printf("models/%-14s %4zu samples, largest difference %.3g (RTNeural's threshold %g)%s\n",
              (name + ".json").c_str(), x.size(), worst, threshold, worst <= threshold ? "" : "  OVER");
  return worst <= threshold;
}

/// conv2d.json, one frame per call, compared as RTNeural's conv2d_model_test compares it: Keras
/// pads time (valid, or "same" around the frame), RTNeural's stream is causal, so frame t of the
/// stream is Keras's frame t - 13 from t = 14 on (the receptive field, 15 frames, filled).
bool check_conv2d(const std::string& root) {
  const auto n = nn::read_rtneural<conv2d_model, double>(root + "/models/conv2d.json");
  const auto x = column(root + "/test_data/conv2d_x_python.csv");
  const auto y = column(root + "/test_data/conv2d_y_python.csv");
  constexpr std::size_t in_frame = 23, out_frame = 8, filled = 14, keras_offset = 13;
  double worst = 0;
  std::size_t compared = 0;
  auto state = n.make_state();
  for (std::size_t t = 0; (t + 1) * in_frame <= x.size(); ++t) {
    nn::tensor<double, nn::shape<in_frame>> frame;
    std::copy_n(x.begin() + std::ptrdiff_t(t * in_frame), in_frame, frame.begin());
    const auto out = n.step(state, frame);
    if (t < filled || (t - keras_offset + 1) * out_frame > y.size()) continue;
    for (std::size_t j = 0; j < out_frame; ++j, ++compared)
      worst = std::max(worst, std::abs(out[j] - y[(t - keras_offset) * out_frame + j]));
  }
  constexpr double threshold = 1e-6;
  std::printf("models/%-14s %4zu values, largest difference %.3g (RTNeural's threshold %g)%s\n", "conv2d.json",
              compared, worst, threshold, worst <= threshold ? "" : "  OVER");
  return compared > 0 && worst <= threshold;
}
} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PATH_TO_RTNEURAL_CHECKOUT\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  try {
    bool ok = check<conv_model>(root, "conv", 1e-6);
    ok &= check<dense_model>(root, "dense", 1e-6);
    ok &= check<gru_model>(root, "gru", 5e-6);
    ok &= check<gru_1d_model>(root, "gru_1d", 1e-6);
    ok &= check<lstm_model>(root, "lstm", 1e-6);
    ok &= check<lstm_1d_model>(root, "lstm_1d", 1e-6);
    ok &= check_conv2d(root);
    const auto f = nn::read_rtneural<full_model, double>(root + "/models/full_model.json");
    std::printf("models/full_model.json loads (%zu parameters; RTNeural has no test data for it)\n",
                full_model::param_count);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtneural_files: %s\n", e.what());
    return 1;
  }
}
