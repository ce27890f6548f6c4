// oneDNN implementation of the graph_cnn anchor (bench/graph_networks.hpp), for a fixed batch:
// convolutions with relu fused as a post-op, the residual sum fused into the second convolution
// (post-ops sum then relu, its destination first holding the skip), max pooling, the Inception
// branches joined by a concat primitive, relu, average pooling over the map and an inner product.
// Every primitive takes the memory formats oneDNN prefers (format_tag::any); reorders are added
// where a consumer wants another layout than its producer gave; weights are reordered once.
#include "onednn_anchor.hpp"

#include "onednn_steps.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <unordered_map>

namespace bench {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

class onednn_graph final : public onednn_model, onednn_steps {
public:
  onednn_graph(const std::vector<float>& params, int batch) {
    n_ = batch;
    user_in_ = dnnl::memory({{n_, 3, 32, 32}, dt::f32, tag::nchw}, engine_, DNNL_MEMORY_NONE);
    std::size_t at = 0;
    const auto relu = ops(false);
    // stem: conv 3->16 3x3 pad 1, relu
    auto a0 = conv(params, at, user_in_, 16, 3, 1, 1, relu, "stem");
    // residual block: relu(conv(relu(conv(a0))) + a0)
    auto a1 = conv(params, at, a0, 16, 3, 1, 1, relu, "res1");
    auto r = conv(params, at, a1, 16, 3, 1, 1, ops(true), "res2", &a0);
    // max pool 2
    auto p = pool(r, dnnl::algorithm::pooling_max, 2, 2, 0, 16, "pool");
    // Inception: conv 1x1 | conv 1x1 relu conv 3x3 | max pool 3/1/1 conv 1x1, concatenated
    auto b0 = conv(params, at, p, 16, 1, 1, 0, {}, "b0");
    auto t = conv(params, at, p, 16, 1, 1, 0, relu, "b1a");
    auto b1 = conv(params, at, t, 16, 3, 1, 1, {}, "b1b");
    auto q = pool(p, dnnl::algorithm::pooling_max, 3, 1, 1, 16, "b2pool");
    auto b2 = conv(params, at, q, 16, 1, 1, 0, {}, "b2");
    const dnnl::concat::primitive_desc cat(1, {b0.get_desc(), b1.get_desc(), b2.get_desc()}, engine_);
    auto c = dnnl::memory(cat.dst_desc(), engine_);
    add(dnnl::concat(cat), {{DNNL_ARG_MULTIPLE_SRC, b0},
                            {DNNL_ARG_MULTIPLE_SRC + 1, b1},
                            {DNNL_ARG_MULTIPLE_SRC + 2, b2},
                            {DNNL_ARG_DST, c}});
    names_ += ", concat " + std::string(cat.impl_info_str());
    const dnnl::eltwise_forward::primitive_desc act(
        {dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu, c.get_desc(), 0.0f, 0.0f}, engine_);
    add(dnnl::eltwise_forward(act), {{DNNL_ARG_SRC, c}, {DNNL_ARG_DST, c}});
    // global average pooling, then the classifier
    auto g = pool(c, dnnl::algorithm::pooling_avg_exclude_padding, 16, 16, 0, 48, "gap");
    user_out_ = dnnl::memory({{n_, 10}, dt::f32, tag::nc}, engine_, DNNL_MEMORY_NONE);
    const dnnl::inner_product_forward::primitive_desc fc({dnnl::prop_kind::forward_inference,
                                                          g.get_desc(),
                                                          any({10, 48, 1, 1}),
                                                          {{10}, dt::f32, tag::x},
                                                          user_out_.get_desc()},
                                                         engine_);
    add(dnnl::inner_product_forward(fc),
        {{DNNL_ARG_SRC, g},
         {DNNL_ARG_WEIGHTS, next_weights(params, at, {10, 48, 1, 1}, fc.weights_desc())},
         {DNNL_ARG_BIAS, next_weights(params, at, {10}, fc.bias_desc())},
         {DNNL_ARG_DST, user_out_}});
    names_ += ", fc " + std::string(fc.impl_info_str());
  }

