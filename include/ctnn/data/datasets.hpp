// Real datasets shipped by Debian packages, with the fixed splits of tests/README.md: found on the
// system, or extracted from the package (data/debian.hpp) into a cache. Not part of ctnn/ctnn.hpp
// (it runs apt-get and dpkg as child processes): include it where a program loads these datasets.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/shape.hpp>
#include <ctnn/data/dataset.hpp>
#include <ctnn/data/debian.hpp>
#include <ctnn/io/csv.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/idx.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE::datasets {

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
