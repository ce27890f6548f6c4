// Weight files (round trip, foreign topology, scalar type, truncation, corruption, not a weight
// file: each failure names the file and leaves the network as it was) and the CSV reader.
#define BOOST_TEST_MODULE io
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>
#include <ctnn/interop/golden.hpp>

#include <filesystem>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
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
  expect_failed_load(net, dir.file("missing.ctnn"), {"opening", "no such file"});
  auto bytes = read_all(dir.file("text.ctnn"));
  nn::save(net, dir.file("v.ctnn"));
  bytes = read_all(dir.file("v.ctnn"));
  bytes[8] = 9; // version
  write_all(dir.file("v.ctnn"), bytes);
  expect_failed_load(net, dir.file("v.ctnn"), {"byte 8", "format version 1", "version 9"});
  BOOST_CHECK_THROW(nn::save(net, dir.file("no/such/dir/m.ctnn")), nn::file_error);
}

// A directory once threw std::ios_base::failure, /dev/zero bad_alloc after reading about 1 GB,
// and a huge parameter count said "expected a file of 18446744073709551615 bytes".
BOOST_AUTO_TEST_CASE(directories_devices_and_absurd_counts_are_file_errors) {
  temp_dir dir;
  auto net = nn::make<model>(nn::init::he_normal{}, 6);
  expect_failed_load(net, dir.path.string(), {"opening", "a directory"});
  expect_failed_load(net, "/dev/zero", {"byte 0", "magic"});
  nn::save(net, dir.file("m.ctnn"));
  auto bytes = read_all(dir.file("m.ctnn"));
  const std::size_t fp_len =
      std::size_t(static_cast<unsigned char>(bytes[12])) | std::size_t(static_cast<unsigned char>(bytes[13])) << 8;
  for (std::size_t k = 0; k < 8; ++k) bytes[16 + fp_len + k] = char(0xff); // count = 2^64 - 1
  write_all(dir.file("count.ctnn"), bytes);
  expect_failed_load(net, dir.file("count.ctnn"),
                     {"parameter count the file can hold", "18446744073709551615 parameters"});
  try {
    nn::load(net, dir.file("count.ctnn"));
  } catch (const nn::file_error& e) {
    BOOST_TEST(std::string(e.what()).find("a file of 18446744073709551615") == std::string::npos, e.what());
  }
  // a huge fingerprint length
  bytes = read_all(dir.file("m.ctnn"));
  bytes[15] = char(0x7f);
  write_all(dir.file("fp.ctnn"), bytes);
  expect_failed_load(net, dir.file("fp.ctnn"), {"byte 12", "truncated"});
  // an existing file that cannot be read (root reads everything: then there is nothing to test)
  write_all(dir.file("locked.ctnn"), read_all(dir.file("m.ctnn")));
  fs::permissions(dir.file("locked.ctnn"), fs::perms::none);
  if (::geteuid() != 0)
    expect_failed_load(net, dir.file("locked.ctnn"), {"opening", "cannot be opened", "ermission denied"});
  else
    BOOST_TEST_MESSAGE("running as root: the unreadable-file case cannot be made");
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

  // non-finite cells are rejected unless asked for; signs and ranges are read exactly
  expect("1,nan\n", "line 1, column 2: expected a finite number");
  expect("1,2\ninf,2\n", "line 2, column 1: expected a finite number");
  expect("1,-infinity\n", "found '-infinity'");
  expect("nan(123),1\n", "found 'nan(123)'");
  expect("1,+-1\n", "line 1, column 2: expected a number, found '+-1'");
  expect("++1\n", "found '++1'");
  expect("1,+\n", "found '+'");
  expect("1e400\n", "expected a number within the range of double, found '1e400' (out of range)");
  {
    std::ofstream f(dir.file("nan.csv"));
    f << "nan,inf,-inf,+1.5,1e-400\n";
  }
  const auto n = nn::read_csv(dir.file("nan.csv"), {.allow_non_finite = true});
  BOOST_TEST(std::isnan(n(0, 0)));
  BOOST_TEST(std::isinf(n(0, 1)));
  BOOST_TEST(n(0, 2) < 0);
  BOOST_TEST(n(0, 3) == 1.5);
  BOOST_TEST(n(0, 4) == 0.0);

  // a UTF-8 byte order mark is skipped
  {
    std::ofstream f(dir.file("bom.csv"));
    f << "\xEF\xBB\xBF"
      << "7,8\n";
  }
  BOOST_TEST(nn::read_csv(dir.file("bom.csv"))(0, 0) == 7.0);

  // narrowing to float checks the range, naming the cell
  {
    std::ofstream f(dir.file("big.csv"));
    f << "1,2\n\n3,1e300\n";
  }
  const auto big = nn::read_csv(dir.file("big.csv"));
  BOOST_TEST(big.get<double>(1, 1) == 1e300);
  try {
    (void)big.get<float>(1, 1);
    BOOST_FAIL("1e300 became a float");
  } catch (const nn::file_error& e) {
    BOOST_TEST(std::string(e.what()).find("line 3, column 2: expected a value within the range of float") !=
                   std::string::npos,
               e.what());
  }
}

