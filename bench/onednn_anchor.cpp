// oneDNN implementation of the mnist_cnn anchor: direct convolutions with relu fused as a
// post-op, max pooling and an inner product, each primitive created once for the batch with
// the memory formats oneDNN prefers (format_tag::any), weights reordered once at setup, the
// argument maps built once, and the user's input reordered per call only if oneDNN wants
// another layout. Threads: oneDNN's OpenMP runtime, pinned to one by OMP_NUM_THREADS=1.
#include "onednn_anchor.hpp"

#include "layer_spec.hpp"

#include "onednn_steps.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <unordered_map>

namespace bench {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

class onednn_impl final : public onednn_model, onednn_steps {
public:
  onednn_impl(const std::vector<float>& params, int batch) {
    const dnnl::memory::dim n = batch;
    auto any = [](dims d) { return dnnl::memory::desc(d, dt::f32, tag::any); };
    user_in_ = dnnl::memory({{n, 1, cnn::h0, cnn::h0}, dt::f32, tag::nchw}, engine_, DNNL_MEMORY_NONE);

    dnnl::post_ops relu;
    relu.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    dnnl::primitive_attr fused;
    fused.set_post_ops(relu);

    // conv1 + relu
    const dnnl::convolution_forward::primitive_desc conv1({dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct,
                                                           any({n, 1, cnn::h0, cnn::h0}),
                                                           any({cnn::c1, 1, 3, 3}),
                                                           {{cnn::c1}, dt::f32, tag::x},
                                                           any({n, cnn::c1, cnn::h1, cnn::h1}),
                                                           {1, 1},
                                                           {0, 0},
                                                           {0, 0}},
                                                          fused, engine_);
    dnnl::memory src = user_in_;
    if (conv1.src_desc() != user_in_.get_desc()) {
      conv1_in_ = dnnl::memory(conv1.src_desc(), engine_);
      src = conv1_in_;
    }
    auto a1 = dnnl::memory(conv1.dst_desc(), engine_);
    add(dnnl::convolution_forward(conv1),
        {{DNNL_ARG_SRC, src},
         {DNNL_ARG_WEIGHTS, weights(params, cnn::w1, {cnn::c1, 1, 3, 3}, conv1.weights_desc())},
         {DNNL_ARG_BIAS, weights(params, cnn::b1, {cnn::c1}, conv1.bias_desc())},
         {DNNL_ARG_DST, a1}});
    names_ += "conv1 " + std::string(conv1.impl_info_str());
    // pool1
    const dnnl::pooling_forward::primitive_desc pool1({dnnl::prop_kind::forward_inference,
                                                       dnnl::algorithm::pooling_max,
                                                       conv1.dst_desc(),
                                                       any({n, cnn::c1, cnn::p1, cnn::p1}),
                                                       {2, 2},
                                                       {2, 2},
                                                       {0, 0},
                                                       {0, 0}},
                                                      engine_);
    auto p1 = dnnl::memory(pool1.dst_desc(), engine_);
    add(dnnl::pooling_forward(pool1), {{DNNL_ARG_SRC, a1}, {DNNL_ARG_DST, p1}});
    names_ += ", pool1 " + std::string(pool1.impl_info_str());
    // conv2 + relu
    const dnnl::convolution_forward::primitive_desc conv2({dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct,
                                                           pool1.dst_desc(),
                                                           any({cnn::c2, cnn::c1, 3, 3}),
                                                           {{cnn::c2}, dt::f32, tag::x},
                                                           any({n, cnn::c2, cnn::h2, cnn::h2}),
                                                           {1, 1},
                                                           {0, 0},
                                                           {0, 0}},
                                                          fused, engine_);
    dnnl::memory conv2_src = p1;
    if (conv2.src_desc() != pool1.dst_desc()) { // oneDNN wants another layout: reorder between
      conv2_src = dnnl::memory(conv2.src_desc(), engine_);
      add(dnnl::reorder(p1, conv2_src), {{DNNL_ARG_FROM, p1}, {DNNL_ARG_TO, conv2_src}});
    }
    auto a2 = dnnl::memory(conv2.dst_desc(), engine_);
    add(dnnl::convolution_forward(conv2),
        {{DNNL_ARG_SRC, conv2_src},
         {DNNL_ARG_WEIGHTS, weights(params, cnn::w2, {cnn::c2, cnn::c1, 3, 3}, conv2.weights_desc())},
         {DNNL_ARG_BIAS, weights(params, cnn::b2, {cnn::c2}, conv2.bias_desc())},
         {DNNL_ARG_DST, a2}});
    names_ += ", conv2 " + std::string(conv2.impl_info_str());
    // pool2
    const dnnl::pooling_forward::primitive_desc pool2({dnnl::prop_kind::forward_inference,
                                                       dnnl::algorithm::pooling_max,
                                                       conv2.dst_desc(),
                                                       any({n, cnn::c2, cnn::p2, cnn::p2}),
                                                       {2, 2},
                                                       {2, 2},
                                                       {0, 0},
                                                       {0, 0}},
                                                      engine_);
    auto p2 = dnnl::memory(pool2.dst_desc(), engine_);
    add(dnnl::pooling_forward(pool2), {{DNNL_ARG_SRC, a2}, {DNNL_ARG_DST, p2}});
    names_ += ", pool2 " + std::string(pool2.impl_info_str());
    // the classifier: an inner product over the [16, 5, 5] block (weights as oihw [10, 16, 5, 5])
    user_out_ = dnnl::memory({{n, cnn::classes}, dt::f32, tag::nc}, engine_, DNNL_MEMORY_NONE);
    const dnnl::inner_product_forward::primitive_desc fc({dnnl::prop_kind::forward_inference,
                                                          pool2.dst_desc(),
                                                          any({cnn::classes, cnn::c2, cnn::p2, cnn::p2}),
                                                          {{cnn::classes}, dt::f32, tag::x},
                                                          user_out_.get_desc()},
                                                         engine_);
    add(dnnl::inner_product_forward(fc),
        {{DNNL_ARG_SRC, p2},
         {DNNL_ARG_WEIGHTS, weights(params, cnn::w3, {cnn::classes, cnn::c2, cnn::p2, cnn::p2}, fc.weights_desc())},
         {DNNL_ARG_BIAS, weights(params, cnn::b3, {cnn::classes}, fc.bias_desc())},
         {DNNL_ARG_DST, user_out_}});
    names_ += ", fc " + std::string(fc.impl_info_str());
    if (conv1_in_) input_reorder_ = dnnl::reorder(user_in_, conv1_in_);
  }

  void infer(const float* x, float* y) override {
    user_in_.set_data_handle(const_cast<float*>(x));
    user_out_.set_data_handle(y);
    if (conv1_in_) input_reorder_.execute(stream_, user_in_, conv1_in_);
    run();
  }

  std::string configuration() const override { return names_; }

private:
  dnnl::memory user_in_, user_out_, conv1_in_;
  dnnl::reorder input_reorder_;
  std::string names_;
};

} // namespace

std::unique_ptr<onednn_model> make_onednn_cnn(const std::vector<float>& params, int batch, std::string&) {
  return std::make_unique<onednn_impl>(params, batch);
}

} // namespace bench
