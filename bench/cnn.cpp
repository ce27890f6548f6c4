// mnist_cnn (bench/README.md): ctnn beside oneDNN (direct convolution), a hand-written im2col + Eigen
// GEMM and libtorch, in one process, with the same weights and inputs, every output checked
// against a double reference before anything is timed. Single samples (independent and
// dependent calls), batch-64 inference, batch-64 training steps on one and two threads.
#include "cnn.hpp"

#include "cnn_networks.hpp" // ctnn first (kernels/simd.hpp silences GCC 12's AVX-512 warnings)

#include "eigen_cnn.hpp"
#include "onednn_anchor.hpp"
#include "torch_anchor.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace bench {
namespace {

constexpr int ring = 64, batch = 64; // the independent mode cycles through the ring; one batch is the ring
using sample = nn::tensor<float, mnist_cnn::input_shape>;

struct cnn_contestants {
  nn::net<mnist_cnn> net = nn::make<mnist_cnn>(nn::init::pytorch_default{}, 2024);
  std::vector<float> params = net.export_parameters();
  std::unique_ptr<eigen_mnist_cnn> eigen = std::make_unique<eigen_mnist_cnn>(params);
  std::string onednn_note, torch_note;
  std::unique_ptr<onednn_model> onednn_single = make_onednn_cnn(params, 1, onednn_note);
  std::unique_ptr<onednn_model> onednn_batch = make_onednn_cnn(params, batch, onednn_note);
  std::unique_ptr<torch_model> torch = make_torch_cnn(params, torch_optimizer::sgd, torch_note);
  std::vector<sample> inputs;
  std::vector<float> batch_x; ///< the ring as one [64, 1, 28, 28] batch

