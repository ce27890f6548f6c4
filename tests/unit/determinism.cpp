// Determinism: the same seed, compiler and flags give bit-identical training; on any compiler the
// initial weights are exactly those committed in fixtures/determinism.txt, and the trained ones
// differ from the committed run (g++ 12, AVX-512) by rounding only. To rewrite the fixture:
//   CTNN_WRITE_DETERMINISM_FIXTURE=1 ./unit_determinism
#define BOOST_TEST_MODULE determinism
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/support.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nn = ctnn;

namespace {
using model = nn::network<nn::input<nn::shape<5>>, nn::dense<9>, nn::tanh, nn::dense<7>, nn::relu, nn::dense<2>>;
const std::string fixture = std::string(CTNN_TEST_FIXTURES) + "/determinism.txt";

nn::dataset<float, nn::shape<5>, nn::shape<2>> data() {
  nn::dataset<float, nn::shape<5>, nn::shape<2>> d;
  nn::rng g(21);
  for (int i = 0; i < 200; ++i) {
    nn::tensor<float, nn::shape<5>> x;
    for (auto& v : x) v = float(g.uniform(-1, 1));
    d.push_back(x, nn::tensor<float, nn::shape<2>>{x[0] * x[1] - x[2], x[3] + 0.5f * x[4]});
  }
  return d;
}

struct run {
  std::vector<float> initial, trained;
};
run train_once() {
  auto net = nn::make<model>(nn::init::he_uniform{}, 11);
  run r{net.export_parameters(), {}};
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  fit.train(data(), {.epochs = 20, .batch = 16, .seed = 3, .log = nullptr});
  r.trained = net.export_parameters();
  return r;
}

std::vector<float> read_line(std::istream& in) {
  std::string line;
  std::getline(in, line);
  std::istringstream s(line);
  std::vector<float> v;
  for (float x; s >> x;) v.push_back(x);
  return v;
}
} // namespace

BOOST_AUTO_TEST_CASE(training_is_reproducible_and_portable) {
  const run a = train_once(), b = train_once();
  BOOST_TEST(a.trained == b.trained, boost::test_tools::per_element()); // bit-identical

  if (std::getenv("CTNN_WRITE_DETERMINISM_FIXTURE")) {
    std::ofstream out(fixture);
    out << "# initial weights (he_uniform, seed 11), then trained weights (see tests/unit/determinism.cpp)\n";
    for (const auto* v : {&a.initial, &a.trained}) {
      for (float x : *v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g ", double(x)); // 9 digits: a float reads back exactly
        out << buf;
      }
      out << '\n';
    }
  }
  std::ifstream in(fixture);
  std::string header;
  std::getline(in, header);
  const auto initial = read_line(in), trained = read_line(in);
  BOOST_REQUIRE(initial.size() == a.initial.size());
  BOOST_TEST(a.initial == initial, boost::test_tools::per_element()); // the portable generator
  BOOST_REQUIRE(trained.size() == a.trained.size());
  const double diff = nn::test::scaled_error(a.trained, trained);
  BOOST_TEST_MESSAGE("trained weights vs the committed g++ run: max scaled difference " << diff);
  BOOST_TEST(diff <= 1e-4); // rounding (summation order, FMA contraction) only, not a different run
}