// Debian ships datasets gzip-compressed: read_csv reads them as they are, and a corrupt or
// truncated stream is a file_error naming the file.
BOOST_AUTO_TEST_CASE(csv_reads_gzip_files) {
  temp_dir dir;
  const std::string text = "a,b\n1,2\n3,4.5\n";
  {
    gzFile z = gzopen(dir.file("t.csv.gz").c_str(), "wb");
    gzwrite(z, text.data(), unsigned(text.size()));
    gzclose(z);
  }
  const auto t = nn::read_csv(dir.file("t.csv.gz"), {.skip_lines = 1});
  BOOST_TEST(t.rows == 2u);
  BOOST_TEST(t(1, 1) == 4.5);
  auto bytes = read_all(dir.file("t.csv.gz"));
  write_all(dir.file("cut.csv.gz"), std::vector<char>(bytes.begin(), bytes.begin() + 15));
  try {
    nn::read_csv(dir.file("cut.csv.gz"));
    BOOST_FAIL("a truncated gzip file was read");
  } catch (const nn::file_error& e) {
    BOOST_TEST(e.path() == dir.file("cut.csv.gz"));
    BOOST_TEST(std::string(e.what()).find("gzip") != std::string::npos, e.what());
  }
  bytes[12] ^= 0x55; // inside the deflate data
  write_all(dir.file("bad.csv.gz"), bytes);
  BOOST_CHECK_THROW(nn::read_csv(dir.file("bad.csv.gz")), nn::file_error);
}

// The fingerprint covers convolutional layers with their options; weights round-trip in
// PyTorch's [out_c, in_c, kh, kw] order.
BOOST_AUTO_TEST_CASE(conv_networks_round_trip_and_are_fingerprinted) {
  temp_dir dir;
  using cnn = nn::network<nn::input<nn::shape<1, 8, 8>>, nn::conv2d<4, nn::kernel<3>, nn::padding<1>>, nn::relu,
                          nn::max_pool2d<nn::window<2>>, nn::flatten, nn::dense<3>>;
  using other_cnn = nn::network<nn::input<nn::shape<1, 8, 8>>, nn::conv2d<4, nn::kernel<3>, nn::same>, nn::relu,
                                nn::max_pool2d<nn::window<2>>, nn::flatten, nn::dense<3>>;
  const auto a = nn::make<cnn>(nn::init::he_normal{}, 1);
  nn::save(a, dir.file("cnn.ctnn"));
  auto b = nn::make<cnn>(nn::init::he_normal{}, 2);
  nn::load(b, dir.file("cnn.ctnn"));
  BOOST_TEST(a.export_parameters() == b.export_parameters(), boost::test_tools::per_element());
  BOOST_TEST(nn::net<cnn>::fingerprint()[2] == "1 conv2d<4, kernel<3, 3>, padding<1, 1>> -> shape<4, 8, 8>");
  auto c = nn::make<other_cnn>(nn::init::he_normal{}, 3); // same sizes, other padding option
  expect_failed_load(c, dir.file("cnn.ctnn"), {"layer 1", "conv2d<4, kernel<3, 3>, same>", "padding<1, 1>"});
  // PyTorch's layout: weight(f, (c * KH + i) * KW + j) is W[f][c][i][j], first in the export
  auto d = a;
  d.layer<1>().weight(2, 5) = 7.5f;
  BOOST_TEST(d.export_parameters()[2 * 9 + 5] == 7.5f);
}