  cnn_contestants() {
    nn::rng g(7);
    inputs.resize(ring);
    for (auto& x : inputs)
      for (auto& v : x) v = float(g.uniform(-1, 1));
    for (const auto& x : inputs) batch_x.insert(batch_x.end(), x.data(), x.data() + cnn::in);
    // the cross-check: single calls and whole batches of every contestant against the reference
    std::vector<float> y(std::size_t(batch) * cnn::classes);
    auto check_batch = [&](const std::string& who) {
      for (int r = 0; r < batch; ++r)
        check_against_reference(who, reference_cnn(params, inputs[std::size_t(r)].data()), y.data() + r * cnn::classes);
    };
    for (int r = 0; r < ring; ++r) {
      const auto ref = reference_cnn(params, inputs[std::size_t(r)].data());
      check_against_reference("ctnn", ref, net(inputs[std::size_t(r)]).data());
      (*eigen)(inputs[std::size_t(r)].data(), y.data(), 1);
      check_against_reference("eigen", ref, y.data());
      if (onednn_single) {
        onednn_single->infer(inputs[std::size_t(r)].data(), y.data());
        check_against_reference("oneDNN", ref, y.data());
      }
      if (torch) {
        torch->infer(inputs[std::size_t(r)].data(), y.data(), 1);
        check_against_reference("libtorch", ref, y.data());
      }
    }
    auto ws = net.make_workspace(batch);
    net.predict(ws, batch_x.data(), y.data(), batch);
    check_batch("ctnn batch");
    (*eigen)(batch_x.data(), y.data(), batch);
    check_batch("eigen batch");
    if (onednn_batch) {
      onednn_batch->infer(batch_x.data(), y.data());
      check_batch("oneDNN batch");
    }
    if (torch) {
      torch->infer(batch_x.data(), y.data(), batch);
      check_batch("libtorch batch");
    }
  }
};

cnn_contestants& contestants() {
  static cnn_contestants c;
  return c;
}

void set_counters(benchmark::State& st, double samples_per_iteration, double passes = 1) {
  st.SetItemsProcessed(std::int64_t(double(st.iterations()) * samples_per_iteration));
  st.counters["GFLOP/s"] = benchmark::Counter(2 * cnn::multiply_adds * samples_per_iteration * passes * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

/// run(contestants, x, y) computes one sample's logits y from x; missing(contestants) says why
/// the contestant is absent from this build (empty if it is present).
using single_call = std::function<void(cnn_contestants&, const sample&, float*)>;

void register_single(const std::string& who, single_call run, std::function<std::string(cnn_contestants&)> missing) {
  for (bool dependent : {false, true})
    benchmark::RegisterBenchmark(("infer/mnist_cnn/" + who + (dependent ? "/dependent" : "/independent")).c_str(),
                                 [run, missing, dependent](benchmark::State& st) {
                                   auto& c = contestants();
                                   if (const auto why = missing(c); !why.empty()) return st.SkipWithError(why.c_str());
                                   sample x = c.inputs[0];
                                   const float x0 = x[0];
                                   float y[cnn::classes];
                                   std::size_t k = 0;
                                   for (auto _ : st) {
                                     if (dependent) {
                                       run(c, x, y);
                                       x[0] = x0 + y[0] * 1e-30f; // numerically x0, but the next call must wait for y
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

std::string none(cnn_contestants&) { return {}; }
std::string no_onednn(cnn_contestants& c) { return c.onednn_single ? "" : c.onednn_note; }
std::string no_torch(cnn_contestants& c) { return c.torch ? "" : c.torch_note; }

void register_batch(const std::string& who, std::function<void(cnn_contestants&, const float*, float*)> run,
                    std::function<std::string(cnn_contestants&)> missing) {
  benchmark::RegisterBenchmark(("batch64/mnist_cnn/" + who).c_str(), [run, missing](benchmark::State& st) {
    auto& c = contestants();
    if (const auto why = missing(c); !why.empty()) return st.SkipWithError(why.c_str());
    std::vector<float> y(std::size_t(batch) * cnn::classes);
    for (auto _ : st) {
      run(c, c.batch_x.data(), y.data());
      benchmark::DoNotOptimize(y.data());
    }
    set_counters(st, batch);
  });
}

std::pair<std::vector<float>, std::vector<std::int64_t>> training_batch() {
  nn::rng g(11);
  std::vector<float> x(std::size_t(batch) * cnn::in);
  std::vector<std::int64_t> labels(batch);
  for (auto& v : x) v = float(g.uniform(0, 1));
  for (auto& l : labels) l = std::int64_t(g.below(10));
  return {x, labels};
}

void register_training() {
  for (auto opt : {torch_optimizer::sgd, torch_optimizer::adam}) {
    const std::string name = opt == torch_optimizer::sgd ? "sgd" : "adam";
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark(("train/mnist_cnn/ctnn/" + name + (threads == 2 ? "/2threads" : "")).c_str(),
                                   [opt, threads](benchmark::State& st) {
                                     auto net = nn::make<mnist_cnn>(nn::init::pytorch_default{}, 5);
                                     const auto d = training_batch();
                                     auto run = [&](auto optimizer) {
                                       nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, optimizer};
                                       fit.set_threads(std::size_t(threads),
                                                       false); // exactly this many: the comparison is 1 vs 2
                                       fit.reserve(batch, 1);
                                       std::copy(d.first.begin(), d.first.end(), fit.work().input());
                                       for (int r = 0; r < batch; ++r)
                                         fit.targets()[r] = float(d.second[std::size_t(r)]);
                                       for (int warm = 0; warm < 10; ++warm) fit.step(batch);
                                       for (auto _ : st) benchmark::DoNotOptimize(fit.step(batch).loss);
                                     };
                                     if (opt == torch_optimizer::sgd)
                                       run(nn::optim::sgd{.lr = 0.01});
                                     else
                                       run(nn::optim::adam{.lr = 1e-3});
                                     set_counters(st, batch, 3);
                                   });
    benchmark::RegisterBenchmark(("train/mnist_cnn/libtorch/" + name).c_str(), [opt](benchmark::State& st) {
      const auto params = nn::make<mnist_cnn>(nn::init::pytorch_default{}, 5).export_parameters();
      std::string why;
      auto model = make_torch_cnn(params, opt, why);
      if (!model) return st.SkipWithError(why.c_str());
      const auto d = training_batch();
      for (auto _ : st) benchmark::DoNotOptimize(model->train_step(d.first.data(), d.second.data(), batch));
      set_counters(st, batch, 3);
    });
  }
}

} // namespace

void register_cnn_benchmarks() {
  contestants(); // builds and cross-checks every contestant; throws if one disagrees
  register_single(
      "ctnn",
      [](cnn_contestants& c, const sample& x, float* y) {
        const auto out = c.net(x);
        std::copy_n(out.data(), cnn::classes, y);
      },
      none);
  register_single(
      "eigen", [](cnn_contestants& c, const sample& x, float* y) { (*c.eigen)(x.data(), y, 1); }, none);
  register_single(
      "onednn", [](cnn_contestants& c, const sample& x, float* y) { c.onednn_single->infer(x.data(), y); }, no_onednn);
  register_single(
      "libtorch", [](cnn_contestants& c, const sample& x, float* y) { c.torch->infer(x.data(), y, 1); }, no_torch);

  register_batch(
      "ctnn",
      [](cnn_contestants& c, const float* x, float* y) {
        static auto ws = c.net.make_workspace(batch);
        c.net.predict(ws, x, y, batch);
      },
      none);
  register_batch(
      "eigen", [](cnn_contestants& c, const float* x, float* y) { (*c.eigen)(x, y, batch); }, none);
  register_batch(
      "onednn", [](cnn_contestants& c, const float* x, float* y) { c.onednn_batch->infer(x, y); }, no_onednn);
  register_batch(
      "libtorch", [](cnn_contestants& c, const float* x, float* y) { c.torch->infer(x, y, batch); }, no_torch);
  register_training();
}

std::string cnn_table(const collector& c, double peak_gflops) {
  std::ostringstream md;
  const char* anchors[] = {"eigen", "onednn", "libtorch"};
  md << "\n| mnist_cnn, one sample | ctnn ns | Eigen im2col ns | oneDNN ns | libtorch ns | ctnn / fastest anchor | "
        "ctnn GFLOP/s | % FMA peak |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (std::string mode : {"independent", "dependent"}) {
    const auto* a = c.find("infer/mnist_cnn/ctnn/" + mode);
    if (!a) continue;
    md << "| " << mode << " | " << fmt(a->ns);
    double fastest = 0;
    for (const char* who : anchors) {
      const auto* r = c.find(std::string("infer/mnist_cnn/") + who + "/" + mode);
      md << " | " << (r ? fmt(r->ns) : "skipped");
      if (r && (fastest == 0 || r->ns < fastest)) fastest = r->ns;
    }
    const double gflops = a->counters.at("GFLOP/s");
    md << " | " << (fastest > 0 ? fmt(a->ns / fastest, "%.2fx") : "-") << " | " << fmt(gflops) << " | "
       << (peak_gflops > 0 ? fmt(100 * gflops / peak_gflops) : "-") << " |\n";
  }
  auto rate = [](const collector::result* r) { return r->counters.at("items_per_second"); };
  md << "\n| mnist_cnn, batch 64 (samples/s) | ctnn | Eigen im2col | oneDNN | libtorch | ctnn / libtorch | ctnn / "
        "fastest anchor | ctnn % FMA peak |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  if (const auto* a = c.find("batch64/mnist_cnn/ctnn")) {
    md << "| inference | " << fmt(rate(a), "%.0f");
    double fastest = 0;
    for (const char* who : anchors) {
      const auto* r = c.find(std::string("batch64/mnist_cnn/") + who);
      md << " | " << (r ? fmt(rate(r), "%.0f") : "skipped");
      if (r) fastest = std::max(fastest, rate(r));
    }
    const auto* t = c.find("batch64/mnist_cnn/libtorch");
    md << " | " << (t ? fmt(rate(a) / rate(t), "%.2fx") : "-") << " | "
       << (fastest > 0 ? fmt(rate(a) / fastest, "%.2fx") : "-") << " | "
       << (peak_gflops > 0 ? fmt(100 * a->counters.at("GFLOP/s") / peak_gflops) : "-") << " |\n";
  }
  for (std::string opt : {"sgd", "adam"}) {
    const auto* a = c.find("train/mnist_cnn/ctnn/" + opt);
    const auto* t = c.find("train/mnist_cnn/libtorch/" + opt);
    if (!a) continue;
    md << "| training step, " << (opt == "sgd" ? "SGD" : "Adam") << ", 1 thread | " << fmt(rate(a), "%.0f")
       << " | - | - | " << (t ? fmt(rate(t), "%.0f") : "skipped") << " | "
       << (t ? fmt(rate(a) / t->counters.at("items_per_second"), "%.2fx") : "-") << " | - | "
       << (peak_gflops > 0 ? fmt(100 * a->counters.at("GFLOP/s") / peak_gflops) : "-") << " |\n";
  }
  md << "\n| ctnn training, mnist_cnn, batch 64 (samples/s) | 1 thread | 2 threads | 2 threads / 1 thread |\n";
  md << "|---|---:|---:|---:|\n";
  for (std::string opt : {"sgd", "adam"}) {
    const auto* one = c.find("train/mnist_cnn/ctnn/" + opt);
    const auto* two = c.find("train/mnist_cnn/ctnn/" + opt + "/2threads");
    if (!one || !two) continue;
    md << "| " << opt << " | " << fmt(rate(one), "%.0f") << " | " << fmt(rate(two), "%.0f") << " | "
       << fmt(rate(two) / rate(one), "%.2fx") << " |\n";
  }
  const auto& k = contestants();
  if (k.onednn_single)
    md << "\noneDNN's choice: " << k.onednn_single->configuration() << " (one sample); "
       << k.onednn_batch->configuration() << " (batch 64).\n";
  else
    md << "\n" << k.onednn_note << "\n";
  if (!k.torch) md << "\n" << k.torch_note << "\n";
  return md.str();
}

} // namespace bench
