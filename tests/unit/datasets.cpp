// Real data from Debian: the breast-cancer CSV fetched by the dataset helper, its checks, and a
// short version of the main demo's accuracy run.
#define BOOST_TEST_MODULE datasets
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace nn = ctnn;

BOOST_AUTO_TEST_CASE(breast_cancer_has_the_documented_content) {
  const auto data = nn::datasets::load_breast_cancer();
  BOOST_TEST(data.size() == 569u);
  std::size_t benign = 0;
  for (std::size_t i = 0; i < data.size(); ++i) benign += data.target(i)[0] == 1.0f;
  BOOST_TEST(benign == 357u);             // and 212 malignant
  BOOST_TEST(data.input(0)[0] == 17.99f); // the first tumour's mean radius
}

BOOST_AUTO_TEST_CASE(breast_cancer_reaches_the_accuracy_target) {
  using model = nn::network<nn::input<nn::shape<30>>, nn::dense<32>, nn::relu, nn::dense<1>>;
  const auto [train, test] = nn::datasets::breast_cancer_split();
  BOOST_TEST(train.size() == 456u);
  BOOST_TEST(test.size() == 113u);
  double mean = 0; // z-scored with the training statistics
  for (std::size_t i = 0; i < train.size(); ++i) mean += train.input(i)[0];
  BOOST_TEST(std::abs(mean / double(train.size())) < 1e-5);
  for (std::uint64_t seed : {1, 2, 3}) {
    auto net = nn::make<model>(nn::init::pytorch_default{}, seed);
    nn::trainer fit{net, nn::loss::bce_with_logits{}, nn::optim::adam{.lr = 0.01f}};
    fit.train(train, {.epochs = 300, .batch = train.size(), .log = nullptr});
    BOOST_TEST(fit.evaluate(test).metric >= 0.97, "seed " << seed);
  }
}

BOOST_AUTO_TEST_CASE(a_malformed_file_is_named_with_its_line) {
  const auto path = (std::filesystem::temp_directory_path() / "ctnn-bad-wdbc.csv").string();
  {
    std::ofstream f(path);
    f << "569,30,malignant,benign\n";
    for (int k = 0; k < 31; ++k) f << (k ? "," : "") << "1";
    f << "\n1,2,3\n";
  }
  try {
    nn::datasets::load_breast_cancer(path);
    BOOST_FAIL("accepted a malformed file");
  } catch (const nn::file_error& e) {
    BOOST_TEST(std::string(e.what()).find("line 3: expected 31 fields, found 3 fields") != std::string::npos, e.what());
  }
  std::filesystem::remove(path);
}

// The fetch once pasted the cache directory into a shell command between single quotes: a
// cache path holding a quote ran whatever followed it. It now runs apt-get and dpkg with
// argument vectors; a path with quotes, spaces, '$' and a would-be command is just a path.
BOOST_AUTO_TEST_CASE(the_fetch_takes_any_cache_path_literally) {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("ctnn-fetch-" + std::to_string(::getpid()));
  const fs::path marker = base / "INJECTED";
  const fs::path cache = base / ("odd 'cache' \"dir\" $HOME `true` ; touch '" + marker.string() + "' ; echo '");
  fs::create_directories(cache);
  const std::string file = "usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv";
  const fs::path got = nn::datasets::fetch_debian_file("python3-sklearn", file, cache);
  BOOST_TEST(got == cache / "python3-sklearn" / file);
  BOOST_TEST(fs::is_regular_file(got));
  BOOST_TEST(!fs::exists(marker));
  for (const auto& e : fs::directory_iterator(cache)) // the download is cleaned up
    BOOST_TEST(e.path().filename() == "python3-sklearn");
  BOOST_TEST(nn::read_csv(got.string(), {.skip_lines = 1}).rows == 150u);
  // a package that does not exist fails with a file_error naming the package
  try {
    nn::datasets::fetch_debian_file("ctnn-no-such-package", "x", cache);
    BOOST_FAIL("fetched a package that does not exist");
  } catch (const nn::file_error& e) {
    BOOST_TEST(std::string(e.what()).find("ctnn-no-such-package") != std::string::npos, e.what());
  }
  fs::remove_all(base);
}

