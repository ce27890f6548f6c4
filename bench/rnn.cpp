// lstm16 and gru16 (bench/README.md: 1 input, 16 hidden units, dense 16 -> 1, one time step per call,
// state carried): ctnn's streams beside a hand-written fixed-size Eigen cell and libtorch's
// nn::LSTM / nn::GRU with explicit state, in one process, with the same weights, every output
// checked against a double reference first. One stream (dependent calls: each input derived
// from the last output; independent: a ring of 8 streams), 64 streams stepped at once, and
// training on windows of 32 steps, batch 64.
#include "rnn.hpp"

#include "standard_networks.hpp" // ctnn first (kernels/simd.hpp silences GCC 12's AVX-512 warnings)

#include "eigen_rnn.hpp"
#include "torch_anchor.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace bench {
namespace {

constexpr int hidden = 16, window = 32, batch = 64, ring = 8, streams = 64;

template <bool Lstm>
using cell = std::conditional_t<Lstm, nn::lstm<hidden>, nn::gru<hidden>>;
template <bool Lstm>
using model = nn::network<nn::input<nn::sequence<window, 1>>, cell<Lstm>, nn::last, nn::dense<1>>;

/// One step of the cell and head in double, straight from PyTorch's formulas.
template <bool Lstm>
struct reference {
  std::vector<float> p;
  std::vector<double> h = std::vector<double>(hidden, 0.0), c = std::vector<double>(hidden, 0.0);
  double step(double x) {
    constexpr int G = Lstm ? 4 : 3;
    const float* w_ih = p.data();
    const float* w_hh = w_ih + G * hidden;
    const float* b_ih = w_hh + G * hidden * hidden;
    const float* b_hh = b_ih + G * hidden;
    const float* w_out = b_hh + G * hidden;
    std::vector<double> gi(G * hidden), gh(G * hidden);
    for (int r = 0; r < G * hidden; ++r) {
      gi[r] = w_ih[r] * x + b_ih[r];
      gh[r] = b_hh[r];
      for (int k = 0; k < hidden; ++k) gh[r] += double(w_hh[r * hidden + k]) * h[k];
    }
    auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
    for (int j = 0; j < hidden; ++j) {
      if (Lstm) {
        const double i = sigmoid(gi[j] + gh[j]), f = sigmoid(gi[hidden + j] + gh[hidden + j]);
        const double g = std::tanh(gi[2 * hidden + j] + gh[2 * hidden + j]);
        const double o = sigmoid(gi[3 * hidden + j] + gh[3 * hidden + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * std::tanh(c[j]);
      } else {
        const double r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[hidden + j] + gh[hidden + j]);
        const double n = std::tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
        h[j] = (1 - z) * n + z * h[j];
      }
    }
    double y = w_out[hidden];
    for (int k = 0; k < hidden; ++k) y += double(w_out[k]) * h[k];
    return y;
  }
};

template <bool Lstm>
struct contestants {
  using net_t = nn::net<model<Lstm>>;
  using eigen_cell = std::conditional_t<Lstm, eigen_lstm<hidden>, eigen_gru<hidden>>;
  net_t net = nn::make<model<Lstm>>(nn::init::pytorch_default{}, 2024);
  std::vector<float> params = net.export_parameters();
  std::string torch_note;
  std::vector<eigen_cell> eigen = std::vector<eigen_cell>(streams, eigen_cell(params));
  std::vector<std::unique_ptr<torch_stream_model>> torch; ///< one per stream of the ring, then a batched one
  std::unique_ptr<torch_stream_model> torch_batch = make_torch_recurrent(Lstm, hidden, params, torch_note);
  std::vector<typename net_t::stream_state> states = std::vector<typename net_t::stream_state>(streams);
  std::vector<float> inputs; ///< a sequence of window steps

