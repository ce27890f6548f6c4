// Writes the committed seed corpora of fuzz_weights (tests/fuzz/corpus/weights: valid files for
// the fuzzed network in float and double, its integer network, one of another topology, and a
// truncated one),
// fuzz_checkpoint (corpus/checkpoint: after 1 and 2 epochs, with early stopping, truncated),
// fuzz_idx (corpus/idx: a valid file, gzip-compressed too) and fuzz_sunspots (corpus/sunspots: a
// valid series).
//   ./make_seeds <tests/fuzz/corpus>
#include "fuzz_model.hpp"

#include <ctnn/runtime/quantize.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {
std::vector<char> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::filesystem::path& p, const char* b, std::size_t n) {
  std::ofstream(p.string(), std::ios::binary).write(b, std::streamsize(n));
}
} // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path root = argv[1];
  const auto dir = root / "weights";
  ctnn::save(ctnn::make<ctnn::fuzz::model>(ctnn::init::he_uniform{}, 2), (dir / "float.ctnn").string());
  ctnn::save(ctnn::make<ctnn::fuzz::model, double>(ctnn::init::he_uniform{}, 3), (dir / "double.ctnn").string());
  ctnn::save(ctnn::make<ctnn::fuzz::other>(ctnn::init::he_uniform{}, 4), (dir / "other.ctnn").string());
  ctnn::save(ctnn::quantize(ctnn::make<ctnn::fuzz::model>(ctnn::init::he_uniform{}, 5), ctnn::fuzz::checkpoint_data()),
             (dir / "int8.ctnn").string());
  const auto b = read_bytes(dir / "float.ctnn");
  write_bytes(dir / "truncated.ctnn", b.data(), b.size() / 2);

  const auto ckpt = root / "checkpoint";
  std::filesystem::create_directories(ckpt);
  const auto samples = ctnn::fuzz::checkpoint_data();
  for (std::size_t epochs : {1u, 2u}) {
    auto n = ctnn::make<ctnn::fuzz::model>(ctnn::init::he_uniform{}, 1);
    ctnn::trainer fit{n, ctnn::loss::mse{}, ctnn::optim::adam{}};
    (void)fit.train(samples, {.epochs = epochs,
                              .batch = 4,
                              .log = nullptr,
                              .checkpoint = {.path = (ckpt / ("epoch" + std::to_string(epochs) + ".ckpt")).string()}});
  }
  {
    auto n = ctnn::make<ctnn::fuzz::model>(ctnn::init::he_uniform{}, 1);
    ctnn::trainer fit{n, ctnn::loss::mse{}, ctnn::optim::adam{}};
    (void)fit.train(samples, {.epochs = 2,
                              .batch = 4,
                              .validation = samples,
                              .early_stopping = {.patience = 1},
                              .log = nullptr,
                              .checkpoint = {.path = (ckpt / "early_stopping.ckpt").string()}});
  }
  const auto c = read_bytes(ckpt / "epoch2.ckpt");
  write_bytes(ckpt / "truncated.ckpt", c.data(), c.size() / 2);

  const auto idx = root / "idx";
  std::filesystem::create_directories(idx);
  std::vector<char> image = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3};
  for (int i = 0; i < 18; ++i) image.push_back(char(i * 13));
  write_bytes(idx / "images.idx", image.data(), image.size());

  const auto spots = root / "sunspots";
  std::filesystem::create_directories(spots);
  std::string csv = "\"YEAR\",\"SUNACTIVITY\"\n";
  for (int y = 1700; y <= 2008; ++y) csv += std::to_string(y) + ".0," + std::to_string((y * 37) % 190) + ".5\n";
  write_bytes(spots / "series.csv", csv.data(), csv.size());
  return 0;
}
