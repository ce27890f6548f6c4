// oneDNN implementation of the int8 anchor: the float input reordered to uint8 codes (scale and
// zero point), then per operation an int8 primitive (u8 codes x s8 weights, s32 bias) whose
// output is requantized as ctnn requantizes: per-channel output scales, the zero point added and
// the codes clamped to [relu ? zero : 0, 127] by post-ops, rounded to nearest even. The last
// operation writes floats. Primitives are created once for the batch with the layouts oneDNN
// prefers (format_tag::any); weights are reordered once.
#include "onednn_int8.hpp"

#include "onednn_steps.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <stdexcept>

namespace bench {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

class onednn_int8_impl final : public onednn_model, onednn_steps {
public:
  onednn_int8_impl(const int8_network& net, int batch) {
    const dnnl::memory::dim n = batch;
    const bool image = net.h > 1 || net.w > 1;
    const dims in_dims = image ? dims{n, net.c, net.h, net.w} : dims{n, net.c};
    user_in_ = dnnl::memory({in_dims, dt::f32, image ? tag::nchw : tag::nc}, engine_, DNNL_MEMORY_NONE);

    // the input's codes: x / scale + zero, as the first primitive wants them laid out
    dnnl::memory::desc codes_desc = dnnl::memory::desc(in_dims, dt::u8, image ? tag::nhwc : tag::nc);
    dnnl::memory codes(codes_desc, engine_);
    {
      dnnl::primitive_attr attr;
      attr.set_output_scales(0, {1.0f / net.input_scale});
      attr.set_zero_points(DNNL_ARG_DST, 0, {net.input_zero});
      const dnnl::reorder::primitive_desc pd(engine_, user_in_.get_desc(), engine_, codes_desc, attr);
      add(dnnl::reorder(pd), {{DNNL_ARG_FROM, user_in_}, {DNNL_ARG_TO, codes}});
    }

    dnnl::memory src = codes;
    for (const auto& op : net.ops) {
      const dims src_dims = op.h > 1 || op.w > 1 ? dims{n, op.c, op.h, op.w} : dims{n, op.c};
      if (src.get_desc().dims() != src_dims) // a dense layer over a [c, h, w] block
        throw std::runtime_error("onednn_int8: the operations' shapes do not chain");
      if (op.kind == int8_op::max_pool2x2) {
        const dnnl::pooling_forward::primitive_desc pd(
            {dnnl::prop_kind::forward_inference,
             dnnl::algorithm::pooling_max,
             src.get_desc(),
             dnnl::memory::desc({n, op.c, op.h / 2, op.w / 2}, dt::u8, tag::any),
             {2, 2},
             {2, 2},
             {0, 0},
             {0, 0}},
            engine_);
        auto dst = dnnl::memory(pd.dst_desc(), engine_);
        add(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
        names_ += std::string(names_.empty() ? "" : ", ") + "pool " + pd.impl_info_str();
        src = dst;
        continue;
      }
      dnnl::primitive_attr attr;
      attr.set_output_scales(1 << 1, op.scales); // per output channel
      if (!op.last) {
        dnnl::post_ops requantize; // round(acc * m) + zero, clamped; rounded to nearest even into u8
        requantize.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f, static_cast<float>(op.out_zero));
        requantize.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, op.relu ? static_cast<float>(op.out_zero) : 0.0f,
                                  127.0f);
        attr.set_post_ops(requantize);
      }
      const dt out_type = op.last ? dt::f32 : dt::u8;
      const dnnl::memory::desc bias_desc({op.out}, dt::s32, tag::x);
      dnnl::memory bias(bias_desc, engine_);
      std::memcpy(bias.get_data_handle(), op.biases.data(), op.biases.size() * sizeof(std::int32_t));
      if (op.kind == int8_op::conv3x3) {
        const dims wd{op.out, op.c, 3, 3}, dd{n, op.out, op.h - 2, op.w - 2};
        const dnnl::convolution_forward::primitive_desc pd({dnnl::prop_kind::forward_inference,
                                                            dnnl::algorithm::convolution_direct,
                                                            src.get_desc(),
                                                            dnnl::memory::desc(wd, dt::s8, tag::any),
                                                            bias_desc,
                                                            dnnl::memory::desc(dd, out_type, tag::any),
                                                            {1, 1},
                                                            {0, 0},
                                                            {0, 0}},
                                                           attr, engine_);
        src = step(dnnl::convolution_forward(pd), pd.src_desc(), src, pd.weights_desc(), wd, op, bias, pd.dst_desc(),
                   "conv " + std::string(pd.impl_info_str()));
      } else {
        const dims wd = src_dims.size() == 4 ? dims{op.out, op.c, op.h, op.w} : dims{op.out, op.c};
        const dnnl::memory::desc dst_desc = op.last ? dnnl::memory::desc({n, op.out}, dt::f32, tag::nc)
                                                    : dnnl::memory::desc({n, op.out}, dt::u8, tag::any);
        const dnnl::inner_product_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, src.get_desc(),
                                                              dnnl::memory::desc(wd, dt::s8, tag::any), bias_desc,
                                                              dst_desc},
                                                             attr, engine_);
        src = step(dnnl::inner_product_forward(pd), pd.src_desc(), src, pd.weights_desc(), wd, op, bias, pd.dst_desc(),
                   "inner product " + std::string(pd.impl_info_str()));
      }
      if (op.last) user_out_ = src;
    }
  }

  void infer(const float* x, float* y) override {
    user_in_.set_data_handle(const_cast<float*>(x));
    run();
    std::memcpy(y, user_out_.get_data_handle(), user_out_.get_desc().get_size());
  }

  std::string configuration() const override { return names_; }

private:
  /// Adds a convolution or inner product: its input reordered if it wants another layout, its
  /// weights reordered once from [out][in...]; returns its output.
  dnnl::memory step(dnnl::primitive p, const dnnl::memory::desc& want_src, dnnl::memory src,
                    const dnnl::memory::desc& want_weights, const dims& wd, const int8_op& op, dnnl::memory bias,
                    const dnnl::memory::desc& dst_desc, std::string name) {
    if (want_src != src.get_desc()) {
      auto moved = dnnl::memory(want_src, engine_);
      add(dnnl::reorder(src, moved), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, moved}});
      src = moved;
    }
    dnnl::memory user({wd, dt::s8, wd.size() == 4 ? tag::oihw : tag::oi}, engine_,
                      const_cast<std::int8_t*>(op.weights.data()));
    dnnl::memory weights(want_weights, engine_);
    dnnl::reorder(user, weights).execute(stream_, user, weights);
    stream_.wait();
    auto dst = dnnl::memory(dst_desc, engine_);
    add(std::move(p), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
    names_ += (names_.empty() ? "" : ", ") + name;
    return dst;
  }

  dnnl::memory user_in_, user_out_;
  std::string names_;
};

} // namespace

std::unique_ptr<onednn_model> make_onednn_int8(const int8_network& net, int batch, std::string&) {
  return std::make_unique<onednn_int8_impl>(net, batch);
}

} // namespace bench
