// One binary for every CPU: a network whose kernels were compiled for several instruction sets
// (AVX-512, AVX2, SSE2), one of which is chosen once, when the network is made, by what the CPU
// running the program has. The default build (one -march for the whole program, ctnn::net) stays
// the fastest for its -march; dispatching costs one indirect call per sample.
//
// CMake writes the per-instruction-set translation units and the table that lists them:
//
//   ctnn_add_dispatch(app NAME mlp HEADER model.hpp MODEL mlp::model)   # ISAS avx512 avx2 sse2
//
//   #include "mlp_dispatch.hpp"                          // generated: mlp_dispatch()
//   ctnn::net<mlp::model> trained = ...;                  // loaded from a file, or embedded
//   ctnn::dispatched<mlp::model> net(mlp_dispatch(), trained);
//   net(x.data(), y.data());                              // noexcept, no allocation
//   std::puts(net.isa());                                 // "avx512" on an AVX-512 machine
//
// How the instruction sets stay apart: each translation unit of an instruction set is compiled
// with -DCTNN_ISA=<isa>, which puts everything ctnn compiles there into the inline namespace
// ctnn::isa_<isa> (ctnn/core/config.hpp), so no kernel or inline function of one instruction set
// can be linked in place of another's. Inline functions outside ctnn (the standard library's,
// xsimd's detection) are shared: ctnn_add_dispatch lists the translation units lowest
// instruction set first, after the target's own sources, and the linker keeps the first copy.
// The header a dispatched model lives in should hold its type only.
#pragma once

#include <ctnn/runtime/cpu.hpp>
#include <ctnn/runtime/dispatch_entry.hpp>
#include <ctnn/runtime/network.hpp>

#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ctnn {

/// A network of topology Model (float) running the kernels of the best instruction set, among
/// `entries`, that the CPU has. Entries come best first (ctnn_add_dispatch's table does).
template <class Model>
class dispatched {
  using reference = net<Model, float>;

public:
  using input_type = typename reference::input_type;
  using output_type = typename reference::output_type;
  static constexpr std::size_t input_size = reference::input_size;
  static constexpr std::size_t output_size = reference::output_size;

  /// With the parameters of `n`. Throws std::invalid_argument if no entry runs on this CPU or
  /// the entries were built for another model.
  dispatched(std::span<const dispatch_entry> entries, const reference& n)
      : entries_(entries.begin(), entries.end()), params_(n.export_parameters()) {
    for (const auto& e : entries_)
      if (e.param_count != reference::param_count || e.input_size != input_size || e.output_size != output_size)
        throw std::invalid_argument(std::string("ctnn::dispatched: the '") + e.isa +
                                    "' entry was built for another model (other sizes)");
    for (const auto& e : entries_)
      if (cpu_supports(e.isa)) {
        select(e);
        return;
      }
    throw std::invalid_argument("ctnn::dispatched: none of the instruction sets built (" + names() +
                                ") runs on this CPU");
  }
  dispatched(const dispatched&) = delete;
  dispatched& operator=(const dispatched&) = delete;
  ~dispatched() {
    if (impl_) entry_.destroy(impl_);
  }

  /// The instruction set in use: "avx512", "avx2" or "sse2".
  const char* isa() const noexcept { return entry_.isa; }
  /// Switches to the entry for `isa` (for tests and measurements). Throws std::invalid_argument
  /// if it was not built or the CPU lacks it; the network is then unchanged.
  void use(std::string_view isa) {
    for (const auto& e : entries_)
      if (e.isa == isa) {
        if (!cpu_supports(isa))
          throw std::invalid_argument("ctnn::dispatched::use: this CPU lacks " + std::string(isa));
        select(e);
        return;
      }
    throw std::invalid_argument("ctnn::dispatched::use: '" + std::string(isa) + "' was not built (built: " + names() +
                                ")");
  }

  /// One sample: x holds input_size values, y receives output_size. noexcept, no allocation.
  void operator()(const float* x, float* y) const noexcept { entry_.forward(impl_, x, y); }
  output_type operator()(const input_type& x) const noexcept {
    detail::frame<float, output_size> y;
    entry_.forward(impl_, x.data(), y);
    return detail::outputs<float, typename reference::output_parts>::split(y);
  }
  /// n samples (rows of input_size values) into rows of output_size. One caller at a time: the
  /// batch path reuses a workspace (the single-sample path is safe from any number of threads).
  void predict(const float* x, float* y, std::size_t n) const { entry_.predict(impl_, x, y, n); }

private:
  void select(const dispatch_entry& e) {
    void* fresh = e.create(params_.data()); // may throw: the current entry stays
    if (impl_) entry_.destroy(impl_);
    impl_ = fresh;
    entry_ = e;
  }
  std::string names() const {
    std::string s;
    for (const auto& e : entries_) s += (s.empty() ? "" : ", ") + std::string(e.isa);
    return s;
  }

  std::vector<dispatch_entry> entries_;
  std::vector<float> params_;
  dispatch_entry entry_{};
  void* impl_ = nullptr;
};

} // namespace ctnn
