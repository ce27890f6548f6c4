// Weight files (round trip, foreign topology, scalar type, truncation, corruption, not a weight
// file: each failure names the file and leaves the network as it was) and the CSV reader.
#define BOOST_TEST_MODULE io
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace nn = ctnn;
namespace fs = std::filesystem;

namespace {

using model = nn::network<nn::input<nn::shape<4>>, nn::dense<8>, nn::relu, nn::dense<2>>;
using other = nn::network<nn::input<nn::shape<4>>, nn::dense<16>, nn::relu, nn::dense<2>>;

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("ctnn-io-" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::vector<char> read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write_all(const std::string& p, const std::vector<char>& b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(b.data(), static_cast<std::streamsize>(b.size()));
}

/// load must throw a file_error whose message contains every fragment, and leave net unchanged.
template <class Net>
void expect_failed_load(Net& net, const std::string& path, const std::vector<std::string>& fragments) {
  const auto before = net.export_parameters();
  try {
    nn::load(net, path);
    BOOST_FAIL("load succeeded on a bad file: " + path);
  } catch (const nn::file_error& e) {
    const std::string what = e.what();
    BOOST_TEST(e.path() == path);
    for (const auto& f : fragments) BOOST_TEST(what.find(f) != std::string::npos, "'" << f << "' in: " << what);
  }
  BOOST_TEST(net.export_parameters() == before, boost::test_tools::per_element());
}

} // namespace

BOOST_AUTO_TEST_CASE(round_trip_is_exact) {
  temp_dir dir;
  const auto a = nn::make<model>(nn::init::he_normal{}, 1);
  nn::save(a, dir.file("m.ctnn"));
  auto b = nn::make<model>(nn::init::he_normal{}, 2);
  nn::load(b, dir.file("m.ctnn"));
  BOOST_TEST(a.export_parameters() == b.export_parameters(), boost::test_tools::per_element());
  const nn::tensor<float, nn::shape<4>> x{0.5f, -1, 2, 0.25f};
  BOOST_TEST(a(x)[0] == b(x)[0]);
  BOOST_TEST(a(x)[1] == b(x)[1]);
}

BOOST_AUTO_TEST_CASE(another_topology_names_the_first_differing_layer) {
  temp_dir dir;
  nn::save(nn::make<other>(nn::init::he_normal{}, 1), dir.file("other.ctnn"));
  auto net = nn::make<model>(nn::init::he_normal{}, 3);
  expect_failed_load(net, dir.file("other.ctnn"),
                     {"layer 1", "'1 dense<8> -> shape<8>' (the network being loaded)",
                      "'1 dense<16> -> shape<16>' (saved in the file)"});
}

BOOST_AUTO_TEST_CASE(another_scalar_type_is_named) {
  temp_dir dir;
  nn::save(nn::make<model, double>(nn::init::he_normal{}, 1), dir.file("double.ctnn"));
  auto net = nn::make<model>(nn::init::he_normal{}, 3);
  expect_failed_load(net, dir.file("double.ctnn"), {"scalar type", "scalar float32", "scalar float64"});
}

BOOST_AUTO_TEST_CASE(truncated_file_is_reported) {
  temp_dir dir;
  auto net = nn::make<model>(nn::init::he_normal{}, 3);
  nn::save(net, dir.file("m.ctnn"));
  auto bytes = read_all(dir.file("m.ctnn"));
  for (std::size_t keep : {bytes.size() - 1, bytes.size() - 20, std::size_t{40}, std::size_t{10}, std::size_t{0}}) {
    write_all(dir.file("cut.ctnn"), std::vector<char>(bytes.begin(), bytes.begin() + static_cast<long>(keep)));
    auto victim = nn::make<model>(nn::init::he_normal{}, 4);
    expect_failed_load(victim, dir.file("cut.ctnn"), {"expected"});
  }
  write_all(dir.file("cut.ctnn"), std::vector<char>(bytes.begin(), bytes.end() - 3));
  expect_failed_load(net, dir.file("cut.ctnn"), {"truncated"});
  auto longer = bytes;
  longer.push_back('x');
  write_all(dir.file("long.ctnn"), longer);
  expect_failed_load(net, dir.file("long.ctnn"), {"trailing data"});
}

BOOST_AUTO_TEST_CASE(corrupt_bytes_fail_the_checksum) {
  temp_dir dir;
  nn::save(nn::make<model>(nn::init::he_normal{}, 1), dir.file("m.ctnn"));
  auto bytes = read_all(dir.file("m.ctnn"));
  bytes[bytes.size() - 30] ^= 0x10; // inside the parameter values
  write_all(dir.file("bad.ctnn"), bytes);
  auto net = nn::make<model>(nn::init::he_normal{}, 5);
  expect_failed_load(net, dir.file("bad.ctnn"), {"checksum", "corrupt", "byte "});
}

BOOST_AUTO_TEST_CASE(not_a_weight_file_or_missing) {
  temp_dir dir;
  write_all(dir.file("text.ctnn"), std::vector<char>(100, 'a'));
  auto net = nn::make<model>(nn::init::he_normal{}, 6);
  expect_failed_load(net, dir.file("text.ctnn"), {"byte 0", "magic", "not a ctnn weight file"});
  expect_failed_load(net, dir.file("missing.ctnn"), {"no such readable file"});
  auto bytes = read_all(dir.file("text.ctnn"));
  nn::save(net, dir.file("v.ctnn"));
  bytes = read_all(dir.file("v.ctnn"));
  bytes[8] = 9; // version
  write_all(dir.file("v.ctnn"), bytes);
  expect_failed_load(net, dir.file("v.ctnn"), {"byte 8", "format version 1", "version 9"});
  BOOST_CHECK_THROW(nn::save(net, dir.file("no/such/dir/m.ctnn")), nn::file_error);
}

BOOST_AUTO_TEST_CASE(csv_reads_numbers_and_names_bad_places) {
  temp_dir dir;
  {
    std::ofstream f(dir.file("ok.csv"));
    f << "header,line\n1,2.5,-3\n\n4, 5e-1 ,\"6\"\r\n";
  }
  const auto t = nn::read_csv(dir.file("ok.csv"), {.skip_lines = 1});
  BOOST_TEST(t.rows == 2u);
  BOOST_TEST(t.cols == 3u);
  BOOST_TEST(t(0, 1) == 2.5);
  BOOST_TEST(t(1, 1) == 0.5);
  BOOST_TEST(t(1, 2) == 6.0);

  auto expect = [&](const std::string& text, const std::string& fragment) {
    {
      std::ofstream f(dir.file("bad.csv"));
      f << text;
    }
    try {
      nn::read_csv(dir.file("bad.csv"));
      BOOST_FAIL("no error for: " + text);
    } catch (const nn::file_error& e) {
      BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos, e.what());
      BOOST_TEST(e.path() == dir.file("bad.csv"));
    }
  };
  expect("1,2\n3,x4\n", "line 2, column 2: expected a number, found 'x4'");
  expect("1,2\n3,,4\n", "line 2, column 2: expected a number, found an empty field");
  expect("1,2\n3,4,5\n", "line 2: expected 2 fields, found 3 fields");
  expect("", "expected at least one data row");
  BOOST_CHECK_THROW(nn::read_csv(dir.file("missing.csv")), nn::file_error);
}
