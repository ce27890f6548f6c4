// ctnn configuration: every CTNN_ macro of the library is defined here and nowhere else.
#pragma once

#include <cstddef>

/// Alignment in bytes of parameter storage, activation buffers and tensors.
/// 64 covers every x86 vector width (AVX-512 included) and one cache line.
#ifndef CTNN_ALIGNMENT
#define CTNN_ALIGNMENT 64
#endif

/// Forces inlining of the small kernels that must disappear into their callers.
/// CTNN_INLINE_LAMBDA after a lambda's parameters does the same for its call operator.
#if defined(__GNUC__) || defined(__clang__)
#define CTNN_ALWAYS_INLINE inline __attribute__((always_inline))
#define CTNN_INLINE_LAMBDA __attribute__((always_inline))
#else
#define CTNN_ALWAYS_INLINE inline
#define CTNN_INLINE_LAMBDA
#endif

/// Unrolls the loop that follows completely (its trip count must be a constant): register-blocked
/// kernels keep their accumulators in registers only once the loops over them are unrolled,
/// which Clang 14 does not always decide by itself (it kept them on the stack).
#if defined(__clang__)
#define CTNN_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define CTNN_UNROLL _Pragma("GCC unroll 64")
#else
#define CTNN_UNROLL
#endif

/// Whether ctnn may use zlib (gzip-compressed CSV and IDX files). ctnn's CMake target defines it
/// to 1, and links zlib, when it finds zlib. Without CMake it is 1 when <zlib.h> can be included:
/// link -lz then (a program that reads files and lacks it fails to link, naming inflate); define
/// CTNN_HAS_ZLIB=0 to build without zlib.
#ifndef CTNN_HAS_ZLIB
#if __has_include(<zlib.h>)
#define CTNN_HAS_ZLIB 1
#else
#define CTNN_HAS_ZLIB 0
#endif
#endif

/// The shape<...> type of a constexpr ctnn::dims value D (for the front end and lowering). A macro
/// because dims cannot be a template parameter: GCC 12 crashes on class-type template
/// parameters used this way, so the extents go in as plain integers.
#define CTNN_SHAPE_OF(D)                                                                                               \
  ::ctnn::shape_of<(D).rank, (D).extent[0], (D).extent[1], (D).extent[2], (D).extent[3], (D).sequence, (D).channels>

/// The namespace every ctnn header opens: ctnn, or, in a translation unit compiled for one
/// instruction set of a dispatched build (ctnn/runtime/dispatch.hpp; CMake's ctnn_add_dispatch
/// defines CTNN_ISA, e.g. avx2), the inline namespace ctnn::isa_<CTNN_ISA> inside it. User code
/// still writes ctnn::dense<16>; only the symbols differ, so that the kernels of each
/// instruction set, and every inline function they use, stay apart at link time.
#ifdef CTNN_ISA
#define CTNN_ISA_NAMESPACE_(isa) isa_##isa
#define CTNN_ISA_NAMESPACE(isa) CTNN_ISA_NAMESPACE_(isa)
#define CTNN_NAMESPACE ctnn::inline CTNN_ISA_NAMESPACE(CTNN_ISA)
#else
#define CTNN_NAMESPACE ctnn
#endif

namespace CTNN_NAMESPACE {
inline constexpr std::size_t alignment = CTNN_ALIGNMENT;
} // namespace CTNN_NAMESPACE