// The sunspot task of tests/README.md: 249 training windows (targets 1710-1958), 50 test windows
// (1959-2008), z-scored with the statistics of 1700-1958; the two baselines tests/README.md gives.
BOOST_AUTO_TEST_CASE(sunspots_has_the_documented_split_and_baselines) {
  const auto series = nn::datasets::load_sunspots();
  BOOST_TEST(series.years.size() == 309u);
  BOOST_TEST(series.values.front() == 5.0); // 1700
  BOOST_TEST(series.values.back() == 2.9);  // 2008
  const auto task = nn::datasets::sunspots<double>();
  BOOST_TEST(task.train.size() == 249u);
  BOOST_TEST(task.test.size() == 50u);
  BOOST_TEST(task.train_years.front() == 1710);
  BOOST_TEST(task.test_years.front() == 1959);
  BOOST_TEST(task.test_years.back() == 2008);
  // a window holds the 10 years before its target, oldest first
  BOOST_TEST(task.unscale(task.train.input(0)[0]) == 5.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(task.unscale(task.train.target(0)[0]) == series.values[10], boost::test_tools::tolerance(1e-9));
  double naive = 0;
  for (std::size_t i = 0; i < task.test.size(); ++i) {
    const double e = task.unscale(task.test.input(i)[9]) - task.unscale(task.test.target(i)[0]);
    naive += e * e;
  }
  BOOST_TEST(std::sqrt(naive / 50) == 30.35, boost::test_tools::tolerance(1e-3)); // tests/README.md's naive RMSE
}

BOOST_AUTO_TEST_CASE(a_malformed_sunspot_file_names_the_line) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("ctnn-bad-sunspots-" + std::to_string(::getpid()) + ".csv")).string();
  const auto expect_text = [&](const std::string& text, const std::string& message) {
    {
      std::ofstream f(path);
      f << text;
    }
    try {
      (void)nn::datasets::sunspots<double>(path); // the series, then the task's scaling
      BOOST_FAIL("accepted: " << text.substr(0, 80));
    } catch (const nn::file_error& e) {
      BOOST_TEST(std::string(e.what()).find(message) != std::string::npos, e.what());
      BOOST_TEST(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
  };
  const auto expect = [&](const std::string& body, const std::string& message) {
    expect_text("\"YEAR\",\"SUNACTIVITY\"\n" + body, message);
  };
  expect("1700,5\n1702,3\n", "line 3");                                                         // a year missing
  expect("1700,5,1\n", "2 fields");                                                             // a column too many
  expect("1700,5\n1701,nan\n", "line 3");                                                       // not a number
  expect("1700,5\n1701,7\n", "1700 to 2008");                                                   // the series ends early
  expect("1700,5\n1701,1e200\n", "line 3, column 2: expected a sunspot number from 0 to 1000"); // once read as zeros
  expect("1700,-3\n", "a sunspot number");
  expect_text("\"DATE\",\"VALUE\"\n1700,5\n", "line 1: expected the header \"YEAR\",\"SUNACTIVITY\"");
  std::string constant; // once NaN training values
  for (int y = 1700; y <= 2008; ++y) constant += std::to_string(y) + ",42\n";
  expect(constant, "values that vary");
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(digits_read_from_the_gzip_file_and_reach_the_accuracy_target) {
  const auto [train, test] = nn::datasets::digits_split();
  BOOST_TEST(train.size() == 898u);
  BOOST_TEST(test.size() == 899u);
  std::size_t counts[10] = {};
  for (std::size_t i = 0; i < train.size(); ++i) ++counts[std::size_t(train.target(i)[0])];
  for (auto c : counts) BOOST_TEST(c > 80u); // about 90 of each digit
  float hi = 0;
  for (float v : train.inputs()) hi = std::max(hi, v);
  BOOST_TEST(hi == 1.f); // pixels / 16
  // tests/README.md: dense 64 -> 32 relu -> 10 reaches 0.941 in PyTorch; the floor is 0.92
  using model = nn::network<nn::input<nn::shape<64>>, nn::dense<32>, nn::relu, nn::dense<10>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 1e-2}};
  (void)fit.train(train, {.epochs = 60, .batch = 64, .seed = 2, .log = nullptr});
  const auto e = fit.evaluate(test);
  BOOST_TEST_MESSAGE("digits test accuracy " << e.metric);
  BOOST_TEST(e.metric >= 0.92);
  BOOST_REQUIRE(e.classification);
  BOOST_TEST(e.classification->classes == 10u);
}

// A cache shared with others is not trusted as it is: a cached file that is a symbolic link, or
// that others can write, is refused with what to do.
BOOST_AUTO_TEST_CASE(a_cached_file_others_could_have_planted_is_refused) {
  namespace fs = std::filesystem;
  const fs::path cache = fs::temp_directory_path() / ("ctnn-cache-test-" + std::to_string(::getpid()));
  const fs::path file = cache / "some-package" / "data.csv";
  fs::create_directories(file.parent_path());
  fs::permissions(cache / "some-package", fs::perms::owner_all);
  const auto refused = [&] {
    try {
      (void)nn::datasets::fetch_debian_file("some-package", "data.csv", cache);
    } catch (const nn::file_error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  std::ofstream(file) << "1,2\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  BOOST_TEST(nn::datasets::fetch_debian_file("some-package", "data.csv", cache) == file); // one's own: used
  fs::permissions(file, fs::perms::others_write, fs::perm_options::add);
  const auto writable = refused();
  BOOST_TEST(writable.find("checking the dataset cache") != std::string::npos, writable);
  BOOST_TEST(writable.find("CTNN_CACHE_DIR") != std::string::npos, writable);
  fs::remove(file);
  fs::create_symlink("/etc/hostname", file);
  const auto link = refused();
  BOOST_TEST(link.find("another kind of file or owner") != std::string::npos, link);
  fs::remove_all(cache);
}
