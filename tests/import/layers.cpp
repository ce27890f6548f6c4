// Each supported PyTorch layer, exported by examples/pytorch/ctnn_export.py (tests/import/
// generate.py), loads into its generated type and matches PyTorch layer by layer.
#define BOOST_TEST_MODULE import_layers
#include "exported.hpp"

#include "fixtures/idiom_activations.hpp"
#include "fixtures/idiom_bare_linear.hpp"
#include "fixtures/idiom_device_branch.hpp"
#include "fixtures/idiom_functional.hpp"
#include "fixtures/idiom_methods.hpp"
#include "fixtures/idiom_mnist.hpp"
#include "fixtures/idiom_reshaped_sequence.hpp"
#include "fixtures/idiom_size_index.hpp"
#include "fixtures/layer_activations.hpp"
#include "fixtures/layer_batch_norm.hpp"
#include "fixtures/layer_batch_norm_1d.hpp"
#include "fixtures/layer_batch_norm_layer.hpp"
#include "fixtures/layer_conv1d.hpp"
#include "fixtures/layer_conv2d.hpp"
#include "fixtures/layer_decoder.hpp"
#include "fixtures/layer_dense.hpp"
#include "fixtures/layer_dense_no_bias.hpp"
#include "fixtures/layer_grouped.hpp"
#include "fixtures/layer_gru.hpp"
#include "fixtures/layer_layer_norm.hpp"
#include "fixtures/layer_lstm.hpp"
#include "fixtures/layer_pool1d.hpp"
#include "fixtures/layer_pool2d.hpp"
#include "fixtures/layer_prelu.hpp"
#include "fixtures/layer_rnn.hpp"
#include "fixtures/layer_rnn_relu.hpp"
#include "fixtures/onnx_branches.hpp"
#include "fixtures/onnx_cnn.hpp"
#include "fixtures/onnx_device_branch.hpp"
#include "fixtures/onnx_mlp.hpp"
#include "fixtures/onnx_recurrent.hpp"
#include "fixtures/onnx_reshaped_sequence.hpp"
#include "fixtures/seq_per_step_last.hpp"
#include "fixtures/seq_per_step_output.hpp"

using ctnn::test::check_exported;

BOOST_AUTO_TEST_CASE(dense) {
  check_exported<layer_dense::model>("layer_dense");
  check_exported<layer_dense_no_bias::model>("layer_dense_no_bias"); // bias=False: zeros
}
BOOST_AUTO_TEST_CASE(activations) { check_exported<layer_activations::model>("layer_activations"); }
BOOST_AUTO_TEST_CASE(conv2d_stride_padding_dilation_same) { check_exported<layer_conv2d::model>("layer_conv2d"); }
BOOST_AUTO_TEST_CASE(conv1d_stride_padding_dilation) { check_exported<layer_conv1d::model>("layer_conv1d"); }
BOOST_AUTO_TEST_CASE(pools_2d_and_global_average) { check_exported<layer_pool2d::model>("layer_pool2d"); }
BOOST_AUTO_TEST_CASE(pools_1d) { check_exported<layer_pool1d::model>("layer_pool1d"); }
BOOST_AUTO_TEST_CASE(batch_norm_folded_into_conv_and_dense) {
  check_exported<layer_batch_norm::model>("layer_batch_norm");
  // folding leaves no batch-norm layer: conv, relu, flatten, dense
  BOOST_TEST(layer_batch_norm::model::layer_count == 5u);
}
BOOST_AUTO_TEST_CASE(rnn_tanh_and_relu) {
  check_exported<layer_rnn::model>("layer_rnn");
  check_exported<layer_rnn_relu::model>("layer_rnn_relu"); // batch_first=True, out[:, -1]
}
BOOST_AUTO_TEST_CASE(lstm_two_layers) { check_exported<layer_lstm::model>("layer_lstm"); }
BOOST_AUTO_TEST_CASE(gru) { check_exported<layer_gru::model>("layer_gru"); }
// batch norms after no Linear or Conv: ctnn's batch_norm with PyTorch's running statistics
BOOST_AUTO_TEST_CASE(batch_norm_layers_with_running_statistics) {
  check_exported<layer_batch_norm_layer::model>("layer_batch_norm_layer");
  check_exported<layer_batch_norm_1d::model>("layer_batch_norm_1d");
  BOOST_TEST(ctnn::net<layer_batch_norm_1d::model>::value_count == layer_batch_norm_1d::model::param_count + 2 * 3);
}
// ConvTranspose2d (stride, padding, output_padding, dilation) and nearest Upsample
BOOST_AUTO_TEST_CASE(prelu_one_slope_and_one_per_channel) { check_exported<layer_prelu::model>("layer_prelu"); }
BOOST_AUTO_TEST_CASE(grouped_and_depthwise_convolutions) {
  // depthwise 3x3 with a batch norm folded into it, pointwise 1x1, a strided grouped 3x3
  check_exported<layer_grouped::model>("layer_grouped");
}
BOOST_AUTO_TEST_CASE(decoder_layers) { check_exported<layer_decoder::model>("layer_decoder"); }
BOOST_AUTO_TEST_CASE(layer_norm_and_log_softmax) { check_exported<layer_layer_norm::model>("layer_layer_norm"); }

