// One binary for every CPU: the kernels of every instruction set this CPU has, compiled in their
// own translation units (ctnn_add_dispatch, tests/CMakeLists.txt), give PyTorch's golden outputs
// and agree with a double-precision network, sample by sample and in batches; the best one is
// chosen by default; an instruction set that was not built or that the CPU lacks is refused.
#define BOOST_TEST_MODULE dispatch
#include "../import/exported.hpp"

#include "../import/fixtures/net_cnn.hpp"
#include "../import/fixtures/net_lstm.hpp"
#include "../import/fixtures/net_mlp.hpp"
#include "cnn_dispatch.hpp"
#include "lstm_dispatch.hpp"
#include "mlp_dispatch.hpp"

#include <ctnn/runtime/dispatch.hpp>

#include <set>

using ctnn::test::import_fixture;

namespace {
template <class Model>
void check_every_isa(std::span<const ctnn::dispatch_entry> entries, const std::string& name) {
  ctnn::net<Model> n;
  ctnn::load(n, import_fixture(name + ".ctnn"));
  const auto g = ctnn::read_golden(import_fixture(name + ".golden"));
  const auto p = n.export_parameters();
  ctnn::net<Model, double> reference; // the independent twin: double precision, this build's kernels
  reference.import_parameters(std::vector<double>(p.begin(), p.end()));

  ctnn::dispatched<Model> d(entries, n);
  const std::string best = d.isa();
  for (const auto& e : entries)
    if (ctnn::cpu_supports(e.isa)) {
      BOOST_TEST(best == e.isa, name << ": the first entry this CPU runs is the default");
      break;
    }
  std::size_t checked = 0;
  constexpr std::size_t in = Model::input_shape::size, out = Model::output_shape::size;
  for (const auto& e : entries) {
    if (!ctnn::cpu_supports(e.isa)) {
      BOOST_TEST_MESSAGE(name << ": this CPU lacks " << e.isa << ", not run");
      BOOST_CHECK_THROW(d.use(e.isa), std::invalid_argument);
      continue;
    }
    d.use(e.isa);
    BOOST_TEST(std::string(d.isa()) == e.isa);
    std::vector<float> xs(g.inputs * in), batch(g.inputs * out);
    for (std::size_t k = 0; k < g.inputs; ++k)
      for (std::size_t j = 0; j < in; ++j) xs[k * in + j] = float(g.output(0, k)[j]);
    d.predict(xs.data(), batch.data(), g.inputs);
    double worst = 0;
    for (std::size_t k = 0; k < g.inputs; ++k) {
      float y[out];
      d(xs.data() + k * in, y);
      typename ctnn::net<Model, double>::input_type xd;
      for (std::size_t j = 0; j < in; ++j) xd[j] = g.output(0, k)[j];
      const auto yd = reference(xd);
      const auto ref = g.output(Model::layer_count - 1, k);
      for (std::size_t j = 0; j < out; ++j) {
        const double scale = std::max(1.0, std::abs(ref[j]));
        BOOST_TEST(std::abs(y[j] - ref[j]) <= 1e-5 * scale, name << " " << e.isa << " vs PyTorch, output " << j);
        BOOST_TEST(std::abs(y[j] - yd[j]) <= 1e-5 * scale, name << " " << e.isa << " vs double, output " << j);
        // (the batch kernels sum in another order than the single-sample ones)
        BOOST_TEST(std::abs(batch[k * out + j] - ref[j]) <= 1e-5 * scale, name << " " << e.isa << " batch vs PyTorch");
        worst = std::max(worst, std::abs(y[j] - ref[j]) / scale);
      }
    }
    BOOST_TEST_MESSAGE(name << " on " << e.isa << ": largest error against PyTorch " << worst);
    ++checked;
  }
  BOOST_TEST(checked >= 1u, "sse2 runs on every x86-64 CPU");
}
} // namespace

BOOST_AUTO_TEST_CASE(mlp_on_every_instruction_set) { check_every_isa<net_mlp::model>(mlp_dispatch(), "net_mlp"); }
BOOST_AUTO_TEST_CASE(cnn_on_every_instruction_set) { check_every_isa<net_cnn::model>(cnn_dispatch(), "net_cnn"); }
BOOST_AUTO_TEST_CASE(lstm_on_every_instruction_set) { check_every_isa<net_lstm::model>(lstm_dispatch(), "net_lstm"); }

BOOST_AUTO_TEST_CASE(the_three_instruction_sets_were_built) {
  std::set<std::string> isas;
  for (const auto& e : mlp_dispatch()) isas.insert(e.isa);
  BOOST_TEST((isas == std::set<std::string>{"avx512", "avx2", "sse2"}));
  BOOST_TEST(ctnn::cpu_supports("sse2"));
  BOOST_TEST(!ctnn::cpu_supports("neon"));
}

BOOST_AUTO_TEST_CASE(unbuilt_or_foreign_entries_are_refused) {
  ctnn::net<net_mlp::model> n;
  ctnn::dispatched<net_mlp::model> d(mlp_dispatch(), n);
  const std::string before = d.isa();
  BOOST_CHECK_THROW(d.use("avx10"), std::invalid_argument);
  BOOST_TEST(std::string(d.isa()) == before);
  // entries of another model: other sizes
  BOOST_CHECK_THROW(ctnn::dispatched<net_mlp::model>(cnn_dispatch(), n), std::invalid_argument);
}
