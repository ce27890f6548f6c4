// read_idx: the IDX format of (Fashion-)MNIST, plain or gzip-compressed: big-endian magic
// 00 00 08 <ndim>, ndim big-endian u32 extents, then the row-major unsigned bytes. Every error is
// a file_error naming the file, the byte offset and what was expected.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

/// An IDX array of unsigned bytes.
struct idx_array {
  std::vector<std::size_t> dims;                                            ///< extents, outermost first
  std::vector<std::uint8_t> data;                                           ///< row-major
  std::size_t count() const noexcept { return dims.empty() ? 0 : dims[0]; } ///< items (the first extent)
};

/// Reads an IDX file of unsigned bytes (type code 0x08) with `expected_rank` dimensions (0: any).
/// Throws file_error for a bad magic number, another type or rank, or a size that disagrees with
/// the extents (truncated data or trailing bytes).
inline idx_array read_idx(const std::string& path, std::size_t expected_rank = 0) {
  const std::string bytes = detail::read_file(path, "a readable IDX file");
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  if (bytes.size() < 4 || byte(0) != 0 || byte(1) != 0)
    throw file_error(path, "byte 0", "the IDX magic number 00 00 08 <rank>",
                     bytes.size() < 4 ? "a file of " + std::to_string(bytes.size()) + " bytes"
                                      : "other bytes (not an IDX file)");
  if (byte(2) != 0x08)
    throw file_error(path, "byte 2", "type code 0x08 (unsigned bytes)", "type code " + std::to_string(byte(2)));
  const std::size_t rank = byte(3);
  if (rank == 0 || (expected_rank && rank != expected_rank))
    throw file_error(path, "byte 3",
                     expected_rank ? std::to_string(expected_rank) + " dimensions" : "at least one dimension",
                     std::to_string(rank) + " dimensions");
  const std::size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    throw file_error(path, "byte " + std::to_string(bytes.size()), std::to_string(rank) + " extents of 4 bytes",
                     "the end of the file (truncated)");
  idx_array a;
  std::uint64_t total = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    const std::size_t at = 4 + 4 * d;
    const std::uint64_t e = std::uint64_t(byte(at)) << 24 | std::uint64_t(byte(at + 1)) << 16 |
                            std::uint64_t(byte(at + 2)) << 8 | std::uint64_t(byte(at + 3));
    a.dims.push_back(std::size_t(e));
    total *= e; // at most 2^32 per extent and 4 bytes of header each: checked against the size below
    if (total > bytes.size())
      throw file_error(path, "byte " + std::to_string(at),
                       "extents whose product fits the file's " + std::to_string(bytes.size() - header) + " data bytes",
                       "extent " + std::to_string(e) + " (the data would be larger: truncated or corrupt)");
  }
  if (bytes.size() - header != total)
    throw file_error(path, "byte " + std::to_string(bytes.size()),
                     std::to_string(total) + " data bytes after the " + std::to_string(header) + "-byte header",
                     std::to_string(bytes.size() - header) +
                         (bytes.size() - header < total ? " (truncated)" : " (trailing data)"));
  a.data.assign(bytes.begin() + std::ptrdiff_t(header), bytes.end());
  return a;
}

} // namespace CTNN_NAMESPACE
