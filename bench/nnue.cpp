// bench_nnue: Stockfish 15.1's network in ctnn's integer layers, single thread, on every instruction
// set this CPU has (the same code compiled for each, chosen as ctnn's runtime dispatch chooses).
// Prints ns per full refresh (both sides), per incremental update of both sides along random
// games, per move of those games (the update, then one bucket's evaluation), per full refresh and
// evaluation, and per evaluation of one bucket. The network comes from Debian's stockfish package, fetched into ctnn's
// cache.
//
//   bench_nnue [FILE.nnue]
#include "nnue_isa.hpp"

#include "../examples/chess_nnue/stockfish.hpp"

#include <ctnn/runtime/cpu.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  const std::string file = argc > 1 ? argv[1] : stockfish::network_file().string();
  std::printf("Stockfish 15.1's network (%s), single thread, median of 15 rounds\n\n", file.c_str());
  std::printf(
      "| instruction set | kernels | refresh (both sides) | update per move (both sides) | update + eval per "
      "move | refresh + eval | eval (the bench positions) | eval (one bucket, the 8 in turn) | eval (the same bucket "
      "again) |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  long long checksum = 0;
  bool first = true, agree = true;
  std::vector<nnue_bench_entry> floats;
  std::vector<nnue_timings> timings;
  for (const nnue_bench_entry* e :
       {&nnue_bench_avx512vnni, &nnue_bench_avxvnni, &nnue_bench_avx2, &nnue_bench_ssse3, &nnue_bench_sse2}) {
    if (!ctnn::cpu_supports(e->isa)) {
      std::printf("| %s | - | not on this CPU | | | | | | |\n", e->isa);
      continue;
    }
    const auto t = e->run(file);
    std::printf("| %s | %s | %.0f ns | %.0f ns | %.0f ns | %.0f ns | %.0f ns | %.0f ns | %.0f ns |\n", e->isa,
                e->kernels, t.refresh_ns, t.update_ns, t.update_eval_ns, t.refresh_eval_ns, t.eval_positions_ns,
                t.eval_ns, t.eval_same_ns);
    floats.push_back(*e), timings.push_back(t);
    if (first) checksum = t.checksum, first = false;
    agree = agree && t.checksum == checksum;
  }
  std::printf("\nevery instruction set computed the same values: %s\n", agree ? "yes" : "NO");
  std::printf("\nThe same network in float (ctnn float dense layers, float accumulator), and int8 ahead by:\n\n");
  std::printf("| instruction set | refresh (both sides) | update per move | update + eval per move | refresh + eval | "
              "eval (one bucket, the 8 in turn) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (std::size_t k = 0; k < floats.size(); ++k) {
    const auto& t = timings[k];
    std::printf("| %s | %.0f ns (%.2fx) | %.0f ns (%.2fx) | %.0f ns (%.2fx) | %.0f ns (%.2fx) | %.0f ns (%.2fx) |\n",
                floats[k].isa, t.float_refresh_ns, t.float_refresh_ns / t.refresh_ns, t.float_update_ns,
                t.float_update_ns / t.update_ns, t.float_update_eval_ns, t.float_update_eval_ns / t.update_eval_ns,
                t.float_refresh_eval_ns, t.float_refresh_eval_ns / t.refresh_eval_ns, t.float_eval_ns,
                t.float_eval_ns / t.eval_ns);
  }
  if (!timings.empty())
    std::printf("\nfloat against integer along the games: mean |difference| %.1f of a mean |value| %.1f (units of "
                "1/16 of Stockfish's internal unit)\n",
                timings[0].float_mean_difference, timings[0].integer_mean_value);
  return agree ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_nnue: %s\n", e.what());
  return 1;
}