// Recurrent networks: the fingerprint names each cell and the sequence shapes; weights
// round-trip in PyTorch's weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 order, and an
// LSTM's file does not load into a GRU of the same size.
BOOST_AUTO_TEST_CASE(recurrent_networks_round_trip_and_are_fingerprinted) {
  temp_dir dir;
  using seq = nn::network<nn::input<nn::sequence<12, 3>>, nn::lstm<5>, nn::last, nn::dense<1>>;
  using other = nn::network<nn::input<nn::sequence<12, 3>>, nn::gru<5>, nn::last, nn::dense<1>>;
  const auto a = nn::make<seq>(nn::init::pytorch_default{}, 1);
  nn::save(a, dir.file("lstm.ctnn"));
  auto b = nn::make<seq>(nn::init::pytorch_default{}, 2);
  nn::load(b, dir.file("lstm.ctnn"));
  BOOST_TEST(a.export_parameters() == b.export_parameters(), boost::test_tools::per_element());
  BOOST_TEST(nn::net<seq>::fingerprint()[1] == "0 input<sequence<12, 3>> -> sequence<12, 3>");
  BOOST_TEST(nn::net<seq>::fingerprint()[2] == "1 lstm<5> -> sequence<12, 5>");
  BOOST_TEST(nn::net<seq>::fingerprint()[3] == "2 last -> shape<5>");
  auto c = nn::make<other>(nn::init::pytorch_default{}, 3);
  expect_failed_load(c, dir.file("lstm.ctnn"), {"layer 1", "gru<5>", "lstm<5>"});
  // import and export are inverse: every one of PyTorch's parameters has its own place
  std::vector<float> p(nn::net<seq>::param_count);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = float(i);
  auto d = nn::net<seq>{};
  d.import_parameters(p);
  BOOST_TEST(d.export_parameters() == p, boost::test_tools::per_element());
}

namespace {
/// A gzip file of n zero bytes: a few megabytes that expand to n.
void write_gzip_zeros(const std::string& path, std::uint64_t n) {
  gzFile f = gzopen(path.c_str(), "wb9");
  const std::vector<char> zeros(1 << 20, 0);
  for (std::uint64_t left = n; left > 0;) {
    const auto k = unsigned(std::min<std::uint64_t>(left, zeros.size()));
    gzwrite(f, zeros.data(), k);
    left -= k;
  }
  gzclose(f);
}
template <class F>
std::string file_error_of(F&& f) {
  try {
    f();
  } catch (const nn::file_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("another exception: ") + e.what();
  }
  return "(no error)";
}
} // namespace

// Every reader bounds what it takes: a device that never ends (/dev/zero) and a gzip bomb (a few
// megabytes expanding past the limit) are file_errors naming the limit, not bad_alloc; formats
// that are never compressed refuse gzip data.
BOOST_AUTO_TEST_CASE(every_reader_bounds_what_it_reads) {
  temp_dir dir;
  BOOST_TEST(nn::max_file_bytes() == std::uint64_t(1) << 30); // the documented default
  nn::set_max_file_bytes(64u << 20);                          // the same code path, a test-sized limit
  struct restore {
    ~restore() { nn::set_max_file_bytes(std::uint64_t(1) << 30); }
  } restore_default;
  const std::string limit = "at most " + std::to_string(64u << 20) + " bytes";
  const auto bomb = dir.file("bomb.gz");
  write_gzip_zeros(bomb, (64u << 20) + (1 << 20));
  BOOST_TEST(fs::file_size(bomb) < (1u << 20));
  for (const std::string& path : {std::string("/dev/zero"), bomb}) {
    for (const auto& e :
         {file_error_of([&] { (void)nn::read_idx(path); }), file_error_of([&] { (void)nn::read_csv(path); }),
          file_error_of([&] { (void)nn::datasets::load_sunspots(path); })}) {
      BOOST_TEST(e.find(path) != std::string::npos, e);
      BOOST_TEST(e.find(limit) != std::string::npos, e);
    }
  }
  const auto golden = file_error_of([] { (void)nn::read_golden("/dev/zero"); });
  BOOST_TEST(golden.find(limit) != std::string::npos, golden);
  const auto gzipped_golden = file_error_of([&] { (void)nn::read_golden(bomb); });
  BOOST_TEST(gzipped_golden.find("gzip-compressed data (decompress it first)") != std::string::npos, gzipped_golden);

  // a checkpoint: bounded by what the network and the dataset can hold
  auto net = nn::make<model>(nn::init::he_uniform{}, 1);
  nn::dataset<float, nn::shape<4>, nn::shape<2>> data;
  data.push_back(nn::tensor<float, nn::shape<4>>{1, 2, 3, 4}, nn::tensor<float, nn::shape<2>>{0, 1});
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{}};
  const auto ckpt = file_error_of([&] { (void)fit.resume("/dev/zero", data, {.log = nullptr}); });
  BOOST_TEST(ckpt.find("/dev/zero") != std::string::npos, ckpt);
  BOOST_TEST(ckpt.find("ctnn's limit for this file") != std::string::npos, ckpt);
  const auto gz_ckpt = file_error_of([&] { (void)fit.resume(bomb, data, {.log = nullptr}); });
  BOOST_TEST(gz_ckpt.find("gzip-compressed data") != std::string::npos, gz_ckpt);
  BOOST_TEST(fit.steps() == 0);
}

