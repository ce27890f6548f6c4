// Integer inference is deterministic everywhere: every instruction set the CPU has gives the
// outputs of the scalar twins bit for bit. Built without -march=native, so that it also runs under
// qemu as a CPU without AVX-512 or AVX2 (tests/CMakeLists.txt runs it so when qemu-user is there).
#define BOOST_TEST_MODULE integer_bit_identical
#include <boost/test/unit_test.hpp>

#include "isa_results.hpp"

#include <ctnn/runtime/cpu.hpp>

#include <string>

BOOST_AUTO_TEST_CASE(every_instruction_set_gives_the_scalar_twins_results) {
  const auto reference = integer_results_sse2.run(true);
  BOOST_TEST_REQUIRE(reference.size() > 1000u);
  int ran = 0;
  for (const isa_results* r : {&integer_results_avx512vnni, &integer_results_avx512, &integer_results_avxvnni,
                               &integer_results_avx2, &integer_results_ssse3, &integer_results_sse2}) {
    const bool has = ctnn::cpu_supports(r->isa);
    BOOST_TEST_MESSAGE(r->isa << " (kernels: " << r->kernels << "): " << (has ? "run" : "not on this CPU"));
    if (!has) continue;
    ++ran;
    const std::string isa = r->isa, expected = isa == "avx512" ? "avx512bw" : isa;
    BOOST_TEST(r->kernels == expected, isa << " chose the kernels of " << r->kernels);
    const auto got = r->run(false);
    BOOST_TEST_REQUIRE(got.size() == reference.size());
    for (std::size_t k = 0; k < got.size(); ++k) BOOST_TEST_REQUIRE(got[k] == reference[k], r->isa << ": value " << k);
    // and its own scalar twins agree with the sse2 translation unit's
    BOOST_TEST((r->run(true) == reference), r->isa);
  }
  BOOST_TEST(ran >= 1);
}
