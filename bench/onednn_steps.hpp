// What the oneDNN anchors share (onednn_anchor.cpp, onednn_graph.cpp): an engine and stream, the
// primitives run in order with their argument maps, and weights reordered once into the layout a
// primitive chose. Included only by files that see oneDNN's headers.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bench {

class onednn_steps {
protected:
  onednn_steps() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

  /// Parameters at params[at..] in PyTorch's plain layout (oihw or x), reordered into `want`.
  dnnl::memory weights(const std::vector<float>& params, std::size_t at, const dnnl::memory::dims& d,
                       const dnnl::memory::desc& want) {
    using tag = dnnl::memory::format_tag;
    dnnl::memory user({d, dnnl::memory::data_type::f32, d.size() == 1 ? tag::x : tag::oihw}, engine_,
                      const_cast<float*>(params.data() + at));
    dnnl::memory own(want, engine_); // a copy: the caller's vector may go away
    dnnl::reorder(user, own).execute(stream_, user, own);
    stream_.wait();
    return own;
  }
  void add(dnnl::primitive p, std::unordered_map<int, dnnl::memory> args) {
    steps_.push_back(std::move(p));
    args_.push_back(std::move(args));
  }
  /// Runs every primitive in order and waits.
  void run() {
    for (std::size_t k = 0; k < steps_.size(); ++k) steps_[k].execute(stream_, args_[k]);
    stream_.wait();
  }

  dnnl::engine engine_;
  dnnl::stream stream_;

private:
  std::vector<dnnl::primitive> steps_;
  std::vector<std::unordered_map<int, dnnl::memory>> args_;
};

} // namespace bench
