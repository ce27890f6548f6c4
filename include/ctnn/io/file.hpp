// Reading outside bytes with errors that name the file: a missing file, a directory, a file that
// cannot be opened (with the system's reason), a read error, a corrupt gzip stream, more bytes
// than the reader takes (a device such as /dev/zero, a gzip bomb), or compressed data where the
// format is plain. Every failure is a file_error; no std::ios_base::failure or bad_alloc escapes
// from a reader.
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/io/error.hpp>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if CTNN_HAS_ZLIB
#include <zlib.h>
#endif

namespace CTNN_NAMESPACE::detail {

/// Throws file_error (where: "opening") unless path names something that can be read as a file.
/// `expected` says what the caller wanted, e.g. "a readable ctnn weight file".
inline void check_readable(const std::string& path, const std::string& expected) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) throw file_error(path, "opening", expected, "no such file");
    throw file_error(path, "opening", expected, "an error (" + std::string(std::strerror(e)) + ")");
  }
  if (S_ISDIR(st.st_mode)) throw file_error(path, "opening", expected, "a directory");
}

/// A file opened for reading (C stdio underneath: errno gives the reason of a failure).
class input_file {
public:
  input_file(const std::string& path, const std::string& expected) : path_(path) {
    check_readable(path, expected);
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_)
      throw file_error(path, "opening", expected,
                       "a file that cannot be opened (" + std::string(std::strerror(errno)) + ")");
    struct ::stat st {};
    if (::fstat(::fileno(f_), &st) == 0 && S_ISREG(st.st_mode)) size_ = std::uint64_t(st.st_size);
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

} // namespace CTNN_NAMESPACE::detail

namespace CTNN_NAMESPACE {
/// The most bytes the data readers (CSV, IDX, the datasets, golden files) take from one file,
/// after decompression: 1 GiB unless set_max_file_bytes raised or lowered it. A device such as
/// /dev/zero or a gzip bomb is a file_error at this size, not an exhausted memory. Weight files,
/// checkpoints and RTNeural files are bounded by what the network being loaded can hold.
inline std::uint64_t max_file_bytes() noexcept;
/// Sets max_file_bytes() for the whole program (e.g. std::uint64_t(8) << 30 for a larger data set).
inline void set_max_file_bytes(std::uint64_t bytes) noexcept;
namespace detail {
inline std::atomic<std::uint64_t>& max_file_bytes_setting() noexcept {
  static std::atomic<std::uint64_t> bytes{std::uint64_t(1) << 30};
  return bytes;
}
} // namespace detail
inline std::uint64_t max_file_bytes() noexcept { return detail::max_file_bytes_setting().load(); }
inline void set_max_file_bytes(std::uint64_t bytes) noexcept { detail::max_file_bytes_setting().store(bytes); }
} // namespace CTNN_NAMESPACE

namespace CTNN_NAMESPACE::detail {
/// What a reader takes from a file: at most max_bytes (after decompression; 0: max_file_bytes()),
/// and gzip-compressed data only if its format may be compressed.
struct read_policy {
  std::uint64_t max_bytes = 0;
  bool gzip = true;
  bool raw = false; ///< the bytes as they are, compressed or not
};

/// The file_error of a file larger than a reader takes.
[[noreturn]] inline void too_large(const std::string& path, const std::string& where, std::uint64_t max_bytes,
                                   const std::string& found) {
  throw file_error(path, where, "at most " + std::to_string(max_bytes) + " bytes (ctnn's limit for this file)", found);
}

/// The whole content of a file, decompressed if it is gzip-compressed (by its magic bytes, not
/// its name; needs zlib: CTNN_HAS_ZLIB, which ctnn's CMake target sets when it finds zlib), and
/// at most policy.max_bytes of it.
inline std::string read_file(const std::string& path, const std::string& expected, read_policy policy = {}) {
  if (policy.max_bytes == 0) policy.max_bytes = max_file_bytes();
  std::string data;
  {
    input_file f(path, expected);
    if (f.size() != input_file::unknown) {
      if (f.size() > policy.max_bytes)
        too_large(path, "opening", policy.max_bytes, std::to_string(f.size()) + " bytes");
      data.reserve(std::size_t(f.size()));
    }
    char buf[1 << 16];
    for (std::size_t got; (got = f.read(buf, sizeof buf)) > 0;) {
      if (data.size() + got > policy.max_bytes)
        too_large(path, "byte " + std::to_string(policy.max_bytes), policy.max_bytes,
                  "more (a device or a growing file)");
      data.append(buf, got);
    }
  }
  if (policy.raw || data.size() < 2 || static_cast<unsigned char>(data[0]) != 0x1f ||
      static_cast<unsigned char>(data[1]) != 0x8b)
    return data;
  if (!policy.gzip)
    throw file_error(path, "byte 0", expected + " (uncompressed)", "gzip-compressed data (decompress it first)");
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
    if (out.size() + (sizeof buf - z.avail_out) > policy.max_bytes) {
      const auto at = z.total_in;
      inflateEnd(&z);
      too_large(path, "compressed byte " + std::to_string(at), policy.max_bytes,
                "more decompressed data (a gzip bomb, or a file larger than ctnn reads)");
    }
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
  throw file_error(path, "byte 0", "an uncompressed file (this program was compiled with CTNN_HAS_ZLIB=0)",
                   "gzip-compressed data (install zlib1g-dev, or compile with -DCTNN_HAS_ZLIB=1, and link -lz)");
#endif
}

/// Writes `bytes` to `path` so that no reader ever sees a partial file and nothing but `path`
/// changes: into a new file beside it (a unique name, created exclusively and never through a
/// symbolic link, mode 0644 less the umask), flushed to disk, then renamed over `path` (a
/// symbolic link planted at `path` is replaced, not followed). Throws file_error naming the
/// step that failed; the temporary is removed then.
inline void write_file_atomically(const std::string& path, const void* bytes, std::size_t size,
                                  const std::string& expected) {
  static std::uint64_t counter = 0;
  const std::uint64_t salt = std::uint64_t(::getpid()) << 32 ^ std::uint64_t(reinterpret_cast<std::uintptr_t>(&size)) ^
                             std::uint64_t(std::time(nullptr));
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp = path + ".tmp-" + std::to_string(salt ^ (++counter * 0x9e3779b97f4a7c15ull));
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    throw file_error(path, "creating " + temp, expected + " (a new file in its folder)",
                     "an error (" + std::string(std::strerror(errno)) + ")");
  auto fail = [&](const std::string& step) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw file_error(path, step, expected, "an error (" + why + ")");
  };
  const char* p = static_cast<const char*>(bytes);
  for (std::size_t done = 0; done < size;) {
    const ::ssize_t n = ::write(fd, p + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing " + temp);
    done += std::size_t(n);
  }
  if (::fsync(fd) != 0) fail("flushing " + temp);
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) fail("closing " + temp);
  if (std::rename(temp.c_str(), path.c_str()) != 0) fail("renaming " + temp + " into place");
}

} // namespace CTNN_NAMESPACE::detail
