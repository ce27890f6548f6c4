// ctnn configuration: every CTNN_ macro of the library is defined here and nowhere else.
#pragma once

#include <cstddef>

/// Alignment in bytes of parameter storage, activation buffers and tensors.
/// 64 covers every x86 vector width (AVX-512 included) and one cache line.
#ifndef CTNN_ALIGNMENT
#define CTNN_ALIGNMENT 64
#endif

/// Forces inlining of the small kernels that must disappear into their callers.
#if defined(__GNUC__) || defined(__clang__)
#define CTNN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define CTNN_ALWAYS_INLINE inline
#endif

namespace ctnn {
inline constexpr std::size_t alignment = CTNN_ALIGNMENT;
} // namespace ctnn
