// Weight files: save(net, path) / load(net, path). Versioned, fingerprinted by topology and
// scalar type, checksummed; a failed load leaves the network exactly as it was.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/binary.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

/// File layout (all integers little-endian):
///   offset 0   8 bytes  magic "CTNNWTS\0"
///          8   u32      format version (1)
///         12   u32      fingerprint length F in bytes
///         16   F bytes  fingerprint: net::fingerprint() lines joined by '\n'
///      16+F    u64      value count N (net::value_count: the parameters as PyTorch counts
///                       them, and buffers such as batch_norm's running statistics)
///      24+F    N values in PyTorch's state_dict order (net::export_parameters), IEEE 754
///   24+F+N*s   u64      FNV-1a 64 checksum of every preceding byte
namespace weights_format {
inline constexpr char magic[8] = {'C', 'T', 'N', 'N', 'W', 'T', 'S', '\0'};
inline constexpr std::uint32_t version = 1;

inline std::uint64_t fnv1a(const unsigned char* p, std::size_t n) noexcept { return detail::fnv1a(p, n); }
template <class U>
void put(std::vector<unsigned char>& out, U v) {
  detail::put_bytes(out, v);
}
template <class U>
U get(const std::vector<unsigned char>& in, std::size_t at) noexcept {
  return detail::get_bytes<U>(in.data(), at);
}
inline std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += (s.empty() ? "" : "\n") + l;
  return s;
}
inline std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t nl = s.find('\n', at);
    lines.push_back(s.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return lines;
}
/// s as a message can quote it: printable ASCII as it is; other bytes, quotes and backslashes
/// escaped (\xNN, \', \\); at most 200 characters of s, then "...".
inline std::string quoted(const std::string& s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 200) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\'' || c == '\\')
      (out += '\\') += char(c);
    else if (c >= 0x20 && c < 0x7f)
      out += char(c);
    else
      ((out += "\\x") += hex[c >> 4]) += hex[c & 15];
  }
  return out + "'";
}

/// Throws file_error (where: "fingerprint, scalar type" or "fingerprint, layer I") if line i of
/// a file's fingerprint differs from the network's (line 0: the scalar type; line i: layer i - 1;
/// a missing line reads "(no more layers)"). `network_is` and `file_is` say whose each line is.
inline void compare_fingerprint_line(const std::string& path, const std::vector<std::string>& in_file,
                                     const std::vector<std::string>& network, std::size_t i,
                                     const std::string& network_is, const std::string& file_is) {
  const std::string have = i < in_file.size() ? in_file[i] : "(no more layers)";
  const std::string want = i < network.size() ? network[i] : "(no more layers)";
  if (have == want) return;
  throw file_error(path, i == 0 ? "fingerprint, scalar type" : "fingerprint, layer " + std::to_string(i - 1),
                   quoted(want) + " (" + network_is + ")", quoted(have) + " (" + file_is + ")");
}
/// The same for every line from `first` on: the first line that differs.
inline void compare_fingerprints(const std::string& path, const std::vector<std::string>& in_file,
                                 const std::vector<std::string>& network, std::size_t first,
                                 const std::string& network_is, const std::string& file_is) {
  for (std::size_t i = first; i < std::max(in_file.size(), network.size()); ++i)
    compare_fingerprint_line(path, in_file, network, i, network_is, file_is);
}
} // namespace weights_format

/// Writes net's parameters to path (a new file renamed over it, see detail::write_file_atomically).
/// Throws file_error if the file cannot be written; path is then unchanged.
template <class Net>
void save(const Net& net, const std::string& path) {
  using T = typename Net::value_type;
  namespace wf = weights_format;
  detail::binary_writer out(wf::magic);
  out.put<std::uint32_t>(wf::version);
  out.put_string(wf::join(Net::fingerprint()));
  const auto values = net.export_parameters();
  out.put<std::uint64_t>(values.size());
  out.put_values<T>(values.data(), values.size());
  // beside it, then renamed: a reader never sees half a file, and a symbolic link planted at
  // path is replaced, not followed
  out.write(path, "a writable ctnn weight file");
}

