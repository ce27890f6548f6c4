// What tests/integer/isa_results.cpp computes in each instruction set's translation unit: the
// outputs of every integer kernel on fixed inputs (tests/integer/bit_identical.cpp compares them).
#pragma once

#include <cstdint>
#include <vector>

struct isa_results {
  const char* isa;     // the instruction set the translation unit was compiled for
  const char* kernels; // the integer kernels it chose (ctnn::kernels::integer_isa)
  /// Every kernel's outputs, one after the other; `reference`: the scalar twins' instead.
  std::vector<std::int64_t> (*run)(bool reference);
};

#define CTNN_TEST_ISA_CAT_(a, b) a##b
#define CTNN_TEST_ISA_CAT(a, b) CTNN_TEST_ISA_CAT_(a, b)
#define CTNN_TEST_ISA_RESULTS(isa) CTNN_TEST_ISA_CAT(integer_results_, isa)

extern const isa_results integer_results_sse2, integer_results_ssse3, integer_results_avx2, integer_results_avxvnni,
    integer_results_avx512, integer_results_avx512vnni;
