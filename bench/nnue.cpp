// bench_nnue: Stockfish 15.1's network in ctnn's integer layers, single thread, on every instruction
// set this CPU has (the same code compiled for each, chosen as ctnn's runtime dispatch chooses).
// Prints ns per full refresh (both sides), per move of random games (incremental update of both
// sides, then one bucket's evaluation), per full refresh and evaluation, and per evaluation of one
// bucket. The network comes from Debian's stockfish package, fetched into ctnn's cache.
//
//   bench_nnue [FILE.nnue]
#include "nnue_isa.hpp"

#include "../examples/chess_nnue/stockfish.hpp"

#include <ctnn/runtime/cpu.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) try {
  const std::string file = argc > 1 ? argv[1] : stockfish::network_file().string();
  std::printf("Stockfish 15.1's network (%s), single thread, median of 15 rounds\n\n", file.c_str());
  std::printf("| instruction set | kernels | refresh (both sides) | update + eval per move | refresh + eval | eval "
              "(one bucket) |\n");
  std::printf("|---|---|---:|---:|---:|---:|\n");
  long long checksum = 0;
  bool first = true, agree = true;
  for (const nnue_bench_entry* e :
       {&nnue_bench_avx512vnni, &nnue_bench_avxvnni, &nnue_bench_avx2, &nnue_bench_ssse3, &nnue_bench_sse2}) {
    if (!ctnn::cpu_supports(e->isa)) {
      std::printf("| %s | - | not on this CPU | | | |\n", e->isa);
      continue;
    }
    const auto t = e->run(file);
    std::printf("| %s | %s | %.0f ns | %.0f ns | %.0f ns | %.0f ns |\n", e->isa, e->kernels, t.refresh_ns,
                t.update_eval_ns, t.refresh_eval_ns, t.eval_ns);
    if (first) checksum = t.checksum, first = false;
    agree = agree && t.checksum == checksum;
  }
  std::printf("\nevery instruction set computed the same values: %s\n", agree ? "yes" : "NO");
  return agree ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_nnue: %s\n", e.what());
  return 1;
}
