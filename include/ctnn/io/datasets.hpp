// Real datasets shipped by Debian packages: found on the system, or extracted from the package
// (apt-get download + dpkg -x, no installation, no dependencies pulled) into a cache.
#pragma once

#include <ctnn/core/shape.hpp>
#include <ctnn/io/csv.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/train/dataset.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ctnn::datasets {

/// The cache directory: $CTNN_CACHE_DIR, else $XDG_CACHE_HOME/ctnn, else $HOME/.cache/ctnn,
/// else ./.ctnn-cache.
inline std::filesystem::path cache_dir() {
  if (const char* d = std::getenv("CTNN_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::filesystem::path(d) / "ctnn";
  if (const char* d = std::getenv("HOME"); d && *d) return std::filesystem::path(d) / ".cache" / "ctnn";
  return ".ctnn-cache";
}

/// The file `path_in_package` (relative to /) of Debian package `package`: from the installed
/// package if present, else from the cache, else extracted into the cache by
/// `apt-get download <package>` and `dpkg -x` (needs no root, only an up-to-date package list).
/// Throws file_error saying what failed and what to do.
inline std::filesystem::path debian_file(const std::string& package, const std::string& path_in_package) {
  namespace fs = std::filesystem;
  const fs::path installed = fs::path("/") / path_in_package;
  if (fs::exists(installed)) return installed;
  const fs::path root = cache_dir() / package;
  const fs::path cached = root / path_in_package;
  if (fs::exists(cached)) return cached;

  const fs::path download = cache_dir() / (package + ".download");
  std::error_code ec;
  fs::remove_all(download, ec);
  fs::create_directories(download);
  const std::string cmd = "cd '" + download.string() + "' && apt-get download -q " + package +
                          " >/dev/null 2>&1 && dpkg -x " + package + "_*.deb '" + download.string() + "/root'";
  if (std::system(cmd.c_str()) != 0 || !fs::exists(download / "root" / path_in_package))
    throw file_error(cached.string(), "fetching from Debian package " + package,
                     "'" + cmd + "' to succeed and provide " + path_in_package,
                     "a failure (run 'apt-get update' first, or install " + package + ")");
  fs::create_directories(cached.parent_path());
  fs::copy_file(download / "root" / path_in_package, cached, fs::copy_options::overwrite_existing);
  fs::remove_all(download, ec);
  return cached;
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
    for (std::size_t k = 0; k < 30; ++k) x[k] = static_cast<T>(table(r, k));
    const double label = table(r, 30);
    if (label != 0 && label != 1)
      throw file_error(csv.string(), "line " + std::to_string(r + 2) + ", column 31", "a label 0 or 1",
                       std::to_string(label));
    d.push_back(x, tensor<T, shape<1>>{static_cast<T>(label)});
  }
  return d;
}

/// A training and a test set.
template <class D>
struct split {
  D train, test;
};

/// WDBC with the fixed split of DATA.md: rows whose index % 5 == 4 are the test set (113), the
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

} // namespace ctnn::datasets
