// read_csv: numeric CSV into a table of doubles; every error names the file, line and column.
#pragma once

#include <ctnn/io/error.hpp>

#include <charconv>
#include <cstddef>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ctnn {

struct csv_options {
  std::size_t skip_lines = 0; ///< header lines to skip
  char delimiter = ',';
};

/// A rectangular numeric table, row-major.
struct csv_table {
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;
  double operator()(std::size_t r, std::size_t c) const noexcept { return values[r * cols + c]; }
};

/// Parses the numeric fields of one CSV line (fields may be wrapped in double quotes).
/// Throws file_error naming `path`, `line_no` and the 1-based column of a bad field.
inline std::vector<double> parse_csv_line(std::string_view line, char delimiter, const std::string& path,
                                          std::size_t line_no) {
  std::vector<double> out;
  std::size_t col = 1, start = 0;
  while (true) {
    const std::size_t end = std::min(line.find(delimiter, start), line.size());
    std::string_view field = line.substr(start, end - start);
    while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t' || field.back() == '\r'))
      field.remove_suffix(1);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
    if (!field.empty() && field.front() == '+') field.remove_prefix(1);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (field.empty() || ec != std::errc{} || ptr != field.data() + field.size())
      throw file_error(path, "line " + std::to_string(line_no) + ", column " + std::to_string(col), "a number",
                       field.empty() ? std::string("an empty field") : "'" + std::string(field) + "'");
    out.push_back(v);
    if (end == line.size()) break;
    start = end + 1;
    ++col;
  }
  return out;
}

/// Reads a numeric CSV file. Blank lines are skipped; every other row must have as many fields
/// as the first. Throws file_error naming the file, line and column of the first problem.
inline csv_table read_csv(const std::string& path, const csv_options& opts = {}) {
  std::ifstream f(path);
  if (!f) throw file_error(path, "opening", "a readable CSV file", "no such readable file");
  csv_table t;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    if (line_no <= opts.skip_lines) continue;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto row = parse_csv_line(line, opts.delimiter, path, line_no);
    if (t.rows == 0)
      t.cols = row.size();
    else if (row.size() != t.cols)
      throw file_error(path, "line " + std::to_string(line_no), std::to_string(t.cols) + " fields",
                       std::to_string(row.size()) + " fields");
    t.values.insert(t.values.end(), row.begin(), row.end());
    ++t.rows;
  }
  if (t.rows == 0)
    throw file_error(path, "line " + std::to_string(line_no + 1), "at least one data row", "the end of the file");
  return t;
}

} // namespace ctnn
