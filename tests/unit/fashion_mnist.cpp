// Fashion-MNIST from Debian's dataset-fashion-mnist: the IDX reader's errors on corrupt files made
// here (each names the file, the byte and what was expected), the documented content of the real
// files, and a short smoke run of a small CNN with an accuracy floor (the full run is
// examples/fashion_mnist_cnn.cpp).
#define BOOST_TEST_MODULE fashion_mnist
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;
namespace fs = std::filesystem;

namespace {
struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("ctnn-idx-" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};
std::vector<std::uint8_t> idx(std::vector<std::uint32_t> dims, std::size_t data_bytes, std::uint8_t fill = 1) {
  std::vector<std::uint8_t> b{0, 0, 8, std::uint8_t(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(std::uint8_t(d >> s));
  b.insert(b.end(), data_bytes, fill);
  return b;
}
void write(const std::string& path, const std::vector<std::uint8_t>& b, bool gzip = false) {
  if (gzip) {
    gzFile z = gzopen(path.c_str(), "wb");
    gzwrite(z, b.data(), unsigned(b.size()));
    gzclose(z);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  }
}
void expect_error(const std::string& path, std::size_t rank, const std::vector<std::string>& fragments) {
  try {
    nn::read_idx(path, rank);
    BOOST_ERROR("read a bad IDX file: " << path);
  } catch (const nn::file_error& e) {
    BOOST_TEST(e.path() == path);
    for (const auto& f : fragments) BOOST_TEST(std::string(e.what()).find(f) != std::string::npos, e.what());
  }
}
} // namespace

BOOST_AUTO_TEST_CASE(idx_errors_name_the_file_the_byte_and_what_was_expected) {
  temp_dir dir;
  write(dir.file("ok.gz"), idx({2, 3}, 6), true);
  const auto ok = nn::read_idx(dir.file("ok.gz"), 2);
  BOOST_TEST(ok.dims == (std::vector<std::size_t>{2, 3}), boost::test_tools::per_element());
  BOOST_TEST(ok.data.size() == 6u);

  auto bad = idx({2, 3}, 6);
  bad[1] = 7;
  write(dir.file("magic"), bad);
  expect_error(dir.file("magic"), 2, {"byte 0", "IDX magic"});
  bad = idx({2, 3}, 6);
  bad[2] = 0x0d; // floats
  write(dir.file("type"), bad);
  expect_error(dir.file("type"), 2, {"byte 2", "type code 0x08"});
  write(dir.file("rank"), idx({2, 3}, 6));
  expect_error(dir.file("rank"), 3, {"byte 3", "expected 3 dimensions, found 2 dimensions"});
  write(dir.file("short"), idx({2, 3}, 5), true);
  expect_error(dir.file("short"), 2, {"expected 6 data bytes", "found 5 (truncated)"});
  write(dir.file("long"), idx({2, 3}, 7));
  expect_error(dir.file("long"), 2, {"found 7 (trailing data)"});
  write(dir.file("huge"), idx({4000000000u, 4000000000u}, 6));
  expect_error(dir.file("huge"), 2, {"byte 4", "truncated or corrupt"});
  expect_error(dir.file("missing"), 2, {"no such file"});

  // the dataset's own checks: a label out of range, and counts that disagree
  write(dir.file("images"), idx({2, 28, 28}, 2 * 784));
  write(dir.file("labels"), [] {
    auto b = idx({2}, 2, 3);
    b.back() = 12;
    return b;
  }());
  try {
    nn::datasets::load_fashion_mnist(dir.file("images"), dir.file("labels"));
    BOOST_ERROR("a label of 12 was accepted");
  } catch (const nn::file_error& e) {
    BOOST_TEST(std::string(e.what()).find("byte 9: expected a label from 0 to 9, found 12") != std::string::npos,
               e.what());
  }
  write(dir.file("labels3"), idx({3}, 3, 1));
  BOOST_CHECK_THROW(nn::datasets::load_fashion_mnist(dir.file("images"), dir.file("labels3")), nn::file_error);
}

BOOST_AUTO_TEST_CASE(the_real_files_have_the_documented_content) {
  const auto [train, test] = nn::datasets::fashion_mnist();
  BOOST_TEST(train.size() == 60000u);
  BOOST_TEST(test.size() == 10000u);
  const float first_train[] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, first_test[] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
  for (std::size_t i = 0; i < 10; ++i) {
    BOOST_TEST(train.target(i)[0] == first_train[i]);
    BOOST_TEST(test.target(i)[0] == first_test[i]);
  }
  std::size_t per_class[10] = {};
  for (std::size_t i = 0; i < test.size(); ++i) ++per_class[std::size_t(test.target(i)[0])];
  for (std::size_t c : per_class) BOOST_TEST(c == 1000u);
  float lo = 1, hi = 0;
  for (float v : train.inputs()) lo = std::min(lo, v), hi = std::max(hi, v);
  BOOST_TEST(lo == 0.0f);
  BOOST_TEST(hi == 1.0f);
}

// A smoke version of examples/fashion_mnist_cnn.cpp: 8,000 training images, 2 epochs (250 steps).
BOOST_AUTO_TEST_CASE(a_small_cnn_learns_fashion_mnist) {
  using model = nn::network<nn::input<nn::shape<1, 28, 28>>, nn::conv2d<8, nn::kernel<3>>, nn::relu,
                            nn::max_pool2d<nn::window<2>>, nn::conv2d<16, nn::kernel<3>>, nn::relu,
                            nn::max_pool2d<nn::window<2>>, nn::flatten, nn::dense<10>>;
  const auto [train, test] = nn::datasets::fashion_mnist(8000, 2000);
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 2e-3}};
  fit.train(train, {.epochs = 2, .batch = 64, .log = nullptr});
  const double accuracy = fit.evaluate(test).metric;
  BOOST_TEST_MESSAGE("smoke test accuracy " << accuracy);
  BOOST_TEST(accuracy >= 0.75);
}
