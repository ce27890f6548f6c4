// ctnn against hand-written Eigen and libtorch, in one process, on the standard networks of
// bench/README.md. Every implementation gets the same weights and is checked against a double
// reference before anything is timed. Medians of repetitions; the closing markdown table gives
// ratios taken in this run, the fraction of this core's FMA peak and of the L2 read bound,
// both measured in this run too.
//
//   bench_ctnn [--markdown=FILE] [google benchmark flags]
// ctnn first: its first inclusion of the x86 intrinsics headers is the one that silences GCC 12's
// false AVX-512 warnings (kernels/simd.hpp); Eigen would otherwise include them unguarded.
#include "standard_networks.hpp"

#include "cnn.hpp"
#include "dispatch.hpp"
#include "eigen_anchor.hpp"
#include "graphs.hpp"
#include "report.hpp"
#include "rnn.hpp"
#include "tcn.hpp"
#include "torch_anchor.hpp"

#include <atomic>
#include <benchmark/benchmark.h>
#include <thread>
#include <tuple>
#include <xsimd/xsimd.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {
using namespace bench;

constexpr int ring = 64; // distinct inputs cycled through by the independent mode
std::string torch_note;  // why libtorch is skipped, if it is

/// One standard network in all three implementations, with the same weights and inputs.
template <class Model, class EigenNet>
struct contestants {
  static constexpr int in = int(nn::net<Model>::input_size), out = int(nn::net<Model>::output_size);
  const spec& layers;
  nn::net<Model> net;
  std::vector<float> params;
  std::unique_ptr<EigenNet> eigen;
  std::unique_ptr<torch_model> torch;
  std::vector<nn::tensor<float, typename Model::input_shape>> inputs;
  std::vector<Eigen::Matrix<float, in, 1>> eigen_inputs;

  explicit contestants(const spec& s) : layers(s), net(nn::make<Model>(nn::init::pytorch_default{}, 2024)) {
    params = net.export_parameters();
    eigen = std::make_unique<EigenNet>(params);
    torch = make_torch_model(s, params, torch_optimizer::sgd, torch_note);
    nn::rng g(7);
    for (int r = 0; r < ring; ++r) {
      inputs.emplace_back();
      eigen_inputs.emplace_back();
      for (int i = 0; i < in; ++i) eigen_inputs.back()(i) = inputs.back()[std::size_t(i)] = float(g.uniform(-1, 1));
    }
    for (int r = 0; r < ring; ++r) { // the cross-check: nothing is timed unless all agree
      const auto ref = reference_forward(s, params, inputs[std::size_t(r)].data());
      check_against_reference("ctnn", ref, net(inputs[std::size_t(r)]).data());
      const Eigen::Matrix<float, out, 1> e = (*eigen)(eigen_inputs[std::size_t(r)]);
      check_against_reference("eigen", ref, e.data());
      if (torch) {
        std::vector<float> y(static_cast<std::size_t>(out));
        torch->infer(inputs[std::size_t(r)].data(), y.data(), 1);
        check_against_reference("libtorch", ref, y.data());
      }
    }
  }
};

template <class Model, class EigenNet>
contestants<Model, EigenNet>& get(const spec& s) {
  static contestants<Model, EigenNet> c(s);
  return c;
}

