// cpu_supports: which instruction sets the CPU running the program has (runtime dispatch of the
// float networks, ctnn/runtime/dispatch.hpp, and of the integer kernels).
#pragma once

#include <string_view>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace ctnn {

/// Whether the CPU running this program, and its operating system, support the instruction set
/// `isa`: "avx512" (AVX-512 F, CD, BW, DQ and VL, as -march=x86-64-v4), "avx2" (AVX2, FMA, BMI1/2,
/// F16C, as -march=x86-64-v3) or "sse2" (every x86-64 CPU); for the integer kernels also
/// "avx512vnni" (avx512 with VNNI), "avxvnni" (avx2 with AVX-VNNI) and "ssse3". The compiler's own CPU model
/// (__builtin_cpu_supports), which also checks that the OS saves the vector registers; not
/// xsimd 8.1's available_architectures, which reads SSE2 and AVX from the wrong CPUID bits.
inline bool cpu_supports(std::string_view isa) noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (isa == "avx512")
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
  if (isa == "avx2")
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
           __builtin_cpu_supports("bmi2");
  if (isa == "avx512vnni") return cpu_supports("avx512") && __builtin_cpu_supports("avx512vnni");
  if (isa == "avxvnni") {
    // AVX-VNNI (CPUID leaf 7, subleaf 1, EAX bit 4): clang 14's __builtin_cpu_supports lacks it
    unsigned a = 0, b = 0, c = 0, d = 0;
    return cpu_supports("avx2") && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4)) != 0;
  }
  if (isa == "ssse3") return __builtin_cpu_supports("ssse3");
  if (isa == "sse2") return true;
#else
  (void)isa;
#endif
  return false;
}

} // namespace ctnn
