// Writes the committed seed corpus of fuzz_weights (tests/fuzz/corpus/weights): valid files for
// the fuzzed network in float and double, one of another topology, and a truncated one.
//   ./make_seeds <tests/fuzz/corpus/weights>
#include "fuzz_model.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path dir = argv[1];
  ctnn::save(ctnn::make<ctnn::fuzz::model>(ctnn::init::he_uniform{}, 2), (dir / "float.ctnn").string());
  ctnn::save(ctnn::make<ctnn::fuzz::model, double>(ctnn::init::he_uniform{}, 3), (dir / "double.ctnn").string());
  ctnn::save(ctnn::make<ctnn::fuzz::other>(ctnn::init::he_uniform{}, 4), (dir / "other.ctnn").string());
  std::ifstream in(dir / "float.ctnn", std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream((dir / "truncated.ctnn").string(), std::ios::binary).write(b.data(), std::streamsize(b.size() / 2));
  return 0;
}
