// graph_cnn (bench/README.md): a residual block and an Inception module, ctnn beside libtorch
// (the same graph written with torch's functional ops) and oneDNN (bench/onednn_graph.cpp) in one
// process, with the same weights and
// inputs, every output checked against ctnn's double-precision network (itself checked against
// PyTorch by tests/oracle) before anything is timed. Single samples (independent and dependent
// calls) and batches of 64.
#include "graphs.hpp"

#include "graph_networks.hpp" // ctnn first (kernels/simd.hpp silences GCC 12's AVX-512 warnings)

#include "onednn_anchor.hpp"
#include "torch_anchor.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace bench {
namespace {

constexpr int ring = 64, batch = 64;
using sample = nn::tensor<float, graph_cnn::input_shape>;

/// graph_cnn's layers as separate chains run back to back on one sample, without the merges (each
/// part reads the previous part's output; the numbers are not graph_cnn's, the work is).
struct parts_chain {
  nn::net<graph_parts::stem> stem = nn::make<graph_parts::stem>(nn::init::pytorch_default{}, 1);
  nn::net<graph_parts::residual_body> body = nn::make<graph_parts::residual_body>(nn::init::pytorch_default{}, 2);
  nn::net<graph_parts::pool> pool = nn::make<graph_parts::pool>(nn::init::pytorch_default{}, 3);
  nn::net<graph_parts::branch0> b0 = nn::make<graph_parts::branch0>(nn::init::pytorch_default{}, 4);
  nn::net<graph_parts::branch1> b1 = nn::make<graph_parts::branch1>(nn::init::pytorch_default{}, 5);
  nn::net<graph_parts::branch2> b2 = nn::make<graph_parts::branch2>(nn::init::pytorch_default{}, 6);
  nn::net<graph_parts::head> head = nn::make<graph_parts::head>(nn::init::pytorch_default{}, 7);
  std::vector<float> a = std::vector<float>(16 * 32 * 32), b = std::vector<float>(16 * 32 * 32),
                     c = std::vector<float>(48 * 16 * 16);
  void operator()(const float* x, float* y) {
    stem(x, a.data());
    body(a.data(), b.data());
    pool(b.data(), a.data());
    b0(a.data(), c.data());
    b1(a.data(), c.data() + 16 * 16 * 16);
    b2(a.data(), c.data() + 2 * 16 * 16 * 16);
    head(c.data(), y);
  }
};

struct graph_contestants {
  nn::net<graph_cnn> net = nn::make<graph_cnn>(nn::init::pytorch_default{}, 2025);
  parts_chain parts;
  std::vector<float> params = net.export_parameters();
  std::string torch_note, onednn_note;
  std::unique_ptr<torch_model> torch = make_torch_graph(params, torch_note);
  std::unique_ptr<onednn_model> onednn_single = make_onednn_graph(params, 1, onednn_note);
  std::unique_ptr<onednn_model> onednn_batch = make_onednn_graph(params, batch, onednn_note);
  std::vector<sample> inputs;
  std::vector<float> batch_x;