// A truncated checkpoint names the field it ends in and the byte, not only "corrupt".
BOOST_AUTO_TEST_CASE(a_truncated_checkpoint_names_the_field) {
  temp_dir dir;
  auto net = nn::make<model>(nn::init::he_uniform{}, 1);
  nn::dataset<float, nn::shape<4>, nn::shape<2>> data;
  for (int i = 0; i < 8; ++i)
    data.push_back(nn::tensor<float, nn::shape<4>>{float(i), 2, 3, 4}, nn::tensor<float, nn::shape<2>>{0, 1});
  const auto path = dir.file("run.ckpt");
  {
    nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{}};
    (void)fit.train(data, {.epochs = 1, .batch = 4, .log = nullptr, .checkpoint = {.path = path}});
  }
  auto bytes = read_all(path);
  bytes.resize(bytes.size() / 2);
  write_all(path, bytes);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{}};
  const auto e = file_error_of([&] { (void)fit.resume(path, data, {.epochs = 2, .batch = 4, .log = nullptr}); });
  BOOST_TEST(e.find("truncated at byte " + std::to_string(bytes.size())) != std::string::npos, e);
  BOOST_TEST((e.find("parameters") != std::string::npos || e.find("optimizer state") != std::string::npos), e);
}

// Writes never follow a symbolic link planted where the file goes: the link is replaced by the new
// file, and its target (a victim's file) keeps every byte.
BOOST_AUTO_TEST_CASE(writes_replace_a_planted_symlink_and_leave_its_target_alone) {
  temp_dir dir;
  const auto victim = dir.file("victim.txt");
  write_all(victim, {'m', 'i', 'n', 'e'});
  const auto net = nn::make<model>(nn::init::he_uniform{}, 1);
  const auto weights = dir.file("model.ctnn");
  fs::create_symlink(victim, weights);
  nn::save(net, weights);
  BOOST_TEST(!fs::is_symlink(weights));
  BOOST_TEST((read_all(victim) == std::vector<char>{'m', 'i', 'n', 'e'}));
  nn::net<model> loaded;
  nn::load(loaded, weights);
  BOOST_TEST(loaded.export_parameters() == net.export_parameters());

  auto trained = net;
  nn::dataset<float, nn::shape<4>, nn::shape<2>> data;
  data.push_back(nn::tensor<float, nn::shape<4>>{1, 2, 3, 4}, nn::tensor<float, nn::shape<2>>{0, 1});
  const auto ckpt = dir.file("run.ckpt");
  fs::create_symlink(victim, ckpt);
  fs::create_symlink(victim, ckpt + ".partial"); // the name an earlier version wrote through
  nn::trainer fit{trained, nn::loss::mse{}, nn::optim::sgd{}};
  (void)fit.train(data, {.epochs = 1, .log = nullptr, .checkpoint = {.path = ckpt}});
  BOOST_TEST(!fs::is_symlink(ckpt));
  BOOST_TEST((read_all(victim) == std::vector<char>{'m', 'i', 'n', 'e'}));
  std::size_t leftovers = 0; // no temporary is left beside them
  for (const auto& e : fs::directory_iterator(dir.path))
    leftovers += e.path().filename().string().find(".tmp-") != std::string::npos;
  BOOST_TEST(leftovers == 0u);
}

// What a message quotes from a file is escaped: control and non-ASCII bytes as \xNN, quotes and
// backslashes with a backslash (a foreign fingerprint cannot write raw bytes to a terminal).
BOOST_AUTO_TEST_CASE(quoted_file_bytes_are_escaped) {
  BOOST_TEST(nn::weights_format::quoted("dense<4>") == "'dense<4>'");
  BOOST_TEST(nn::weights_format::quoted(std::string("a\x01\x1b[2J'\\\xff", 9)) == "'a\\x01\\x1b[2J\\'\\\\\\xff'");
  BOOST_TEST(nn::weights_format::quoted(std::string(300, 'x')).size() == 200u + 5u);
  temp_dir dir;
  const auto path = dir.file("escaped.ctnn");
  nn::save(nn::make<model>(nn::init::he_uniform{}, 1), path);
  auto bytes = read_all(path);
  const std::string text(bytes.begin(), bytes.end());
  const std::size_t at = text.find("dense<8>");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  bytes[at + 1] = '\x1b'; // "d\x1bnse<8>"
  const auto body = std::vector<unsigned char>(bytes.begin(), bytes.end() - 8);
  const std::uint64_t sum = nn::weights_format::fnv1a(body.data(), body.size());
  std::memcpy(bytes.data() + bytes.size() - 8, &sum, 8);
  write_all(path, bytes);
  nn::net<model> n;
  try {
    nn::load(n, path);
    BOOST_FAIL("a foreign fingerprint was accepted");
  } catch (const nn::file_error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("'1 d\\x1bnse<8> -> shape<8>' (saved in the file)") != std::string::npos, what);
    BOOST_TEST(what.find('\x1b') == std::string::npos, what);
  }
}
