// Reading the PyTorch fixtures of tests/oracle/fixtures (written by tests/oracle/generate.py),
// and DATA.md's tolerances against them.
#pragma once

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ctnn::test {

/// name -> values, from "name count v1 v2 ..." lines.
inline std::map<std::string, std::vector<double>> read_fixture(const std::string& file) {
  const std::string path = std::string(CTNN_TEST_FIXTURES) + "/" + file;
  std::ifstream f(path);
  BOOST_REQUIRE_MESSAGE(f, "cannot open fixture " << path);
  std::map<std::string, std::vector<double>> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string name;
    std::size_t n = 0;
    in >> name >> n;
    std::vector<double> v(n);
    for (auto& x : v) in >> x;
    BOOST_REQUIRE_MESSAGE(in, "malformed fixture line for " << name << " in " << path);
    out[name] = std::move(v);
  }
  return out;
}

template <class T>
constexpr double forward_tol = sizeof(T) == 4 ? 1e-5 : 1e-9;
template <class T>
constexpr double gradient_tol = sizeof(T) == 4 ? 5e-5 : 1e-9;

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return {v.begin(), v.end()};
}

} // namespace ctnn::test