  graph_contestants() {
    nn::rng g(9);
    inputs.resize(ring);
    for (auto& x : inputs)
      for (auto& v : x) v = float(g.uniform(-1, 1));
    for (const auto& x : inputs) batch_x.insert(batch_x.end(), x.data(), x.data() + graph::in);
    nn::net<graph_cnn, double> reference(std::vector<double>(params.begin(), params.end()));
    std::vector<float> y(std::size_t(batch) * graph::classes);
    for (int r = 0; r < ring; ++r) {
      nn::tensor<double, graph_cnn::input_shape> xd;
      std::copy(inputs[std::size_t(r)].begin(), inputs[std::size_t(r)].end(), xd.begin());
      const auto ref = reference(xd);
      const std::vector<double> want(ref.begin(), ref.end());
      check_against_reference("ctnn", want, net(inputs[std::size_t(r)]).data());
      if (torch) {
        torch->infer(inputs[std::size_t(r)].data(), y.data(), 1);
        check_against_reference("libtorch", want, y.data());
      }
      if (onednn_single) {
        onednn_single->infer(inputs[std::size_t(r)].data(), y.data());
        check_against_reference("oneDNN", want, y.data());
      }
    }
    if (onednn_batch) {
      std::vector<float> mine(y.size());
      auto ws = net.make_workspace(batch);
      net.predict(ws, batch_x.data(), mine.data(), batch);
      onednn_batch->infer(batch_x.data(), y.data());
      for (int r = 0; r < batch; ++r)
        check_against_reference(
            "oneDNN batch",
            std::vector<double>(mine.begin() + r * graph::classes, mine.begin() + (r + 1) * graph::classes),
            y.data() + r * graph::classes);
    }
    if (torch) {
      torch->infer(batch_x.data(), y.data(), batch);
      std::vector<float> mine(y.size());
      auto ws = net.make_workspace(batch);
      net.predict(ws, batch_x.data(), mine.data(), batch);
      for (int r = 0; r < batch; ++r)
        check_against_reference(
            "libtorch batch",
            std::vector<double>(mine.begin() + r * graph::classes, mine.begin() + (r + 1) * graph::classes),
            y.data() + r * graph::classes);
    }
  }
};

graph_contestants& contestants() {
  static graph_contestants c;
  return c;
}

void set_counters(benchmark::State& st, double samples_per_iteration) {
  st.SetItemsProcessed(std::int64_t(double(st.iterations()) * samples_per_iteration));
  st.counters["GFLOP/s"] = benchmark::Counter(2 * graph::multiply_adds * samples_per_iteration * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

using single_call = std::function<void(graph_contestants&, const sample&, float*)>;
using missing_fn = std::function<std::string(graph_contestants&)>;

void register_single(const std::string& who, single_call run, missing_fn missing) {
  for (bool dependent : {false, true})
    benchmark::RegisterBenchmark(("infer/graph_cnn/" + who + (dependent ? "/dependent" : "/independent")).c_str(),
                                 [run, missing, dependent](benchmark::State& st) {
                                   auto& c = contestants();
                                   if (const auto why = missing(c); !why.empty()) return st.SkipWithError(why.c_str());
                                   sample x = c.inputs[0];
                                   const float x0 = x[0];
                                   float y[graph::classes];
                                   std::size_t k = 0;
                                   for (auto _ : st) {
                                     if (dependent) {
                                       run(c, x, y);
                                       x[0] = x0 + y[0] * 1e-30f; // the next call must wait for y
                                       benchmark::DoNotOptimize(x.data());
                                     } else {
                                       run(c, c.inputs[k++ % ring], y);
                                     }
                                     benchmark::DoNotOptimize(y);
                                     benchmark::ClobberMemory();
                                   }
                                   set_counters(st, 1);
                                 });
}

void register_batch(const std::string& who, std::function<void(graph_contestants&, const float*, float*)> run,
                    missing_fn missing) {
  benchmark::RegisterBenchmark(("batch64/graph_cnn/" + who).c_str(), [run, missing](benchmark::State& st) {
    auto& c = contestants();
    if (const auto why = missing(c); !why.empty()) return st.SkipWithError(why.c_str());
    std::vector<float> y(std::size_t(batch) * graph::classes);
    for (auto _ : st) {
      run(c, c.batch_x.data(), y.data());
      benchmark::DoNotOptimize(y.data());
    }
    set_counters(st, batch);
  });
}

std::string none(graph_contestants&) { return {}; }
std::string no_torch(graph_contestants& c) { return c.torch ? "" : c.torch_note; }
std::string no_onednn(graph_contestants& c) { return c.onednn_single ? "" : c.onednn_note; }

} // namespace

void register_graph_benchmarks() {
  contestants(); // builds and cross-checks every contestant; throws if one disagrees
  register_single(
      "ctnn",
      [](graph_contestants& c, const sample& x, float* y) {
        const auto out = c.net(x);
        std::copy_n(out.data(), graph::classes, y);
      },
      none);
  register_single(
      "libtorch", [](graph_contestants& c, const sample& x, float* y) { c.torch->infer(x.data(), y, 1); }, no_torch);
  register_single(
      "onednn", [](graph_contestants& c, const sample& x, float* y) { c.onednn_single->infer(x.data(), y); },
      no_onednn);
  register_single(
      "ctnn_parts", [](graph_contestants& c, const sample& x, float* y) { c.parts(x.data(), y); }, none);
  register_batch(
      "ctnn",
      [](graph_contestants& c, const float* x, float* y) {
        static auto ws = c.net.make_workspace(batch);
        c.net.predict(ws, x, y, batch);
      },
      none);
  register_batch(
      "libtorch", [](graph_contestants& c, const float* x, float* y) { c.torch->infer(x, y, batch); }, no_torch);
  register_batch(
      "onednn", [](graph_contestants& c, const float* x, float* y) { c.onednn_batch->infer(x, y); }, no_onednn);
}

std::string graph_table(const collector& c, double peak_gflops) {
  std::ostringstream md;
  md << "\n| graph_cnn (residual + Inception, 3x32x32) | ctnn | libtorch | oneDNN | ctnn / fastest anchor | ctnn "
        "GFLOP/s | % FMA peak |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|\n";
  for (std::string mode : {"independent", "dependent"}) {
    const auto* a = c.find("infer/graph_cnn/ctnn/" + mode);
    if (!a) continue;
    const auto* t = c.find("infer/graph_cnn/libtorch/" + mode);
    const auto* o = c.find("infer/graph_cnn/onednn/" + mode);
    double fastest = 0;
    for (const auto* r : {t, o})
      if (r && (fastest == 0 || r->ns < fastest)) fastest = r->ns;
    const double gflops = a->counters.at("GFLOP/s");
    md << "| one sample, " << mode << " (ns) | " << fmt(a->ns) << " | " << (t ? fmt(t->ns) : "skipped") << " | "
       << (o ? fmt(o->ns) : "skipped") << " | " << (fastest > 0 ? fmt(fastest / a->ns, "%.2fx") : "-") << " | "
       << fmt(gflops) << " | " << (peak_gflops > 0 ? fmt(100 * gflops / peak_gflops) : "-") << " |\n";
  }
  if (const auto* a = c.find("batch64/graph_cnn/ctnn")) {
    auto rate = [](const collector::result* r) { return r->counters.at("items_per_second"); };
    const auto* t = c.find("batch64/graph_cnn/libtorch");
    const auto* o = c.find("batch64/graph_cnn/onednn");
    double fastest = 0;
    for (const auto* r : {t, o})
      if (r) fastest = std::max(fastest, rate(r));
    const double gflops = a->counters.at("GFLOP/s");
    md << "| batch 64 (samples/s) | " << fmt(rate(a), "%.0f") << " | " << (t ? fmt(rate(t), "%.0f") : "skipped")
       << " | " << (o ? fmt(rate(o), "%.0f") : "skipped") << " | "
       << (fastest > 0 ? fmt(rate(a) / fastest, "%.2fx") : "-") << " | " << fmt(gflops) << " | "
       << (peak_gflops > 0 ? fmt(100 * gflops / peak_gflops) : "-") << " |\n";
  }
  md << "\n(ctnn / fastest anchor: how many times faster ctnn is than the faster of libtorch and oneDNN; > 1 "
        "favours ctnn.)\n";
  if (const auto* g = c.find("infer/graph_cnn/ctnn/independent"), *p = c.find("infer/graph_cnn/ctnn_parts/independent");
      g && p) {
    md << "\n| graph_cnn, one sample | the graph | its layers as chains, no merges | graph - chains | merges' "
          "traffic |\n|---|---:|---:|---:|---:|\n| ns | "
       << fmt(g->ns) << " | " << fmt(p->ns) << " | " << fmt(g->ns - p->ns) << " | "
       << fmt(graph_parts::merge_bytes / 1024, "%.0f KiB") << " |\n";
  }
  const auto& k = contestants();
  if (k.onednn_single) md << "\noneDNN's choice (one sample): " << k.onednn_single->configuration() << ".\n";
  if (!k.onednn_single) md << "\n" << k.onednn_note << "\n";
  if (!k.torch) md << "\n" << k.torch_note << "\n";
  return md.str();
}

} // namespace bench
