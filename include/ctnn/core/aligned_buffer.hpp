// aligned_buffer<T>: an owning, aligned, zero-initialised array allocated once, off the hot path.
#pragma once

#include <ctnn/core/config.hpp>

#include <algorithm>
#include <cstddef>
#include <new>
#include <span>
#include <utility>

namespace CTNN_NAMESPACE {

/// Owns `size()` elements aligned to CTNN_ALIGNMENT. Used for the flat parameter, gradient
/// and optimizer-state arrays and for training workspaces: allocation happens in the
/// constructor only, so everything that runs on the buffer afterwards is allocation-free.
template <class T>
class aligned_buffer {
public:
  aligned_buffer() = default;
  explicit aligned_buffer(std::size_t n) : ptr_(allocate(n)), size_(n) { std::fill_n(ptr_, n, T{}); }
  aligned_buffer(const aligned_buffer& o) : ptr_(allocate(o.size_)), size_(o.size_) {
    std::copy_n(o.ptr_, size_, ptr_);
  }
  aligned_buffer(aligned_buffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  aligned_buffer& operator=(const aligned_buffer& o) {
    if (this != &o) {
      if (size_ == o.size_) {
        std::copy_n(o.ptr_, size_, ptr_);
      } else {
        aligned_buffer tmp(o);
        swap(tmp);
      }
    }
    return *this;
  }
  aligned_buffer& operator=(aligned_buffer&& o) noexcept {
    aligned_buffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~aligned_buffer() { release(); }

  void swap(aligned_buffer& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
  }

  T* data() noexcept { return ptr_; }
  const T* data() const noexcept { return ptr_; }
  std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return ptr_[i]; }
  const T& operator[](std::size_t i) const noexcept { return ptr_[i]; }
  T* begin() noexcept { return ptr_; }
  T* end() noexcept { return ptr_ + size_; }
  const T* begin() const noexcept { return ptr_; }
  const T* end() const noexcept { return ptr_ + size_; }
  std::span<T> span() noexcept { return {ptr_, size_}; }
  std::span<const T> span() const noexcept { return {ptr_, size_}; }

private:
  static T* allocate(std::size_t n) {
    if (n == 0) return nullptr;
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{alignment}));
  }
  void release() noexcept {
    if (ptr_) ::operator delete (ptr_, std::align_val_t{alignment});
  }

  T* ptr_ = nullptr;
  std::size_t size_ = 0;
};

} // namespace CTNN_NAMESPACE
