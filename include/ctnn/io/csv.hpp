// read_csv: numeric CSV (plain or gzip-compressed) into a table of doubles; every error names the
// file, line and column.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace CTNN_NAMESPACE {

struct csv_options {
  std::size_t skip_lines = 0; ///< header lines to skip
  char delimiter = ',';
  bool allow_non_finite = false; ///< accept nan, inf, infinity (any case, signed) as values
};

/// A rectangular numeric table, row-major, that remembers where each row came from.
struct csv_table {
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;
  std::string path;                 ///< the file read
  std::vector<std::size_t> line_of; ///< line_of[r]: the 1-based line of row r
  double operator()(std::size_t r, std::size_t c) const noexcept { return values[r * cols + c]; }

  /// The value at (r, c) as T; throws file_error naming the line and column if it is finite but
  /// outside T's range (1e300 would silently become inf as float).
  template <class T>
  T get(std::size_t r, std::size_t c) const {
    const double v = (*this)(r, c);
    if (std::isfinite(v) && std::abs(v) > double(std::numeric_limits<T>::max()))
      throw file_error(path, where(r, c),
                       std::string("a value within the range of ") + (sizeof(T) == 4 ? "float" : "double"),
                       std::to_string(v) + " (out of range)");
    return static_cast<T>(v);
  }
  /// "line L, column C" of cell (r, c), as error messages say it (c is 0-based here).
  std::string where(std::size_t r, std::size_t c) const {
    return "line " + std::to_string(r < line_of.size() ? line_of[r] : 0) + ", column " + std::to_string(c + 1);
  }
};

/// Parses the numeric fields of one CSV line (fields may be wrapped in double quotes and carry
/// one leading '+'). Throws file_error naming `path`, `line_no` and the 1-based column of a bad
/// field, quoting the field as written.
inline std::vector<double> parse_csv_line(std::string_view line, char delimiter, const std::string& path,
                                          std::size_t line_no, bool allow_non_finite = false) {
  std::vector<double> out;
  std::size_t col = 1, start = 0;
  auto where = [&] { return "line " + std::to_string(line_no) + ", column " + std::to_string(col); };
  while (true) {
    const std::size_t end = std::min(line.find(delimiter, start), line.size());
    std::string_view field = line.substr(start, end - start);
    while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t' || field.back() == '\r'))
      field.remove_suffix(1);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
    const std::string_view written = field;
    // from_chars takes no '+'; take one, but only before a digit or a point ("+-1" is no number)
    if (field.size() >= 2 && field[0] == '+' && (std::isdigit(static_cast<unsigned char>(field[1])) || field[1] == '.'))
      field.remove_prefix(1);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    const bool whole = !field.empty() && ptr == field.data() + field.size();
    if (whole && ec == std::errc::result_out_of_range) {
      // overflow is an error; underflow (1e-400) reads as the nearest double, as strtod does
      v = std::strtod(std::string(field).c_str(), nullptr);
      if (std::isinf(v))
        throw file_error(path, where(), "a number within the range of double",
                         "'" + std::string(written) + "' (out of range)");
    } else if (!whole || ec != std::errc{}) {
      throw file_error(path, where(), "a number",
                       written.empty() ? std::string("an empty field") : "'" + std::string(written) + "'");
    }
    if (!std::isfinite(v) && !allow_non_finite)
      throw file_error(path, where(), "a finite number (csv_options::allow_non_finite accepts nan and inf)",
                       "'" + std::string(written) + "'");
    out.push_back(v);
    if (end == line.size()) break;
    start = end + 1;
    ++col;
  }
  return out;
}

/// Reads a numeric CSV file, plain or gzip-compressed (e.g. Debian's *.csv.gz). A UTF-8 byte
/// order mark is skipped; blank lines are skipped; every other row must have as many fields as
/// the first. NaN and infinity are rejected unless opts.allow_non_finite. Throws file_error
/// naming the file, line and column of the first problem.
inline csv_table read_csv(const std::string& path, const csv_options& opts = {}) {
  const std::string text = detail::read_file(path, "a readable CSV file");
  std::string_view rest = text;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  csv_table t;
  t.path = path;
  std::size_t line_no = 0;
  while (!rest.empty()) {
    const std::size_t nl = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(std::min(nl + 1, rest.size()));
    ++line_no;
    if (line_no <= opts.skip_lines) continue;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const auto row = parse_csv_line(line, opts.delimiter, path, line_no, opts.allow_non_finite);
    if (t.rows == 0)
      t.cols = row.size();
    else if (row.size() != t.cols)
      throw file_error(path, "line " + std::to_string(line_no), std::to_string(t.cols) + " fields",
                       std::to_string(row.size()) + " fields");
    t.values.insert(t.values.end(), row.begin(), row.end());
    t.line_of.push_back(line_no);
    ++t.rows;
  }
  if (t.rows == 0)
    throw file_error(path, "line " + std::to_string(line_no + 1), "at least one data row", "the end of the file");
  return t;
}

} // namespace CTNN_NAMESPACE
