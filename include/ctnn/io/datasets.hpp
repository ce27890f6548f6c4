// Real datasets shipped by Debian packages: found on the system, or extracted from the package
// (apt-get download + dpkg -x, no installation, no dependencies pulled) into a cache.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/shape.hpp>
#include <ctnn/io/csv.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/train/dataset.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace CTNN_NAMESPACE::datasets {

/// The cache directory: $CTNN_CACHE_DIR, else $XDG_CACHE_HOME/ctnn, else $HOME/.cache/ctnn,
/// else ./.ctnn-cache.
inline std::filesystem::path cache_dir() {
  if (const char* d = std::getenv("CTNN_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::filesystem::path(d) / "ctnn";
  if (const char* d = std::getenv("HOME"); d && *d) return std::filesystem::path(d) / ".cache" / "ctnn";
  return ".ctnn-cache";
}

namespace detail {
/// Refuses a cached file that another user could have planted or changed: it must be a regular
/// file (not a symbolic link), owned by this user or root, and writable by no one else; and so
/// must be its folder unless that folder is sticky (as /tmp is).
inline void check_cached(const std::filesystem::path& cached) {
  struct ::stat file {
  }, folder{};
  const bool ok_file = ::lstat(cached.c_str(), &file) == 0 && S_ISREG(file.st_mode) &&
                       (file.st_uid == ::geteuid() || file.st_uid == 0) && (file.st_mode & (S_IWGRP | S_IWOTH)) == 0;
  const bool ok_folder = ::stat(cached.parent_path().c_str(), &folder) == 0 &&
                         ((folder.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (folder.st_mode & S_ISVTX) != 0);
  if (!ok_file || !ok_folder)
    throw file_error(cached.string(), "checking the dataset cache",
                     "a regular file owned by you or root that no one else can write, in a folder no one else can "
                     "write",
                     std::string(!ok_file ? "another kind of file or owner" : "a folder others can write") +
                         " (remove it, or set CTNN_CACHE_DIR to a folder of your own)");
}

/// Runs a program with an argument vector, no shell (so no quoting to get wrong: the cache path
/// may hold quotes, spaces or '$'), in directory `dir`, its output discarded. Returns whether it
/// exited with status 0.
inline bool run_quietly(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string where = dir.string();
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) { // the child: only async-signal-safe calls until exec
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    if (::chdir(where.c_str()) == 0) ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
} // namespace detail

/// The file `path_in_package` (relative to /) of Debian package `package`, extracted into
/// `cache` (cache / package / path_in_package) unless it is there already: by
/// `apt-get download <package>` and `dpkg -x`, run without a shell (needs no root, only an
/// up-to-date package list). Throws file_error saying what failed and what to do.
inline std::filesystem::path fetch_debian_file(const std::string& package, const std::string& path_in_package,
                                               const std::filesystem::path& cache) {
  namespace fs = std::filesystem;
  const fs::path cached = cache / package / path_in_package;
  std::error_code ec;
  if (fs::symlink_status(cached, ec).type() != fs::file_type::not_found) {
    detail::check_cached(cached);
    return cached;
  }
  // In a folder of its own (a unique name, made by mkdtemp), and the result written beside the
  // cached name and renamed into place: two programs may fetch into one cache at once (the demo
  // and the tests do), and nothing planted in a shared cache is followed.
  fs::create_directories(cache, ec);
  std::string folder = (cache / (package + ".download-XXXXXX")).string();
  const bool made = ::mkdtemp(folder.data()) != nullptr;
  const fs::path download = folder;
  auto fail = [&](const std::string& step) {
    std::error_code ignored;
    if (made) fs::remove_all(download, ignored);
    return file_error(cached.string(), "fetching from Debian package " + package,
                      step + " to succeed and provide " + path_in_package,
                      "a failure (run 'apt-get update' first, or install " + package + ")");
  };
  if (!made) throw fail("creating a folder in " + cache.string());
  if (!detail::run_quietly({"apt-get", "download", "-q", package}, download))
    throw fail("'apt-get download " + package + "'");
  fs::path deb;
  for (const auto& e : fs::directory_iterator(download, ec))
    if (e.path().extension() == ".deb" && e.path().filename().string().rfind(package + "_", 0) == 0) deb = e.path();
  if (deb.empty()) throw fail("'apt-get download " + package + "' (no .deb file appeared)");
  if (!detail::run_quietly({"dpkg", "-x", deb.string(), (download / "root").string()}, download) ||
      !fs::exists(download / "root" / path_in_package))
    throw fail("'dpkg -x " + deb.filename().string() + "'");
  fs::create_directories(cached.parent_path(), ec);
  try {
    const std::string bytes = ctnn::detail::read_file((download / "root" / path_in_package).string(),
                                                      "the extracted " + path_in_package, {.gzip = true, .raw = true});
    ctnn::detail::write_file_atomically(cached.string(), bytes.data(), bytes.size(), "a file in the cache");
  } catch (const file_error& e) {
    throw fail(std::string("copying into the cache (") + e.what() + ")");
  }
  fs::remove_all(download, ec);
  return cached;
}

/// The file `path_in_package` (relative to /) of Debian package `package`: from the installed
/// package if present, else from the cache (cache_dir()), else fetched into it (see
/// fetch_debian_file).
inline std::filesystem::path debian_file(const std::string& package, const std::string& path_in_package) {
  const std::filesystem::path installed = std::filesystem::path("/") / path_in_package;
  if (std::filesystem::exists(installed)) return installed;
  return fetch_debian_file(package, path_in_package, cache_dir());
}

/// Path of scikit-learn's copy of the Wisconsin diagnostic breast cancer data (WDBC).
inline std::filesystem::path breast_cancer_csv() {
  return debian_file("python3-sklearn", "usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv");
}

/// WDBC: 569 samples of 30 features; target 0 = malignant (212), 1 = benign (357).
/// The file starts with a header line "569,30,malignant,benign" that is checked.
template <class T = float>
dataset<T, shape<30>, shape<1>> load_breast_cancer(const std::filesystem::path& csv = breast_cancer_csv()) {
  const auto table = read_csv(csv.string(), {.skip_lines = 1});
  if (table.cols != 31)
    throw file_error(csv.string(), "line 2", "31 fields (30 features and the label)",
                     std::to_string(table.cols) + " fields");
  if (table.rows != 569)
    throw file_error(csv.string(), "the data rows", "569 rows (as the header says)", std::to_string(table.rows));
  dataset<T, shape<30>, shape<1>> d;
  d.reserve(table.rows);
  for (std::size_t r = 0; r < table.rows; ++r) {
    tensor<T, shape<30>> x;
    for (std::size_t k = 0; k < 30; ++k) x[k] = table.get<T>(r, k);
    const double label = table(r, 30);
    if (label != 0 && label != 1)
      throw file_error(csv.string(), table.where(r, 30), "a label 0 or 1", std::to_string(label));
    d.push_back(x, tensor<T, shape<1>>{static_cast<T>(label)});
  }
  return d;
}

/// A training and a test set.
template <class D>
struct split {
  D train, test;
};

/// WDBC with the fixed split of tests/README.md: rows whose index % 5 == 4 are the test set (113), the
/// others the training set (456); features are z-scored with the training set's statistics only.
template <class T = float>
split<dataset<T, shape<30>, shape<1>>> breast_cancer_split(const std::filesystem::path& csv = breast_cancer_csv()) {
  const auto all = load_breast_cancer<T>(csv);
  split<dataset<T, shape<30>, shape<1>>> s{all.subset([](std::size_t i) { return i % 5 != 4; }),
                                           all.subset([](std::size_t i) { return i % 5 == 4; })};
  const auto scaler = standardizer<T>::fit(s.train);
  scaler.apply(s.train);
  scaler.apply(s.test);
  return s;
}

/// Path of one file of Debian's dataset-fashion-mnist (installed, or extracted into the cache):
/// name is e.g. "train-images-idx3-ubyte.gz".
inline std::filesystem::path fashion_mnist_file(const std::string& name) {
  return debian_file("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist/" + name);
}

/// Fashion-MNIST images [1, 28, 28] (pixels / 255) and labels 0..9 from two IDX files. `limit`
/// keeps the first images only (0: all). Throws file_error naming the file and byte for a
/// malformed file, a label out of range or image and label counts that disagree.
template <class T = float>
dataset<T, shape<1, 28, 28>, shape<1>> load_fashion_mnist(const std::filesystem::path& images,
                                                          const std::filesystem::path& labels, std::size_t limit = 0) {
  const idx_array x = read_idx(images.string(), 3);
  const idx_array y = read_idx(labels.string(), 1);
  if (x.dims[1] != 28 || x.dims[2] != 28)
    throw file_error(images.string(), "byte 8", "28 x 28 images",
                     std::to_string(x.dims[1]) + " x " + std::to_string(x.dims[2]) + " images");
  if (x.count() != y.count())
    throw file_error(labels.string(), "byte 4",
                     std::to_string(x.count()) + " labels (one per image of " + images.string() + ")",
                     std::to_string(y.count()) + " labels");
  const std::size_t n = limit ? std::min(limit, x.count()) : x.count();
  dataset<T, shape<1, 28, 28>, shape<1>> d;
  d.reserve(n);
  tensor<T, shape<1, 28, 28>> img;
  for (std::size_t i = 0; i < n; ++i) {
    if (y.data[i] > 9)
      throw file_error(labels.string(), "byte " + std::to_string(8 + i), "a label from 0 to 9",
                       std::to_string(int(y.data[i])));
    for (std::size_t k = 0; k < 784; ++k) img[k] = T(x.data[i * 784 + k]) / T(255);
    d.push_back(img, tensor<T, shape<1>>{T(y.data[i])});
  }
  return d;
}

/// Fashion-MNIST's official split: 60,000 training and 10,000 test images, from Debian's
/// dataset-fashion-mnist (fetched into the cache if it is not installed). `train_limit` and
/// `test_limit` keep the first images only (0: all).
template <class T = float>
split<dataset<T, shape<1, 28, 28>, shape<1>>> fashion_mnist(std::size_t train_limit = 0, std::size_t test_limit = 0) {
  return {load_fashion_mnist<T>(fashion_mnist_file("train-images-idx3-ubyte.gz"),
                                fashion_mnist_file("train-labels-idx1-ubyte.gz"), train_limit),
          load_fashion_mnist<T>(fashion_mnist_file("t10k-images-idx3-ubyte.gz"),
                                fashion_mnist_file("t10k-labels-idx1-ubyte.gz"), test_limit)};
}

/// Path of scikit-learn's handwritten digits (8x8 images, gzip-compressed: read_csv decompresses it).
inline std::filesystem::path digits_csv() {
  return debian_file("python3-sklearn", "usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz");
}

/// scikit-learn's digits: 1797 images of 8x8 pixels (0..16, scaled here to [0, 1] as tests/README.md
/// says) and the digit 0..9. No header. Throws file_error naming the file and line for a
/// malformed file (a row of other than 65 fields, a pixel outside 0..16, a label outside 0..9).
template <class T = float>
dataset<T, shape<64>, shape<1>> load_digits(const std::filesystem::path& csv = digits_csv()) {
  const auto table = read_csv(csv.string());
  if (table.cols != 65)
    throw file_error(csv.string(), "line 1", "65 fields (64 pixels and the label)",
                     std::to_string(table.cols) + " fields");
  if (table.rows != 1797) throw file_error(csv.string(), "the data rows", "1797 rows", std::to_string(table.rows));
  dataset<T, shape<64>, shape<1>> d;
  d.reserve(table.rows);
  for (std::size_t r = 0; r < table.rows; ++r) {
    tensor<T, shape<64>> x;
    for (std::size_t k = 0; k < 64; ++k) {
      const double v = table(r, k);
      if (!(v >= 0 && v <= 16))
        throw file_error(csv.string(), table.where(r, k), "a pixel in 0..16", std::to_string(v));
      x[k] = static_cast<T>(v / 16);
    }
    const double label = table(r, 64);
    if (!(label >= 0 && label <= 9 && label == std::floor(label)))
      throw file_error(csv.string(), table.where(r, 64), "a digit 0..9", std::to_string(label));
    d.push_back(x, tensor<T, shape<1>>{static_cast<T>(label)});
  }
  return d;
}

/// The digits with tests/README.md's split: the first 898 rows train, the last 899 test.
template <class T = float>
split<dataset<T, shape<64>, shape<1>>> digits_split(const std::filesystem::path& csv = digits_csv()) {
  const auto all = load_digits<T>(csv);
  return {all.subset([](std::size_t i) { return i < 898; }), all.subset([](std::size_t i) { return i >= 898; })};
}

/// Path of statsmodels' yearly sunspot numbers ("YEAR","SUNACTIVITY", 1700-2008), from
/// Debian's python3-statsmodels (installed, or extracted into the cache: not installed).
inline std::filesystem::path sunspots_csv() {
  return debian_file("python3-statsmodels", "usr/lib/python3/dist-packages/statsmodels/datasets/sunspots/sunspots.csv");
}

/// A yearly series: years[i] and values[i], consecutive years.
struct yearly_series {
  std::vector<int> years;
  std::vector<double> values;
};

/// The highest yearly sunspot number load_sunspots accepts (the series peaks near 190).
inline constexpr double max_sunspot_number = 1000;

/// The sunspot series. Throws file_error naming the file and line for a header other than
/// "YEAR","SUNACTIVITY", a value that is not a number in [0, max_sunspot_number], a year out of
/// sequence or a series other than 1700-2008.
inline yearly_series load_sunspots(const std::filesystem::path& csv = sunspots_csv()) {
  {
    const std::string text = ctnn::detail::read_file(csv.string(), "statsmodels' sunspots.csv");
    std::string header = text.substr(0, text.find('\n'));
    std::erase_if(header, [](char c) { return c == '"' || c == '\r' || c == ' '; });
    if (header != "YEAR,SUNACTIVITY")
      throw file_error(csv.string(), "line 1", "the header \"YEAR\",\"SUNACTIVITY\"",
                       "a line of " + std::to_string(header.size()) + " other characters");
  }
  const auto table = read_csv(csv.string(), {.skip_lines = 1});
  if (table.cols != 2)
    throw file_error(csv.string(), "line 2", "2 fields (YEAR, SUNACTIVITY)", std::to_string(table.cols) + " fields");
  yearly_series s;
  for (std::size_t r = 0; r < table.rows; ++r) {
    const double year = table(r, 0);
    const int expected = r == 0 ? 1700 : s.years.back() + 1;
    if (year != expected)
      throw file_error(csv.string(), table.where(r, 0), "the year " + std::to_string(expected), std::to_string(year));
    const double v = table(r, 1);
    if (!(v >= 0 && v <= max_sunspot_number))
      throw file_error(csv.string(), table.where(r, 1),
                       "a sunspot number from 0 to " + std::to_string(int(max_sunspot_number)), std::to_string(v));
    s.years.push_back(expected);
    s.values.push_back(v);
  }
  if (s.years.empty() || s.years.back() != 2008)
    throw file_error(csv.string(), "the data rows", "the years 1700 to 2008",
                     s.years.empty() ? "no rows" : "the years 1700 to " + std::to_string(s.years.back()));
  return s;
}

/// The sunspot forecasting task of tests/README.md: each sample is the Lags years before a target year
/// (a sequence<Lags, 1>, oldest first) and the target is that year's value. Training targets
/// are the years 1710-1958, test targets 1959-2008. Values are z-scored with the mean and
/// (population) standard deviation of the years the training set sees, 1700-1958; `unscale`
/// turns a prediction back into sunspot units.
template <class T = float, std::size_t Lags = 10>
struct sunspots_task : split<dataset<T, sequence<Lags, 1>, shape<1>>> {
  double mean = 0, scale = 1;
  std::vector<int> train_years, test_years; ///< each sample's target year
  double unscale(double z) const noexcept { return z * scale + mean; }
};

template <class T = float, std::size_t Lags = 10>
sunspots_task<T, Lags> sunspots(const std::filesystem::path& csv = sunspots_csv()) {
  static_assert(Lags >= 1 && Lags <= 10, "ctnn::datasets::sunspots: 1 to 10 lags (the first target is 1710)");
  const yearly_series s = load_sunspots(csv);
  sunspots_task<T, Lags> task;
  const std::size_t last_train = 1958 - 1700; // index of 1958
  double sum = 0, squares = 0;
  for (std::size_t i = 0; i <= last_train; ++i) sum += s.values[i];
  task.mean = sum / double(last_train + 1);
  for (std::size_t i = 0; i <= last_train; ++i) squares += (s.values[i] - task.mean) * (s.values[i] - task.mean);
  task.scale = std::sqrt(squares / double(last_train + 1));
  if (!(task.scale > 0))
    throw file_error(csv.string(), "the years 1700 to 1958", "values that vary (they are scaled by their spread)",
                     "the same value every year");
  tensor<T, sequence<Lags, 1>> x;
  for (std::size_t i = 10; i < s.values.size(); ++i) { // targets from 1710
    for (std::size_t k = 0; k < Lags; ++k) x[k] = T((s.values[i - Lags + k] - task.mean) / task.scale);
    const tensor<T, shape<1>> t{T((s.values[i] - task.mean) / task.scale)};
    if (i <= last_train) {
      task.train.push_back(x, t);
      task.train_years.push_back(s.years[i]);
    } else {
      task.test.push_back(x, t);
      task.test_years.push_back(s.years[i]);
    }
  }
  return task;
}

} // namespace CTNN_NAMESPACE::datasets