namespace detail {
/// What a weight file's header says, read and checked as far as it can be without the network:
/// the magic, the version, the fingerprint and the value count. `bytes` holds the file so far.
struct weight_header {
  std::vector<unsigned char> bytes;
  std::uint64_t file_size = 0; ///< input_file::unknown for a pipe or device
  std::size_t count_at = 0;    ///< where the value count is
  std::uint64_t count = 0;
  std::vector<std::string> fingerprint;
};
inline std::string at_byte(std::uint64_t o) { return "byte " + std::to_string(o); }

inline weight_header read_weight_header(input_file& f, const std::string& path) {
  namespace wf = weights_format;
  weight_header h;
  std::vector<unsigned char>& b = h.bytes;
  b.resize(16);
  b.resize(f.read(b.data(), 16));
  if (b.size() < 16 || std::memcmp(b.data(), wf::magic, 8) != 0)
    throw file_error(path, at_byte(0), "the ctnn weight file magic \"CTNNWTS\"",
                     b.size() < 8 ? "a file of " + std::to_string(b.size()) + " bytes"
                                  : "other bytes (not a ctnn weight file)");
  if (const auto v = wf::get<std::uint32_t>(b, 8); v != wf::version)
    throw file_error(path, at_byte(8), "format version " + std::to_string(wf::version), "version " + std::to_string(v));
  const std::size_t fp_len = wf::get<std::uint32_t>(b, 12);
  h.file_size = f.size();
  constexpr std::size_t max_fingerprint = std::size_t(1) << 24;
  if (fp_len > max_fingerprint || (h.file_size != f.unknown && 16 + fp_len + 8 > h.file_size))
    throw file_error(path, at_byte(12), "a fingerprint of " + std::to_string(fp_len) + " bytes and a parameter count",
                     h.file_size != f.unknown ? "the file ends at byte " + std::to_string(h.file_size) + " (truncated)"
                                              : "a fingerprint length over " + std::to_string(max_fingerprint));
  b.resize(16 + fp_len + 8);
  if (const std::size_t got = f.read(b.data() + 16, fp_len + 8); got != fp_len + 8)
    throw file_error(path, at_byte(12), "a fingerprint of " + std::to_string(fp_len) + " bytes and a parameter count",
                     "the file ends at byte " + std::to_string(16 + got) + " (truncated)");
  h.count_at = 16 + fp_len;
  h.count = wf::get<std::uint64_t>(b, h.count_at);
  h.fingerprint = wf::split(std::string(b.begin() + 16, b.begin() + static_cast<std::ptrdiff_t>(h.count_at)));
  return h;
}

/// Reads the rest of a weight file whose header announced h.count values of `value_size` bytes:
/// exactly that many bytes (a file of another size is truncated or has trailing data), then the
/// checksum checked.
inline void read_weight_values(input_file& f, const std::string& path, weight_header& h, std::size_t value_size) {
  namespace wf = weights_format;
  std::vector<unsigned char>& b = h.bytes;
  const std::size_t expected_size = h.count_at + 8 + static_cast<std::size_t>(h.count) * value_size + 8;
  const std::string expected =
      "a file of " + std::to_string(expected_size) + " bytes for " + std::to_string(h.count) + " parameters";
  if (h.file_size != f.unknown && h.file_size != expected_size)
    throw file_error(path, at_byte(h.file_size), expected,
                     std::to_string(h.file_size) + " bytes (" +
                         (h.file_size < expected_size ? "truncated" : "trailing data") + ")");
  const std::size_t have = b.size();
  b.resize(expected_size);
  if (const std::size_t got = f.read(b.data() + have, expected_size - have); got != expected_size - have)
    throw file_error(path, at_byte(have + got), expected, std::to_string(have + got) + " bytes (truncated)");
  if (unsigned char extra; h.file_size == f.unknown && f.read(&extra, 1) == 1)
    throw file_error(path, at_byte(expected_size), "the end of the file after the checksum", "trailing data");
  const std::size_t sum_at = expected_size - 8;
  if (const auto sum = wf::get<std::uint64_t>(b, sum_at); sum != wf::fnv1a(b.data(), sum_at))
    throw file_error(path, at_byte(sum_at), "checksum " + std::to_string(wf::fnv1a(b.data(), sum_at)),
                     std::to_string(sum) + " (the file is corrupt)");
}
} // namespace detail

/// Reads parameters saved by save() into net. Throws file_error naming the file, the place and
/// the problem for a missing, unreadable, truncated, corrupt or foreign file, or one saved from
/// another topology or scalar type (naming the first differing layer). The header is checked
/// before the rest is read, and exactly the size it announces is read (a device such as
/// /dev/zero or a wrong count cannot make it read without end). On any failure the network is
/// left exactly as it was: the file is checked and decoded completely before anything is set.
template <class Net>
void load(Net& net, const std::string& path) {
  using T = typename Net::value_type;
  namespace wf = weights_format;
  detail::input_file f(path, "a readable ctnn weight file");
  detail::weight_header h = detail::read_weight_header(f, path);
  const auto net_lines = Net::fingerprint();
  // Order of checks: the scalar type (it fixes the expected size), the size (truncation), the
  // checksum (corruption), then the topology, naming the first differing layer.
  auto check_topology = [&] {
    wf::compare_fingerprints(path, h.fingerprint, net_lines, 1, "the network being loaded", "saved in the file");
    if (h.count != Net::value_count)
      throw file_error(path, detail::at_byte(h.count_at),
                       std::to_string(Net::value_count) +
                           (Net::value_count == Net::param_count ? " parameters" : " values (parameters and buffers)"),
                       std::to_string(h.count));
  };
  wf::compare_fingerprint_line(path, h.fingerprint, net_lines, 0, "the network being loaded", "saved in the file");
  if (h.file_size == f.unknown) {
    check_topology(); // no size to compare with: a count that differs from the network's is wrong
  } else if (h.count > h.file_size / sizeof(T)) {
    // a corrupt count: the size it implies need not even be representable
    throw file_error(path, detail::at_byte(h.count_at),
                     "a parameter count the file can hold (its " + std::to_string(h.file_size) + " bytes)",
                     std::to_string(h.count) + " parameters (the file is corrupt)");
  }
  detail::read_weight_values(f, path, h, sizeof(T));
  check_topology();
  std::vector<T> values(h.count);
  for (std::size_t i = 0; i < h.count; ++i) values[i] = wf::get<T>(h.bytes, h.count_at + 8 + i * sizeof(T));
  try {
    net.import_parameters(values); // float networks take any values; integer ones check theirs
  } catch (const std::invalid_argument& e) {
    throw file_error(path, "the values", "values the network accepts", e.what());
  }
}

} // namespace CTNN_NAMESPACE
