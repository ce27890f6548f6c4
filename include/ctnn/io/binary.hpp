// ctnn's binary files (weights, checkpoints, golden activations): an 8-byte magic, little-endian
// fields, and an FNV-1a 64 checksum of every preceding byte at the end. binary_writer builds one
// and writes it atomically; binary_reader reads one field by field, every failure a file_error
// naming the file, the field and its byte.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE::detail {

/// FNV-1a 64 of n bytes.
inline std::uint64_t fnv1a(const unsigned char* p, std::size_t n) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
/// Appends v's bytes (the supported targets are little-endian).
template <class U>
void put_bytes(std::vector<unsigned char>& out, U v) {
  unsigned char b[sizeof(U)];
  std::memcpy(b, &v, sizeof(U));
  out.insert(out.end(), b, b + sizeof(U));
}
/// The U at byte `at` of in (the caller checked that it is there).
template <class U>
U get_bytes(const unsigned char* in, std::size_t at) noexcept {
  U v;
  std::memcpy(&v, in + at, sizeof(U));
  return v;
}

/// Builds a file: the magic, then fields; write() appends the checksum and writes it.
class binary_writer {
public:
  explicit binary_writer(const char (&magic)[8]) : bytes_(magic, magic + 8) {}

  template <class U>
  void put(U v) {
    put_bytes(bytes_, v);
  }
  /// u32 length, then the bytes.
  void put_string(const std::string& s) {
    put<std::uint32_t>(std::uint32_t(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  template <class U>
  void put_values(const U* v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) put<U>(v[i]);
  }
  /// The checksum appended: the whole file.
  const std::vector<unsigned char>& finish() {
    put<std::uint64_t>(fnv1a(bytes_.data(), bytes_.size()));
    return bytes_;
  }
  /// finish(), then written beside `path` (a new file, never through a symbolic link), flushed
  /// and renamed over it: an interruption leaves the previous file whole. `what` names the file
  /// in errors ("a writable checkpoint file").
  void write(const std::string& path, const std::string& what) {
    finish();
    write_file_atomically(path, bytes_.data(), bytes_.size(), what);
  }

private:
  std::vector<unsigned char> bytes_;
};

/// Reads a file written by binary_writer (already in memory, bounded by its reader policy).
/// `field` names what is being read, for errors: "parameters (byte 96)".
class binary_reader {
public:
  binary_reader(std::string path, const std::string& bytes)
      : path_(std::move(path)), bytes_(bytes.begin(), bytes.end()), end_(bytes_.size() >= 8 ? bytes_.size() - 8 : 0) {}

  const std::string& path() const noexcept { return path_; }
  std::size_t size() const noexcept { return bytes_.size(); }
  /// Where the fields end (the checksum's byte).
  std::size_t end() const noexcept { return end_; }
  std::size_t at() const noexcept { return at_; }
  /// Whether a field ran past the end (a truncated file, or a corrupt length).
  bool truncated() const noexcept { return truncated_; }
  std::string field = "header";

  bool has_magic(const char (&magic)[8]) const noexcept {
    return bytes_.size() >= 8 && std::memcmp(bytes_.data(), magic, 8) == 0;
  }
  /// Whether the last 8 bytes are the checksum of the others.
  bool checksum_ok() const noexcept {
    return bytes_.size() >= 8 && get_bytes<std::uint64_t>(bytes_.data(), end_) == fnv1a(bytes_.data(), end_);
  }
  /// Continues after the magic (or from byte `at`).
  void seek(std::size_t at) noexcept { at_ = at; }

  [[noreturn]] void fail(const std::string& where, const std::string& expected, const std::string& found) const {
    throw file_error(path_, where, expected, found);
  }
  /// "field (byte N)", where the reader stands.
  std::string place() const { return field + " (byte " + std::to_string(at_) + ")"; }
  /// Fails unless n more bytes precede the checksum.
  void need(std::size_t n) {
    if (n > end_ - std::min(at_, end_)) {
      truncated_ = true;
      fail(place(), std::to_string(n) + " more bytes",
           "the end of the file (truncated at byte " + std::to_string(bytes_.size()) + ")");
    }
  }
  template <class U>
  U get() {
    need(sizeof(U));
    const U v = get_bytes<U>(bytes_.data(), at_);
    at_ += sizeof(U);
    return v;
  }
  /// u32 length, then the bytes.
  std::string str() {
    const std::size_t n = get<std::uint32_t>();
    need(n);
    std::string v(bytes_.begin() + std::ptrdiff_t(at_), bytes_.begin() + std::ptrdiff_t(at_ + n));
    at_ += n;
    return v;
  }
  /// Fails unless every field was read.
  void expect_end(const std::string& after) const {
    if (at_ != end_) fail("byte " + std::to_string(at_), "the checksum after " + after, "trailing data");
  }

private:
  std::string path_;
  std::vector<unsigned char> bytes_;
  std::size_t end_, at_ = 8;
  bool truncated_ = false;
};

} // namespace CTNN_NAMESPACE::detail