  contestants() {
    nn::rng g(7);
    for (int t = 0; t < window; ++t) inputs.push_back(float(g.uniform(-1, 1)));
    if (torch_batch)
      for (int r = 0; r < ring; ++r) torch.push_back(make_torch_recurrent(Lstm, hidden, params, torch_note));
    // the cross-check: every step of one stream, and the whole-window forward
    reference<Lstm> ref{params};
    auto state = net.make_state();
    for (int t = 0; t < window; ++t) {
      const std::vector<double> want{ref.step(inputs[std::size_t(t)])};
      const float x = inputs[std::size_t(t)];
      check_against_reference("ctnn", want, net.step(state, typename net_t::step_input_type{x}).data());
      const float e = eigen[0].step(x);
      check_against_reference("eigen", want, &e);
      if (torch_batch) {
        float y = 0;
        torch[0]->step(&x, &y, 1);
        check_against_reference("libtorch", want, &y);
      }
      if (t == window - 1) {
        typename net_t::input_type whole;
        std::copy(inputs.begin(), inputs.end(), whole.data());
        check_against_reference("ctnn whole window", want, net(whole).data());
      }
    }
    // 64 streams at once against 64 single steps
    std::vector<float> xs(streams), ys(streams);
    auto single = states;
    for (int t = 0; t < 4; ++t) {
      for (auto& v : xs) v = float(g.uniform(-1, 1));
      net.step(states, xs.data(), ys.data());
      for (int s = 0; s < streams; ++s) {
        const float y = net.step(single[std::size_t(s)], typename net_t::step_input_type{xs[std::size_t(s)]})[0];
        check_against_reference("ctnn 64 streams", {double(y)}, &ys[std::size_t(s)]);
      }
    }
    for (auto& s : states) s.reset();
    for (auto& e : eigen) e.reset();
    if (torch_batch)
      for (auto& t : torch) t->reset(1);
  }
};

template <bool Lstm>
contestants<Lstm>& get() {
  static contestants<Lstm> c;
  return c;
}

const char* name(bool lstm) { return lstm ? "lstm16" : "gru16"; }

template <bool Lstm>
void register_net() {
  using C = contestants<Lstm>;
  using net_t = typename C::net_t;
  const std::string id = name(Lstm);
  for (bool dependent : {false, true}) {
    const std::string mode = dependent ? "/dependent" : "/independent";
    benchmark::RegisterBenchmark(("step/" + id + "/ctnn" + mode).c_str(), [dependent](benchmark::State& st) {
      auto& c = get<Lstm>();
      float x = c.inputs[0];
      std::size_t k = 0;
      for (auto _ : st) {
        const std::size_t s = dependent ? 0 : k++ % ring;
        const auto y = c.net.step(c.states[s], typename net_t::step_input_type{x});
        x = dependent ? c.inputs[k++ % window] + y[0] * 1e-30f : c.inputs[k % window];
        benchmark::DoNotOptimize(x);
      }
      st.SetItemsProcessed(st.iterations());
    });
    benchmark::RegisterBenchmark(("step/" + id + "/eigen" + mode).c_str(), [dependent](benchmark::State& st) {
      auto& c = get<Lstm>();
      float x = c.inputs[0];
      std::size_t k = 0;
      for (auto _ : st) {
        const std::size_t s = dependent ? 0 : k++ % ring;
        const float y = c.eigen[s].step(x);
        x = dependent ? c.inputs[k++ % window] + y * 1e-30f : c.inputs[k % window];
        benchmark::DoNotOptimize(x);
        benchmark::ClobberMemory();
      }
      st.SetItemsProcessed(st.iterations());
    });
    benchmark::RegisterBenchmark(("step/" + id + "/libtorch" + mode).c_str(), [dependent](benchmark::State& st) {
      auto& c = get<Lstm>();
      if (!c.torch_batch) return st.SkipWithError(c.torch_note.c_str());
      float x = c.inputs[0], y = 0;
      std::size_t k = 0;
      for (auto _ : st) {
        const std::size_t s = dependent ? 0 : k++ % ring;
        c.torch[s]->step(&x, &y, 1);
        x = dependent ? c.inputs[k++ % window] + y * 1e-30f : c.inputs[k % window];
        benchmark::DoNotOptimize(x);
      }
      st.SetItemsProcessed(st.iterations());
    });
  }
  // 64 streams, one step each
  benchmark::RegisterBenchmark(("streams64/" + id + "/ctnn").c_str(), [](benchmark::State& st) {
    auto& c = get<Lstm>();
    std::vector<float> xs(c.inputs.begin(), c.inputs.end()), ys(streams);
    xs.resize(streams, 0.5f);
    for (auto _ : st) {
      c.net.step(c.states, xs.data(), ys.data());
      benchmark::DoNotOptimize(ys.data());
    }
    st.SetItemsProcessed(st.iterations() * streams);
  });
  benchmark::RegisterBenchmark(("streams64/" + id + "/ctnn_single_steps").c_str(), [](benchmark::State& st) {
    auto& c = get<Lstm>();
    std::vector<float> ys(streams);
    for (auto _ : st) {
      for (int s = 0; s < streams; ++s)
        ys[std::size_t(s)] = c.net.step(c.states[std::size_t(s)], typename net_t::step_input_type{0.5f})[0];
      benchmark::DoNotOptimize(ys.data());
    }
    st.SetItemsProcessed(st.iterations() * streams);
  });
  benchmark::RegisterBenchmark(("streams64/" + id + "/eigen").c_str(), [](benchmark::State& st) {
    auto& c = get<Lstm>();
    std::vector<float> ys(streams);
    for (auto _ : st) {
      for (int s = 0; s < streams; ++s) ys[std::size_t(s)] = c.eigen[std::size_t(s)].step(0.5f);
      benchmark::DoNotOptimize(ys.data());
      benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(st.iterations() * streams);
  });
  benchmark::RegisterBenchmark(("streams64/" + id + "/libtorch").c_str(), [](benchmark::State& st) {
    auto& c = get<Lstm>();
    if (!c.torch_batch) return st.SkipWithError(c.torch_note.c_str());
    c.torch_batch->reset(streams);
    std::vector<float> xs(streams, 0.5f), ys(streams);
    for (auto _ : st) {
      c.torch_batch->step(xs.data(), ys.data(), streams);
      benchmark::DoNotOptimize(ys.data());
    }
    st.SetItemsProcessed(st.iterations() * streams);
  });
  // training on windows of 32 steps
  auto data = [] {
    nn::rng g(11);
    std::vector<float> x(std::size_t(batch) * window), t(batch);
    for (auto& v : x) v = float(g.uniform(-1, 1));
    for (auto& v : t) v = float(g.uniform(-1, 1));
    return std::pair{x, t};
  };
  for (int threads : {1, 2})
    benchmark::RegisterBenchmark(("train/" + id + "/ctnn" + (threads == 2 ? "/2threads" : "")).c_str(),
                                 [threads, data](benchmark::State& st) {
                                   auto net = nn::make<model<Lstm>>(nn::init::pytorch_default{}, 5);
                                   const auto d = data();
                                   nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 1e-3}};
                                   fit.set_threads(std::size_t(threads), false);
                                   fit.reserve(batch, 1);
                                   std::copy(d.first.begin(), d.first.end(), fit.work().input());
                                   std::copy(d.second.begin(), d.second.end(), fit.targets());
                                   for (int warm = 0; warm < 10; ++warm) fit.step(batch);
                                   for (auto _ : st) benchmark::DoNotOptimize(fit.step(batch).loss);
                                   st.SetItemsProcessed(st.iterations() * batch);
                                 });
  benchmark::RegisterBenchmark(("train/" + id + "/libtorch").c_str(), [data](benchmark::State& st) {
    std::string why;
    auto model_ = make_torch_recurrent(Lstm, hidden,
                                       nn::make<model<Lstm>>(nn::init::pytorch_default{}, 5).export_parameters(), why);
    if (!model_) return st.SkipWithError(why.c_str());
    const auto d = data();
    for (auto _ : st) benchmark::DoNotOptimize(model_->train_step(d.first.data(), d.second.data(), batch, window));
    st.SetItemsProcessed(st.iterations() * batch);
  });
}

} // namespace

