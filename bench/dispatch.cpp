// One binary for every CPU, measured: the dispatched network (ctnn::dispatched, kernels built
// with -march=x86-64-v4 / v3 / x86-64 and generic tuning, one indirect call per sample) beside
// the same network built for this machine (ctnn::net with -march=native), same weights, same
// inputs, in the two modes of bench/README.md.
#include "dispatch.hpp"

#include "dispatch_models.hpp"
#include "mlp_small_dispatch.hpp"
#include "mnist_mlp_dispatch.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace bench {
namespace {

constexpr int ring = 64;

template <class Model>
struct dispatch_contest {
  ctnn::net<Model> native = ctnn::make<Model>(ctnn::init::pytorch_default{}, 2024);
  std::unique_ptr<ctnn::dispatched<Model>> dispatched;
  std::vector<typename ctnn::net<Model>::input_type> inputs;

  explicit dispatch_contest(std::span<const ctnn::dispatch_entry> entries)
      : dispatched(std::make_unique<ctnn::dispatched<Model>>(entries, native)) {
    ctnn::rng g(7);
    inputs.resize(ring);
    for (auto& x : inputs)
      for (auto& v : x) v = float(g.uniform(-1, 1));
  }
  /// Every instruction set this CPU runs gives the native network's outputs (within float
  /// rounding: the kernels differ in register width, hence in summation order).
  void cross_check(std::span<const ctnn::dispatch_entry> entries) {
    for (const auto& e : entries) {
      if (!ctnn::cpu_supports(e.isa)) continue;
      dispatched->use(e.isa);
      for (const auto& x : inputs) {
        const auto a = native(x), b = (*dispatched)(x);
        for (std::size_t j = 0; j < a.size(); ++j)
          if (std::abs(a[j] - b[j]) > 1e-4f * std::max(1.f, std::abs(a[j])))
            throw std::runtime_error(std::string("dispatched ") + e.isa + " differs from the native network");
      }
    }
  }
};

template <class Model>
void register_one(const char* id, std::span<const ctnn::dispatch_entry> entries) {
  static dispatch_contest<Model> c(entries);
  c.cross_check(entries);
  for (bool dependent : {false, true}) {
    const std::string mode = dependent ? "dependent" : "independent";
    auto loop = [dependent](benchmark::State& st, auto&& run) {
      auto x = c.inputs[0];
      const float x0 = x[0];
      std::size_t k = 0;
      for (auto _ : st) {
        if (dependent) {
          const auto y = run(x);
          x[0] = x0 + y[0] * 1e-30f; // the next call waits for this one's output
          benchmark::DoNotOptimize(x);
        } else {
          auto y = run(c.inputs[k++ % ring]);
          benchmark::DoNotOptimize(y);
        }
      }
    };
    benchmark::RegisterBenchmark((std::string("dispatch/") + id + "/native/" + mode).c_str(),
                                 [loop](benchmark::State& st) { loop(st, [](const auto& x) { return c.native(x); }); });
    for (const auto& e : entries) {
      if (!ctnn::cpu_supports(e.isa)) continue;
      const std::string isa = e.isa;
      benchmark::RegisterBenchmark((std::string("dispatch/") + id + "/" + isa + "/" + mode).c_str(),
                                   [loop, isa](benchmark::State& st) {
                                     c.dispatched->use(isa);
                                     loop(st, [](const auto& x) { return (*c.dispatched)(x); });
                                   });
    }
  }
}

} // namespace

void register_dispatch_benchmarks() {
  register_one<bench_models::mlp_small>("mlp_small", mlp_small_dispatch());
  register_one<bench_models::mnist_mlp>("mnist_mlp", mnist_mlp_dispatch());
}

std::string dispatch_table(const collector& c) {
  std::ostringstream md;
  md << "\n| one binary for every CPU (ns per call) | mode | native (-march=native) | dispatched avx512 | "
        "dispatched avx2 | dispatched sse2 | best dispatched / native |\n";
  md << "|---|---|---:|---:|---:|---:|---:|\n";
  for (std::string id : {"mlp_small", "mnist_mlp"})
    for (std::string mode : {"independent", "dependent"}) {
      const auto* n = c.find("dispatch/" + id + "/native/" + mode);
      if (!n) continue;
      const collector::result* best = nullptr;
      md << "| " << id << " | " << mode << " | " << fmt(n->ns);
      for (std::string isa : {"avx512", "avx2", "sse2"}) {
        const auto* r = c.find("dispatch/" + id + "/" + isa + "/" + mode);
        md << " | " << (r ? fmt(r->ns) : "not on this CPU");
        if (r && !best) best = r;
      }
      md << " | " << (best ? fmt(best->ns / n->ns, "%.3fx") : "-") << " |\n";
    }
  return md.str();
}

} // namespace bench