/// samples/s, and GFLOP/s counting `passes` passes through the weights per sample (1 for
/// inference; 3 for a training step: forward, input gradient and weight gradient).
void set_counters(benchmark::State& st, const spec& s, double samples_per_iteration, double passes = 1) {
  st.SetItemsProcessed(std::int64_t(double(st.iterations()) * samples_per_iteration));
  st.counters["GFLOP/s"] = benchmark::Counter(2 * multiply_adds(s) * samples_per_iteration * passes * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// Independent: back-to-back calls on a ring of inputs (throughput). Dependent: each input
// derived from the previous output (the latency a control or trading loop sees).
template <class Model, class EigenNet>
void register_single(const char* id, const spec& s) {
  using C = contestants<Model, EigenNet>;
  for (bool dependent : {false, true}) {
    const std::string mode = dependent ? "dependent" : "independent";
    benchmark::RegisterBenchmark((std::string("infer/") + id + "/ctnn/" + mode).c_str(),
                                 [&s, dependent](benchmark::State& st) {
                                   auto& c = get<Model, EigenNet>(s);
                                   auto x = c.inputs[0];
                                   const float x0 = x[0];
                                   std::size_t k = 0;
                                   for (auto _ : st) {
                                     if (dependent) {
                                       const auto y = c.net(x);
                                       x[0] = x0 + y[0] * 1e-30f; // numerically x0, but the next call must wait for y
                                       benchmark::DoNotOptimize(x);
                                     } else {
                                       auto y = c.net(c.inputs[k++ % ring]);
                                       benchmark::DoNotOptimize(y);
                                     }
                                   }
                                   set_counters(st, s, 1);
                                 });
    benchmark::RegisterBenchmark((std::string("infer/") + id + "/eigen/" + mode).c_str(),
                                 [&s, dependent](benchmark::State& st) {
                                   auto& c = get<Model, EigenNet>(s);
                                   Eigen::Matrix<float, C::in, 1> x = c.eigen_inputs[0];
                                   const float x0 = x(0);
                                   std::size_t k = 0;
                                   for (auto _ : st) {
                                     if (dependent) {
                                       const Eigen::Matrix<float, C::out, 1> y = (*c.eigen)(x);
                                       x(0) = x0 + y(0) * 1e-30f;
                                       benchmark::DoNotOptimize(x.data());
                                       benchmark::ClobberMemory();
                                     } else {
                                       Eigen::Matrix<float, C::out, 1> y = (*c.eigen)(c.eigen_inputs[k++ % ring]);
                                       benchmark::DoNotOptimize(y.data());
                                       benchmark::ClobberMemory();
                                     }
                                   }
                                   set_counters(st, s, 1);
                                 });
    benchmark::RegisterBenchmark((std::string("infer/") + id + "/libtorch/" + mode).c_str(),
                                 [&s, dependent](benchmark::State& st) {
                                   auto& c = get<Model, EigenNet>(s);
                                   if (!c.torch) return st.SkipWithError(torch_note.c_str());
                                   auto x = c.inputs[0];
                                   const float x0 = x[0];
                                   std::vector<float> y(static_cast<std::size_t>(C::out));
                                   std::size_t k = 0;
                                   for (auto _ : st) {
                                     if (dependent) {
                                       c.torch->infer(x.data(), y.data(), 1);
                                       x[0] = x0 + y[0] * 1e-30f;
                                     } else {
                                       c.torch->infer(c.inputs[k++ % ring].data(), y.data(), 1);
                                     }
                                     benchmark::DoNotOptimize(y.data());
                                   }
                                   set_counters(st, s, 1);
                                 });
  }
}

constexpr int batch = 64;

void register_mnist_batch() {
  using C = contestants<mnist_mlp, eigen_mnist_mlp>;
  static const spec& s = mnist_mlp_spec;
  benchmark::RegisterBenchmark("batch64/mnist_mlp/ctnn", [](benchmark::State& st) {
    auto& c = get<mnist_mlp, eigen_mnist_mlp>(s);
    auto ws = c.net.make_workspace(batch);
    std::vector<float> x(static_cast<std::size_t>(batch) * C::in), y(static_cast<std::size_t>(batch) * C::out);
    for (int r = 0; r < batch; ++r) std::copy_n(c.inputs[std::size_t(r)].data(), C::in, x.data() + r * C::in);
    c.net.predict(ws, x.data(), y.data(), batch);
    for (int r = 0; r < batch; ++r)
      check_against_reference("ctnn batch", reference_forward(s, c.params, c.inputs[std::size_t(r)].data()),
                              y.data() + r * C::out);
    for (auto _ : st) {
      c.net.predict(ws, x.data(), y.data(), batch);
      benchmark::DoNotOptimize(y.data());
    }
    set_counters(st, s, batch);
  });
  benchmark::RegisterBenchmark("batch64/mnist_mlp/eigen", [](benchmark::State& st) {
    auto& c = get<mnist_mlp, eigen_mnist_mlp>(s);
    Eigen::Matrix<float, C::in, Eigen::Dynamic> x(C::in, batch);
    for (int r = 0; r < batch; ++r) x.col(r) = c.eigen_inputs[std::size_t(r)];
    for (auto _ : st) {
      Eigen::Matrix<float, C::out, Eigen::Dynamic> y = (*c.eigen)(x);
      benchmark::DoNotOptimize(y.data());
      benchmark::ClobberMemory();
    }
    set_counters(st, s, batch);
  });
  benchmark::RegisterBenchmark("batch64/mnist_mlp/libtorch", [](benchmark::State& st) {
    auto& c = get<mnist_mlp, eigen_mnist_mlp>(s);
    if (!c.torch) return st.SkipWithError(torch_note.c_str());
    std::vector<float> x(static_cast<std::size_t>(batch) * C::in), y(static_cast<std::size_t>(batch) * C::out);
    for (int r = 0; r < batch; ++r) std::copy_n(c.inputs[std::size_t(r)].data(), C::in, x.data() + r * C::in);
    for (auto _ : st) {
      c.torch->infer(x.data(), y.data(), batch);
      benchmark::DoNotOptimize(y.data());
    }
    set_counters(st, s, batch);
  });
}

/// Training throughput: full steps (forward, softmax cross-entropy, backward, update), batch 64.
void register_training() {
  static const spec& s = mnist_mlp_spec;
  auto data = [] {
    nn::rng g(11);
    std::vector<float> x(std::size_t(batch) * 784);
    std::vector<std::int64_t> labels(batch);
    for (auto& v : x) v = float(g.uniform(0, 1));
    for (auto& l : labels) l = std::int64_t(g.below(10));
    return std::pair{x, labels};
  };
  for (auto opt : {torch_optimizer::sgd, torch_optimizer::adam}) {
    const std::string name = opt == torch_optimizer::sgd ? "sgd" : "adam";
    // threads: 1 or 2 (adaptive, as users run it); busy: another thread spins on a core meanwhile
    for (const auto& [suffix, threads, busy] : {std::tuple{"", 1, false}, std::tuple{"/2threads", 2, false},
                                                std::tuple{"/busy", 1, true}, std::tuple{"/2threads_busy", 2, true}}) {
      benchmark::RegisterBenchmark(("train/mnist_mlp/ctnn/" + name + suffix).c_str(),
                                   [opt, data, threads = threads, busy = busy](benchmark::State& st) {
                                     auto net = nn::make<mnist_mlp>(nn::init::pytorch_default{}, 5);
                                     const auto d = data(); // (no structured bindings: Clang 14 cannot capture them)
                                     std::atomic<bool> stop{false};
                                     std::thread spinner;
                                     if (busy)
                                       spinner = std::thread([&] {
                                         volatile double x = 1;
                                         while (!stop.load(std::memory_order_relaxed)) x = x * 1.0000001 + 1e-9;
                                       });
                                     auto run = [&](auto optimizer) {
                                       nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, optimizer};
                                       fit.set_threads(std::size_t(threads));
                                       fit.reserve(batch, 1);
                                       std::copy(d.first.begin(), d.first.end(), fit.work().input());
                                       for (int r = 0; r < batch; ++r)
                                         fit.targets()[r] = float(d.second[std::size_t(r)]);
                                       for (int warm = 0; warm < 80; ++warm)
                                         fit.step(batch); // lets the adaptive choice settle
                                       for (auto _ : st) benchmark::DoNotOptimize(fit.step(batch).loss);
                                     };
                                     if (opt == torch_optimizer::sgd)
                                       run(nn::optim::sgd{.lr = 0.01});
                                     else
                                       run(nn::optim::adam{.lr = 1e-3});
                                     stop = true;
                                     if (spinner.joinable()) spinner.join();
                                     set_counters(st, mnist_mlp_spec, batch, 3);
                                   });
    }
    benchmark::RegisterBenchmark(("train/mnist_mlp/libtorch/" + name).c_str(), [opt, data](benchmark::State& st) {
      const auto params = nn::make<mnist_mlp>(nn::init::pytorch_default{}, 5).export_parameters();
      std::string why;
      auto model = make_torch_model(s, params, opt, why);
      if (!model) return st.SkipWithError(why.c_str());
      const auto d = data();
      for (auto _ : st) benchmark::DoNotOptimize(model->train_step(d.first.data(), d.second.data(), batch));
      set_counters(st, s, batch, 3);
    });
  }
}

// This core's peak: independent FMA chains on full registers (enough of them to cover latency).
void machine_fma_peak(benchmark::State& st) {
  using V = xsimd::batch<float>;
  constexpr int chains = 16, inner = 256;
  V acc[chains];
  for (int j = 0; j < chains; ++j) acc[j] = V(float(j));
  const V a(0.999999f), b(1e-7f);
  for (auto _ : st) {
    for (int k = 0; k < inner; ++k)
      for (int j = 0; j < chains; ++j) acc[j] = nn::kernels::fma(acc[j], a, b);
    for (int j = 0; j < chains; ++j) benchmark::DoNotOptimize(acc[j]);
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * V::size * chains * inner * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// L2 read bandwidth: summing a 512 KiB buffer (beyond any L1, within the 1 MiB L2 of these cores).
void machine_l2_read(benchmark::State& st) {
  using V = xsimd::batch<float>;
  constexpr std::size_t bytes = 512 * 1024, n = bytes / sizeof(float);
  nn::aligned_buffer<float> buf(n);
  for (std::size_t i = 0; i < n; ++i) buf[i] = float(i % 7);
  for (auto _ : st) {
    V s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
    for (std::size_t i = 0; i < n; i += 4 * V::size) {
      s0 += V::load_aligned(buf.data() + i);
      s1 += V::load_aligned(buf.data() + i + V::size);
      s2 += V::load_aligned(buf.data() + i + 2 * V::size);
      s3 += V::load_aligned(buf.data() + i + 3 * V::size);
    }
    benchmark::DoNotOptimize(xsimd::hadd(s0 + s1 + s2 + s3));
  }
  st.counters["GB/s"] = benchmark::Counter(double(bytes) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

std::string table(const collector& c) {
  std::ostringstream md;
  const auto* peak = c.find("machine/fma_peak");
  const auto* l2 = c.find("machine/l2_read");
  const double peak_gflops = peak ? peak->counters.at("GFLOP/s") : 0; // rate counters are per second already
  const double l2_gbs = l2 ? l2->counters.at("GB/s") : 0;
  md << "Measured FMA peak of one core: " << fmt(peak_gflops)
     << " GFLOP/s; L2 read bandwidth (512 KiB buffer): " << fmt(l2_gbs) << " GB/s.\n\n";
  md << "| network | mode | ctnn ns | Eigen ns | libtorch ns | ctnn/Eigen | ctnn/libtorch | ctnn GFLOP/s | % FMA peak "
        "| % L2 bound |\n";
  md << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  const std::vector<std::pair<std::string, const spec*>> nets{{"mlp_small", &mlp_small_spec},
                                                              {"mlp_trading", &mlp_trading_spec},
                                                              {"mlp_eval", &mlp_eval_spec},
                                                              {"mnist_mlp", &mnist_mlp_spec}};
  for (const auto& [id, s] : nets)
    for (std::string mode : {"independent", "dependent"}) {
      const auto* a = c.find("infer/" + id + "/ctnn/" + mode);
      const auto* e = c.find("infer/" + id + "/eigen/" + mode);
      const auto* t = c.find("infer/" + id + "/libtorch/" + mode);
      if (!a) continue;
      const double gflops = a->counters.at("GFLOP/s");
      const bool l2_bound = id == "mlp_eval" || id == "mnist_mlp";
      md << "| " << id << " | " << mode << " | " << fmt(a->ns) << " | " << (e ? fmt(e->ns) : "-") << " | "
         << (t ? fmt(t->ns) : "skipped") << " | " << (e ? fmt(a->ns / e->ns, "%.2fx") : "-") << " | "
         << (t ? fmt(a->ns / t->ns, "%.3fx") : "-") << " | " << fmt(gflops) << " | "
         << (peak_gflops > 0 ? fmt(100 * gflops / peak_gflops) : "-") << " | "
         << (l2_bound && l2_gbs > 0 ? fmt(100 * (weight_bytes(*s) / l2_gbs) / a->ns) : "") << " |\n";
    }
  md << "\n% L2 bound: the time to read the weights once at the measured L2 bandwidth, over the measured time "
        "(mlp_eval\n"
        "and mnist_mlp). Above 100%: the weights are served faster than L2 can, i.e. from L1 (mlp_eval's 33 KB fit\n"
        "a 48 KB L1).\n";
  md << "\n| throughput (samples/s, median) | ctnn | Eigen | libtorch | ctnn/Eigen | ctnn/libtorch |\n";
  md << "|---|---:|---:|---:|---:|---:|\n";
  auto row = [&](const std::string& label, const std::string& a_name, const std::string& e_name,
                 const std::string& t_name) {
    const auto* a = c.find(a_name);
    const auto* e = e_name.empty() ? nullptr : c.find(e_name);
    const auto* t = c.find(t_name);
    if (!a) return;
    auto rate = [](const collector::result* r) { return r->counters.at("items_per_second"); };
    md << "| " << label << " | " << fmt(rate(a), "%.0f") << " | " << (e ? fmt(rate(e), "%.0f") : "-") << " | "
       << (t ? fmt(rate(t), "%.0f") : "skipped") << " | " << (e ? fmt(rate(a) / rate(e), "%.2fx") : "-") << " | "
       << (t ? fmt(rate(a) / rate(t), "%.2fx") : "-") << " |\n";
  };
  row("mnist_mlp inference, batch 64", "batch64/mnist_mlp/ctnn", "batch64/mnist_mlp/eigen",
      "batch64/mnist_mlp/libtorch");
  row("mnist_mlp training step, SGD, batch 64, 1 thread", "train/mnist_mlp/ctnn/sgd", "",
      "train/mnist_mlp/libtorch/sgd");
  row("mnist_mlp training step, Adam, batch 64, 1 thread", "train/mnist_mlp/ctnn/adam", "",
      "train/mnist_mlp/libtorch/adam");
  md << "\n| ctnn training, mnist_mlp, batch 64 (samples/s) | 1 thread | 2 threads | 2 threads / 1 thread |"
        " 1 thread, other core busy | 2 threads, other core busy | ratio when busy |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|\n";
  for (std::string opt : {"sgd", "adam"}) {
    const auto* one = c.find("train/mnist_mlp/ctnn/" + opt);
    const auto* two = c.find("train/mnist_mlp/ctnn/" + opt + "/2threads");
    const auto* one_busy = c.find("train/mnist_mlp/ctnn/" + opt + "/busy");
    const auto* two_busy = c.find("train/mnist_mlp/ctnn/" + opt + "/2threads_busy");
    if (!one || !two || !one_busy || !two_busy) continue;
    auto rate = [](const collector::result* r) { return r->counters.at("items_per_second"); };
    md << "| " << opt << " | " << fmt(rate(one), "%.0f") << " | " << fmt(rate(two), "%.0f") << " | "
       << fmt(rate(two) / rate(one), "%.2fx") << " | " << fmt(rate(one_busy), "%.0f") << " | "
       << fmt(rate(two_busy), "%.0f") << " | " << fmt(rate(two_busy) / rate(one_busy), "%.2fx") << " |\n";
  }
  if (!torch_note.empty()) md << "\n" << torch_note << "\n";
  md << cnn_table(c, peak_gflops);
  md << graph_table(c, peak_gflops);
  md << rnn_table(c);
  md << tcn_table(c);
  md << dispatch_table(c);
  return md.str();
}

} // namespace

int main(int argc, char** argv) {
  std::string markdown_file;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--markdown=", 0) == 0)
      markdown_file = a.substr(11);
    else
      args.push_back(argv[i]);
  }
  // Defaults for a noisy shared machine: medians of 9 repetitions (flags given on the command
  // line come later and win).
  static char reps[] = "--benchmark_repetitions=9", aggregates[] = "--benchmark_report_aggregates_only=true",
              min_time[] = "--benchmark_min_time=0.1";
  args.insert(args.begin() + 1, {reps, aggregates, min_time});
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());

  benchmark::RegisterBenchmark("machine/fma_peak", machine_fma_peak);
  benchmark::RegisterBenchmark("machine/l2_read", machine_l2_read);
  try {
    register_single<mlp_small, eigen_mlp_small>("mlp_small", mlp_small_spec);
    register_single<mlp_trading, eigen_mlp_trading>("mlp_trading", mlp_trading_spec);
    register_single<mlp_eval, eigen_mlp_eval>("mlp_eval", mlp_eval_spec);
    register_single<mnist_mlp, eigen_mnist_mlp>("mnist_mlp", mnist_mlp_spec);
    register_mnist_batch();
    register_training();
    register_cnn_benchmarks();
    register_graph_benchmarks();
    register_rnn_benchmarks();
    register_tcn_benchmarks();
    register_dispatch_benchmarks();
    // cross-check every network before timing anything
    get<mlp_small, eigen_mlp_small>(mlp_small_spec);
    get<mlp_trading, eigen_mlp_trading>(mlp_trading_spec);
    get<mlp_eval, eigen_mlp_eval>(mlp_eval_spec);
    get<mnist_mlp, eigen_mnist_mlp>(mnist_mlp_spec);
  } catch (const std::exception& e) {
    std::cerr << "cross-check failed, nothing timed: " << e.what() << '\n';
    return 1;
  }
  collector reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const std::string md = table(reporter);
  std::cout << '\n' << md;
  if (!markdown_file.empty()) std::ofstream(markdown_file) << md;
  benchmark::Shutdown();
}