void register_rnn_benchmarks() {
  get<true>();
  get<false>();
  register_net<true>();
  register_net<false>();
}

std::string rnn_table(const collector& c) {
  std::ostringstream md;
  auto rate = [](const collector::result* r) { return r->counters.at("items_per_second"); };
  md << "\n| one time step, one stream | mode | ctnn ns | Eigen cell ns | libtorch ns | ctnn/Eigen | ctnn/libtorch |\n";
  md << "|---|---|---:|---:|---:|---:|---:|\n";
  for (bool lstm : {true, false})
    for (std::string mode : {"independent", "dependent"}) {
      const std::string id = name(lstm);
      const auto* a = c.find("step/" + id + "/ctnn/" + mode);
      const auto* e = c.find("step/" + id + "/eigen/" + mode);
      const auto* t = c.find("step/" + id + "/libtorch/" + mode);
      if (!a) continue;
      md << "| " << id << " | " << mode << " | " << fmt(a->ns) << " | " << (e ? fmt(e->ns) : "-") << " | "
         << (t ? fmt(t->ns) : "skipped") << " | " << (e ? fmt(a->ns / e->ns, "%.2fx") : "-") << " | "
         << (t ? fmt(a->ns / t->ns, "%.3fx") : "-") << " |\n";
    }
  md << "\n| 64 streams, one step each (ns per stream) | ctnn, one call | ctnn, 64 single steps | Eigen cell | "
        "libtorch, one call | one call / 64 single steps |\n";
  md << "|---|---:|---:|---:|---:|---:|\n";
  for (bool lstm : {true, false}) {
    const std::string id = name(lstm);
    const auto* a = c.find("streams64/" + id + "/ctnn");
    const auto* s = c.find("streams64/" + id + "/ctnn_single_steps");
    const auto* e = c.find("streams64/" + id + "/eigen");
    const auto* t = c.find("streams64/" + id + "/libtorch");
    if (!a || !s) continue;
    md << "| " << id << " | " << fmt(1e9 / rate(a)) << " | " << fmt(1e9 / rate(s)) << " | "
       << (e ? fmt(1e9 / rate(e)) : "-") << " | " << (t ? fmt(1e9 / rate(t)) : "skipped") << " | "
       << fmt(rate(a) / rate(s), "%.2fx faster") << " |\n";
  }
  md << "\n| training, windows of 32 steps, batch 64, Adam (samples/s) | ctnn, 1 thread | ctnn, 2 threads | libtorch | "
        "ctnn/libtorch (1 thread) |\n";
  md << "|---|---:|---:|---:|---:|\n";
  for (bool lstm : {true, false}) {
    const std::string id = name(lstm);
    const auto* a = c.find("train/" + id + "/ctnn");
    const auto* a2 = c.find("train/" + id + "/ctnn/2threads");
    const auto* t = c.find("train/" + id + "/libtorch");
    if (!a) continue;
    md << "| " << id << " | " << fmt(rate(a), "%.0f") << " | " << (a2 ? fmt(rate(a2), "%.0f") : "-") << " | "
       << (t ? fmt(rate(t), "%.0f") : "skipped") << " | " << (t ? fmt(rate(a) / rate(t), "%.2fx") : "-") << " |\n";
  }
  return md.str();
}

} // namespace bench
