// Real data from Debian: the breast-cancer CSV fetched by the dataset helper, its checks, and a
// short version of the main demo's accuracy run.
#define BOOST_TEST_MODULE datasets
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

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
