// Reading outside bytes with errors that name the file: a missing file, a directory, a file that
// cannot be opened (with the system's reason), a read error, a corrupt gzip stream. Every failure
// is a file_error; no std::ios_base::failure or bad_alloc escapes from a reader.
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/io/error.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#if CTNN_HAS_ZLIB
#include <zlib.h>
#endif

namespace CTNN_NAMESPACE::detail {

/// Throws file_error (where: "opening") unless path names something that can be read as a file.
/// `expected` says what the caller wanted, e.g. "a readable ctnn weight file".
inline void check_readable(const std::string& path, const std::string& expected) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) throw file_error(path, "opening", expected, "no such file");
  if (st.type() == fs::file_type::directory) throw file_error(path, "opening", expected, "a directory");
  if (ec) throw file_error(path, "opening", expected, "an error (" + ec.message() + ")");
}

/// A file opened for reading (C stdio underneath: errno gives the reason of a failure).
class input_file {
public:
  input_file(const std::string& path, const std::string& expected) : path_(path) {
    check_readable(path, expected);
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_)
      throw file_error(path, "opening", expected, "a file that cannot be opened (" + std::string(std::strerror(errno)) + ")");
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) size_ = std::filesystem::file_size(path, ec);
    if (ec) size_ = unknown;
  }
  input_file(const input_file&) = delete;
  input_file& operator=(const input_file&) = delete;
  ~input_file() { std::fclose(f_); }

  static constexpr std::uint64_t unknown = std::uint64_t(-1);
  /// The file's size in bytes, or `unknown` (not a regular file: a pipe, a device).
  std::uint64_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }

  /// Reads up to n bytes into p; returns how many were read (fewer only at the end of the file).
  std::size_t read(void* p, std::size_t n) {
    const std::size_t got = std::fread(p, 1, n, f_);
    if (got < n && std::ferror(f_))
      throw file_error(path_, "byte " + std::to_string(offset_ + got), "readable data",
                       "a read error (" + std::string(std::strerror(errno)) + ")");
    offset_ += got;
    return got;
  }

private:
  std::string path_;
  std::FILE* f_ = nullptr;
  std::uint64_t size_ = unknown, offset_ = 0;
};

/// The whole content of a file, decompressed if it is gzip-compressed (by its magic bytes, not
/// its name; needs zlib: CTNN_HAS_ZLIB, which ctnn's CMake target sets when it finds zlib).
inline std::string read_file(const std::string& path, const std::string& expected) {
  std::string data;
  {
    input_file f(path, expected);
    char buf[1 << 16];
    for (std::size_t got; (got = f.read(buf, sizeof buf)) > 0;) data.append(buf, got);
  }
  if (data.size() < 2 || static_cast<unsigned char>(data[0]) != 0x1f || static_cast<unsigned char>(data[1]) != 0x8b)
    return data;
#if CTNN_HAS_ZLIB
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw file_error(path, "decompressing", "zlib to start", "an error");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size()); // (files over 4 GiB: not a use case here)
  int rc = Z_OK;
  char buf[1 << 16];
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_STREAM_END && z.avail_in > 0) { // concatenated gzip members, as gzip allows
      rc = inflateReset(&z);
      continue;
    }
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string why = z.msg ? z.msg : (rc == Z_BUF_ERROR ? "truncated data" : "an error");
      const auto at = z.total_in;
      inflateEnd(&z);
      throw file_error(path, "compressed byte " + std::to_string(at), "a valid gzip stream", why);
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      const auto at = z.total_in;
      inflateEnd(&z);
      throw file_error(path, "compressed byte " + std::to_string(at), "the rest of the gzip stream",
                       "the end of the file (truncated)");
    }
  }
  inflateEnd(&z);
  return out;
#else
  throw file_error(path, "byte 0", "an uncompressed file (this build of ctnn has no zlib)",
                   "gzip-compressed data (build with zlib: Debian's zlib1g-dev)");
#endif
}

} // namespace ctnn::detail
