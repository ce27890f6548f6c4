// frame<T, N>: the activation buffer of one call (a stage's or the network's), sized at compile
// time. Small frames are arrays on the stack; a frame larger than stack_frame_limit (a 224x224
// image network's activations: megabytes, past a thread's stack) comes from the calling thread's
// frame arena instead, taken and given back in call order. The arena keeps its blocks, so after
// the first call of a network on a thread nothing is allocated again.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace CTNN_NAMESPACE {

/// Frames up to this many bytes live on the stack.
inline constexpr std::size_t stack_frame_limit = 64 * 1024;

namespace detail {

/// One thread's frames larger than stack_frame_limit: blocks used as a stack (frames are given
/// back in the reverse order of taking, as calls return). Blocks are kept for the next call.
class frame_arena {
public:
  struct mark {
    std::size_t block, used;
  };
  static frame_arena& of_this_thread() noexcept {
    thread_local frame_arena arena;
    return arena;
  }
  /// `bytes` (a multiple of the alignment) from the current block or the next one that holds it;
  /// the caller gives `back` to release. Allocates only when no kept block is large enough.
  std::byte* take(std::size_t bytes, mark& back) {
    back = {block_, used_};
    while (block_ < blocks_.size() && used_ + bytes > blocks_[block_].size()) {
      ++block_;
      used_ = 0;
    }
    if (block_ == blocks_.size())
      blocks_.emplace_back(std::max<std::size_t>(bytes, blocks_.empty() ? 0 : 2 * blocks_.back().size()));
    std::byte* p = blocks_[block_].data() + used_;
    used_ += bytes;
    return p;
  }
  void give_back(const mark& m) noexcept {
    block_ = m.block;
    used_ = m.used;
  }
  /// Bytes the arena holds (kept for later calls).
  std::size_t reserved() const noexcept {
    std::size_t n = 0;
    for (const auto& b : blocks_) n += b.size();
    return n;
  }

private:
  std::vector<aligned_buffer<std::byte>> blocks_;
  std::size_t block_ = 0, used_ = 0;
};

/// N elements of T for the duration of one call: see the top of this file.
template <class T, std::size_t N>
class frame {
  static constexpr std::size_t bytes = (N * sizeof(T) + alignment - 1) / alignment * alignment;

public:
  static constexpr bool on_stack = bytes <= stack_frame_limit;
  frame() noexcept {
    if constexpr (!on_stack) // (an allocation that fails here ends the program, as a stack overflow would)
      heap_ = reinterpret_cast<T*>(frame_arena::of_this_thread().take(bytes, back_));
  }
  ~frame() {
    if constexpr (!on_stack) frame_arena::of_this_thread().give_back(back_);
  }
  frame(const frame&) = delete;
  frame& operator=(const frame&) = delete;
  T* data() noexcept {
    if constexpr (on_stack)
      return local_;
    else
      return heap_;
  }
  operator T*() noexcept { return data(); }

private:
  alignas(alignment) T local_[on_stack ? N : 1];
  T* heap_ = nullptr;
  frame_arena::mark back_{};
};

} // namespace detail
} // namespace CTNN_NAMESPACE