  void infer(const float* x, float* y) override {
    user_in_.set_data_handle(const_cast<float*>(x));
    user_out_.set_data_handle(y);
    run();
  }
  std::string configuration() const override { return names_; }

private:
  static dnnl::memory::desc any(dims d) { return dnnl::memory::desc(d, dt::f32, tag::any); }
  /// relu as a post-op, after a sum with the destination's previous contents if `sum`.
  static dnnl::post_ops ops(bool sum) {
    dnnl::post_ops p;
    if (sum) p.append_sum(1.0f);
    p.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    return p;
  }
  /// src in the layout `want`, reordered from `have` if it differs.
  dnnl::memory as(const dnnl::memory& have, const dnnl::memory::desc& want) {
    if (have.get_desc() == want) return have;
    dnnl::memory m(want, engine_);
    add(dnnl::reorder(have, m), {{DNNL_ARG_FROM, have}, {DNNL_ARG_TO, m}});
    return m;
  }
  /// A convolution of `src` into `out` channels (k x k, stride, padding) with post-ops; with
  /// `skip`, its destination first receives the skip (for the post-op sum).
  dnnl::memory conv(const std::vector<float>& params, std::size_t& at, const dnnl::memory& src, dnnl::memory::dim out,
                    dnnl::memory::dim k, dnnl::memory::dim stride, dnnl::memory::dim pad, const dnnl::post_ops& post,
                    const char* name, const dnnl::memory* skip = nullptr) {
    const auto in = src.get_desc().dims();
    const dnnl::memory::dim h = (in[2] + 2 * pad - k) / stride + 1, w = (in[3] + 2 * pad - k) / stride + 1;
    dnnl::primitive_attr attr;
    attr.set_post_ops(post);
    const dnnl::convolution_forward::primitive_desc pd({dnnl::prop_kind::forward_inference,
                                                        dnnl::algorithm::convolution_direct,
                                                        any(in),
                                                        any({out, in[1], k, k}),
                                                        {{out}, dt::f32, tag::x},
                                                        any({in[0], out, h, w}),
                                                        {stride, stride},
                                                        {pad, pad},
                                                        {pad, pad}},
                                                       attr, engine_);
    const auto s = as(src, pd.src_desc());
    const auto wt = next_weights(params, at, {out, in[1], k, k}, pd.weights_desc());
    const auto b = next_weights(params, at, {out}, pd.bias_desc());
    dnnl::memory dst(pd.dst_desc(), engine_);
    if (skip) add(dnnl::reorder(*skip, dst), {{DNNL_ARG_FROM, *skip}, {DNNL_ARG_TO, dst}});
    add(dnnl::convolution_forward(pd),
        {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
    names_ += (names_.empty() ? "" : ", ") + std::string(name) + " " + pd.impl_info_str();
    return dst;
  }
  dnnl::memory pool(const dnnl::memory& src, dnnl::algorithm alg, dnnl::memory::dim k, dnnl::memory::dim stride,
                    dnnl::memory::dim pad, dnnl::memory::dim c, const char* name) {
    const auto in = src.get_desc().dims();
    const dnnl::memory::dim h = (in[2] + 2 * pad - k) / stride + 1;
    const dnnl::pooling_forward::primitive_desc pd({dnnl::prop_kind::forward_inference,
                                                    alg,
                                                    src.get_desc(),
                                                    any({in[0], c, h, h}),
                                                    {stride, stride},
                                                    {k, k},
                                                    {pad, pad},
                                                    {pad, pad}},
                                                   engine_);
    dnnl::memory dst(pd.dst_desc(), engine_);
    add(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    names_ += ", " + std::string(name) + " " + pd.impl_info_str();
    return dst;
  }
  /// The next parameters (PyTorch order) of dims d, reordered into `want`; advances at.
  dnnl::memory next_weights(const std::vector<float>& params, std::size_t& at, dims d, const dnnl::memory::desc& want) {
    auto m = weights(params, at, d, want);
    at += dnnl::memory::desc(d, dt::f32, d.size() == 1 ? tag::x : tag::oihw).get_size() / sizeof(float);
    return m;
  }

  dnnl::memory::dim n_ = 1;
  dnnl::memory user_in_, user_out_;
  std::string names_;
};

} // namespace

std::unique_ptr<onednn_model> make_onednn_graph(const std::vector<float>& params, int batch, std::string&) {
  return std::make_unique<onednn_graph>(params, batch);
}

} // namespace bench
