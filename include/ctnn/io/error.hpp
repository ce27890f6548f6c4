// file_error: every failure to read a file or dataset names the file, the place, what was
// expected and what was found.
#pragma once

#include <ctnn/core/config.hpp>

#include <stdexcept>
#include <string>

namespace CTNN_NAMESPACE {

/// Thrown by weight files, CSV and dataset readers. what() reads
/// "<path>: <where>: expected <expected>, found <found>".
class file_error : public std::runtime_error {
public:
  file_error(std::string path, std::string where, std::string expected, std::string found)
      : std::runtime_error(path + ": " + where + ": expected " + expected + ", found " + found), path_(std::move(path)),
        where_(std::move(where)), expected_(std::move(expected)), found_(std::move(found)) {}

  const std::string& path() const noexcept { return path_; }
  /// "byte 20", "line 3, column 7", "layer 2", ...
  const std::string& where() const noexcept { return where_; }
  const std::string& expected() const noexcept { return expected_; }
  const std::string& found() const noexcept { return found_; }

private:
  std::string path_, where_, expected_, found_;
};

} // namespace CTNN_NAMESPACE
