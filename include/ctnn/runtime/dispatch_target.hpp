// One instruction set's side of a dispatched network: a translation unit compiled for that
// instruction set (flags such as -march=x86-64-v4, and -DCTNN_ISA=avx512 so that everything ctnn
// compiles there has its own symbols) includes the model's header and this one, then writes
//
//   CTNN_DISPATCH_TARGET(mlp, mlp::model)
//
// which defines the constant `ctnn::dispatch_entry ctnn_dispatch_mlp_avx512`. CMake's ctnn_add_dispatch
// writes these translation units and the table that lists them (see ctnn/runtime/dispatch.hpp).
#pragma once

#include <ctnn/runtime/dispatch_entry.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

namespace CTNN_NAMESPACE::detail {

template <class Model>
struct dispatch_target {
  using net_type = net<Model, float>;
  /// The batch path keeps one workspace per network, grown on demand.
  struct instance {
    net_type n;
    mutable workspace<float> ws;
  };
  static void* create(const float* params) {
    auto* p = new instance{net_type{}, workspace<float>{}};
    p->n.import_parameters(std::span<const float>(params, net_type::param_count));
    return p;
  }
  static void destroy(void* p) noexcept { delete static_cast<instance*>(p); }
  static void forward(const void* p, const float* x, float* y) noexcept { static_cast<const instance*>(p)->n(x, y); }
  static void predict(const void* p, const float* x, float* y, std::size_t n) {
    const auto& in = *static_cast<const instance*>(p);
    constexpr std::size_t chunk = 256;
    if (in.ws.capacity() < std::min(n, chunk)) in.ws = in.n.make_workspace(std::min(n, chunk));
    for (std::size_t at = 0; at < n; at += chunk) {
      const std::size_t m = std::min(chunk, n - at);
      in.n.predict(in.ws, x + at * net_type::input_size, y + at * net_type::output_size, m);
    }
  }
  static constexpr dispatch_entry entry(const char* isa) noexcept {
    return {isa,     net_type::param_count, net_type::input_size, net_type::output_size, &create, &destroy, &forward,
            &predict};
  }
};

} // namespace CTNN_NAMESPACE::detail

#define CTNN_DISPATCH_CAT_(a, b, c) a##b##_##c
#define CTNN_DISPATCH_CAT(a, b, c) CTNN_DISPATCH_CAT_(a, b, c)
#define CTNN_DISPATCH_STR_(x) #x
#define CTNN_DISPATCH_STR(x) CTNN_DISPATCH_STR_(x)

/// Defines `const ctnn::dispatch_entry ctnn_dispatch_<name>_<CTNN_ISA>` for the model type
/// `model`. Constant-initialized data, not a function: reading it runs no code of this
/// instruction set, so any CPU can list the entries before choosing one.
#define CTNN_DISPATCH_TARGET(name, model)                                                                              \
  extern const ::ctnn::dispatch_entry CTNN_DISPATCH_CAT(ctnn_dispatch_, name, CTNN_ISA);                               \
  constinit const ::ctnn::dispatch_entry CTNN_DISPATCH_CAT(ctnn_dispatch_, name, CTNN_ISA) =                           \
      ::ctnn::detail::dispatch_target<model>::entry(CTNN_DISPATCH_STR(CTNN_ISA));
