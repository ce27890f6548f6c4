// The NNUE benchmark's entry for one instruction set (bench/nnue_isa.cpp, compiled once per
// instruction set by bench/CMakeLists.txt).
#pragma once

#include <string>

struct nnue_timings {
  double refresh_ns; // both sides' accumulators from the active features
  double update_ns;  // per move of random games: both sides updated (a king move refreshes its side)
  double
      update_eval_ns; // per move of random games: both sides updated (a king move refreshes its side), then one bucket
  double refresh_eval_ns;   // a full refresh and one bucket's evaluation
  double eval_positions_ns; // each bench position's evaluation, its own bucket, accumulators computed
  double eval_ns;           // one bucket's evaluation from the accumulators (transform + layer stack), the 8 in turn
  double eval_same_ns;      // the same, one bucket again and again (its weights stay in the L1 cache)
  long long checksum;       // of every value computed, equal on every instruction set
  // the same network in float (bench/nnue_float.hpp), timed the same way
  double float_refresh_ns, float_update_ns, float_update_eval_ns, float_refresh_eval_ns, float_eval_ns;
  double float_mean_difference; // mean |float - integer| positional value along the games
  double integer_mean_value;    // mean |integer| positional value, for scale
};

struct nnue_bench_entry {
  const char* isa;     // the dispatch name (ctnn::cpu_supports)
  const char* kernels; // the integer kernels the unit chose
  nnue_timings (*run)(const std::string& nnue_file);
};

#define CTNN_BENCH_CAT_(a, b) a##b
#define CTNN_BENCH_CAT(a, b) CTNN_BENCH_CAT_(a, b)

extern const nnue_bench_entry nnue_bench_avx512vnni, nnue_bench_avxvnni, nnue_bench_avx2, nnue_bench_ssse3,
    nnue_bench_sse2;