// forward() as people write it: pytorch/examples' MNIST Net (F.relu, F.max_pool2d, torch.flatten,
// F.log_softmax between modules); functions with keywords (F.relu(x, inplace=True),
// F.max_pool2d(x, kernel_size=2, stride=2), F.leaky_relu(x, 0.2), F.dropout(x, training=
// self.training)), nn.Dropout2d, x.view(x.size(0), -1), tensor methods (.relu(), .tanh(),
// .contiguous()); views by shape and by -1, F.adaptive_avg_pool2d(x, 1), torch.sigmoid,
// torch.log_softmax(dim=-1), torch.flatten(x, start_dim=1)
BOOST_AUTO_TEST_CASE(forward_as_people_write_it) {
  check_exported<idiom_mnist::model>("idiom_mnist");
  check_exported<idiom_functional::model>("idiom_functional");
  check_exported<idiom_methods::model>("idiom_methods");
}
// SiLU, ELU(alpha), ReLU6, Hardtanh(min, max), Hardswish, Hardsigmoid as modules and as functions
BOOST_AUTO_TEST_CASE(mobile_activations) { check_exported<idiom_activations::model>("idiom_activations"); }

// nn.Linear on a [batch, steps, features] output of a recurrent layer applies to every step:
// per_step<dense<N>>, as the network's output and between recurrent layers, before x[:, -1]
BOOST_AUTO_TEST_CASE(linear_on_every_step) {
  check_exported<seq_per_step_output::model>("seq_per_step_output");
  check_exported<seq_per_step_last::model>("seq_per_step_last");
}

// ONNX files written by torch.onnx.export (opset 13), imported by examples/pytorch/ctnn_onnx.py:
// Gemm, Clip (ReLU6), Softmax; Conv with BatchNormalization folded in, a residual Add, MaxPool,
// Flatten, LogSoftmax; Concat of three branches (Pad + AveragePool, a grouped Conv), LeakyRelu,
// Elu, BatchNormalization, PRelu, HardSigmoid * x (Hardswish), GlobalAveragePool, two outputs;
// LSTM and GRU with the Transpose, Squeeze and Gather around them, MatMul + Add on every step
BOOST_AUTO_TEST_CASE(onnx_models_exported_by_pytorch) {
  check_exported<onnx_mlp::model>("onnx_mlp");
  check_exported<onnx_cnn::model>("onnx_cnn");
  check_exported<onnx_branches::model>("onnx_branches");
  check_exported<onnx_recurrent::model>("onnx_recurrent");
  // pytorch/examples' idioms through ONNX: Reshape + Squeeze after a conv, a Reshape to the input's own shape
  check_exported<onnx_device_branch::model>("onnx_device_branch");
  check_exported<onnx_reshaped_sequence::model>("onnx_reshaped_sequence");
}

// pytorch/examples' other idioms: DCGAN's device branch and view(-1, 1).squeeze(1), mnist_rnn's
// reshape of the input to the shape it has, regression's bare nn.Linear, siamese_network's view
BOOST_AUTO_TEST_CASE(idioms_of_pytorch_examples) {
  check_exported<idiom_device_branch::model>("idiom_device_branch");
  check_exported<idiom_reshaped_sequence::model>("idiom_reshaped_sequence");
  check_exported<idiom_bare_linear::model>("idiom_bare_linear");
  check_exported<idiom_size_index::model>("idiom_size_index"); // siamese_network's view(x.size()[0], -1)
}
