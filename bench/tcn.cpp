// wavenet8 (bench/README.md: causal conv1d, 8 channels, kernel 3, dilations 1, 2, ..., 64, tanh,
// dense 8 -> 1; one audio sample per call, state carried): ctnn's stream beside a hand-written
// Eigen ring-buffer TCN and libtorch stepping conv1d over sliding buffers, in one process, with
// the same weights, every output checked against a double reference first. One stream
// (dependent calls: each input derived from the last output; independent: a ring of 8 streams),
// and, for scale, ctnn recomputing the whole 256-sample window per output as a stateless
// deployment would.
#include "tcn.hpp"

#include "standard_networks.hpp" // ctnn first (kernels/simd.hpp silences GCC 12's AVX-512 warnings)

#include "eigen_tcn.hpp"
#include "torch_anchor.hpp"

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace bench {
namespace {

constexpr int channels = 8, window = 256, ring = 8;
const std::vector<int> dilations{1, 2, 4, 8, 16, 32, 64};

template <std::size_t D>
using layer = nn::conv1d<channels, 3, nn::causal, nn::dilation<D>>;
using model = nn::network<nn::input<nn::sequence<window, 1>>, layer<1>, nn::tanh, layer<2>, nn::tanh, layer<4>,
                          nn::tanh, layer<8>, nn::tanh, layer<16>, nn::tanh, layer<32>, nn::tanh, layer<64>, nn::tanh,
                          nn::per_step<nn::dense<1>>>;
using net_t = nn::net<model>;

/// The same network in double, straight from the definition (one frame history per layer).
struct reference {
  std::vector<float> p;
  std::vector<std::vector<std::vector<double>>> history = std::vector<std::vector<std::vector<double>>>(7);
  double step(double x) {
    std::vector<double> h{x};
    std::size_t at = 0;
    for (std::size_t l = 0; l < dilations.size(); ++l) {
      const std::size_t in = l == 0 ? 1 : channels, d = std::size_t(dilations[l]);
      auto& past = history[l];
      past.push_back(h);
      std::vector<double> out(channels);
      for (std::size_t f = 0; f < channels; ++f) {
        double s = p[at + channels * in * 3 + f];
        for (std::size_t c = 0; c < in; ++c)
          for (std::size_t k = 0; k < 3; ++k) {
            const std::size_t back = (2 - k) * d;
            if (past.size() > back) s += double(p[at + (f * in + c) * 3 + k]) * past[past.size() - 1 - back][c];
          }
        out[f] = std::tanh(s);
      }
      at += channels * in * 3 + channels;
      h = out;
    }
    double y = p[at + channels];
    for (std::size_t k = 0; k < channels; ++k) y += double(p[at + k]) * h[k];
    return y;
  }
};

struct contestants {
  net_t net = nn::make<model>(nn::init::pytorch_default{}, 2026);
  std::vector<float> params = net.export_parameters();
  std::string torch_note;
  std::vector<eigen_wavenet8> eigen = std::vector<eigen_wavenet8>(ring, eigen_wavenet8(params));
  std::vector<std::unique_ptr<torch_tcn_stream>> torch;
  std::vector<net_t::stream_state> states = std::vector<net_t::stream_state>(ring);
  std::vector<float> inputs;

  contestants() {
    nn::rng g(7);
    for (int t = 0; t < window; ++t) inputs.push_back(float(g.uniform(-1, 1)));
    for (int r = 0; r < ring; ++r) {
      auto t = make_torch_tcn(channels, dilations, params, torch_note);
      if (!t) break;
      torch.push_back(std::move(t));
    }
    // the cross-check: every step of one stream, past the receptive field (255 samples), and
    // the whole-window forward's outputs
    reference ref{params};
    auto state = net.make_state();
    net_t::input_type whole;
    std::copy(inputs.begin(), inputs.end(), whole.data());
    const auto all = net(whole);
    for (int t = 0; t < window; ++t) {
      const float x = inputs[std::size_t(t)];
      const std::vector<double> want{ref.step(x)};
      check_against_reference("ctnn", want, net.step(state, net_t::step_input_type{x}).data());
      check_against_reference("ctnn whole window", want, &all[std::size_t(t)]);
      const float e = eigen[0].step(x);
      check_against_reference("eigen", want, &e);
      if (!torch.empty()) {
        const float y = torch[0]->step(x);
        check_against_reference("libtorch", want, &y);
      }
    }
    for (auto& e : eigen) e.reset();
    for (auto& t : torch) t->reset();
  }
};

contestants& get() {
  static contestants c;
  return c;
}

} // namespace

void register_tcn_benchmarks() {
  get();
  for (bool dependent : {false, true}) {
    const std::string mode = dependent ? "/dependent" : "/independent";
    benchmark::RegisterBenchmark(("step/wavenet8/ctnn" + mode).c_str(), [dependent](benchmark::State& st) {
      auto& c = get();
      float x = c.inputs[0];
      std::size_t k = 0;
      for (auto _ : st) {
        const std::size_t s = dependent ? 0 : k++ % ring;
        const auto y = c.net.step(c.states[s], net_t::step_input_type{x});
        x = dependent ? c.inputs[k++ % window] + y[0] * 1e-30f : c.inputs[k % window];
        benchmark::DoNotOptimize(x);
      }
      st.SetItemsProcessed(st.iterations());
    });
    benchmark::RegisterBenchmark(("step/wavenet8/eigen" + mode).c_str(), [dependent](benchmark::State& st) {
      auto& c = get();
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
    benchmark::RegisterBenchmark(("step/wavenet8/libtorch" + mode).c_str(), [dependent](benchmark::State& st) {
      auto& c = get();
      if (c.torch.empty()) return st.SkipWithError(c.torch_note.c_str());
      float x = c.inputs[0];
      std::size_t k = 0;
      for (auto _ : st) {
        const std::size_t s = dependent ? 0 : k++ % ring;
        const float y = c.torch[s]->step(x);
        x = dependent ? c.inputs[k++ % window] + y * 1e-30f : c.inputs[k % window];
        benchmark::DoNotOptimize(x);
      }
      st.SetItemsProcessed(st.iterations());
    });
  }
  benchmark::RegisterBenchmark("window/wavenet8/ctnn", [](benchmark::State& st) {
    auto& c = get();
    net_t::input_type x;
    std::copy(c.inputs.begin(), c.inputs.end(), x.data());
    for (auto _ : st) {
      const auto y = c.net(x); // the whole window for its last output
      x[0] = y[window - 1] * 1e-30f + c.inputs[0];
      benchmark::DoNotOptimize(x);
    }
    st.SetItemsProcessed(st.iterations());
  });
}

std::string tcn_table(const collector& c) {
  std::ostringstream md;
  md << "\n| wavenet8, one sample per call | mode | ctnn ns | Eigen ring ns | libtorch ns | ctnn/Eigen | "
        "ctnn/libtorch |\n";
  md << "|---|---|---:|---:|---:|---:|---:|\n";
  for (std::string mode : {"independent", "dependent"}) {
    const auto* a = c.find("step/wavenet8/ctnn/" + mode);
    const auto* e = c.find("step/wavenet8/eigen/" + mode);
    const auto* t = c.find("step/wavenet8/libtorch/" + mode);
    if (!a) continue;
    md << "| stream | " << mode << " | " << fmt(a->ns) << " | " << (e ? fmt(e->ns) : "-") << " | "
       << (t ? fmt(t->ns) : "skipped") << " | " << (e ? fmt(a->ns / e->ns, "%.2fx") : "-") << " | "
       << (t ? fmt(a->ns / t->ns, "%.3fx") : "-") << " |\n";
  }
  if (const auto* w = c.find("window/wavenet8/ctnn"))
    md << "| ctnn recomputing the 256-sample window per output | dependent | " << fmt(w->ns) << " | - | - | - | - |\n";
  return md.str();
}

} // namespace bench
