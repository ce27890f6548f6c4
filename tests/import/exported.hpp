// What every exported fixture must pass: the weight file loads into the generated type, and each
// layer's output matches PyTorch's golden one (float within 1e-5 x scale, double within 1e-9).
#pragma once

#include <ctnn/ctnn.hpp>
#include <ctnn/interop/golden.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace ctnn::test {

inline std::string import_fixture(const std::string& file) { return std::string(CTNN_IMPORT_FIXTURES) + "/" + file; }

/// Loads NAME.ctnn into net<Model> and checks every layer against NAME.golden, in float and in
/// double (the golden values were computed in float64 from the float32 weights the file holds).
template <class Model>
void check_exported(const std::string& name) {
  const auto golden = read_golden(import_fixture(name + ".golden"));
  BOOST_TEST(golden.layers() == Model::layer_count);
  BOOST_TEST(golden.inputs >= 1u);
  net<Model, float> f;
  load(f, import_fixture(name + ".ctnn"));
  const auto rf = check_layers(f, golden);
  BOOST_TEST(rf.ok(), name << " (float): " << rf.message());
  BOOST_TEST(rf.layers.size() == Model::layer_count - 1);
  BOOST_TEST_MESSAGE(name << " (float): " << rf.message());

  const auto p = f.export_parameters();
  net<Model, double> d;
  d.import_parameters(std::vector<double>(p.begin(), p.end()));
  const auto rd = check_layers(d, golden);
  BOOST_TEST(rd.ok(), name << " (double): " << rd.message());
  BOOST_TEST_MESSAGE(name << " (double): " << rd.message());
}

} // namespace ctnn::test
