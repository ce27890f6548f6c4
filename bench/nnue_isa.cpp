// One instruction set's side of the NNUE benchmark: Stockfish 15.1's network in ctnn's integer
// layers (examples/chess_nnue), timed along random games from Stockfish's bench positions.
// Compiled once per instruction set with -DCTNN_ISA=<isa>: ctnn's own code then has its own
// symbols in each; the example's namespaces are renamed here for the same reason.
#include "nnue_isa.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#define chess CTNN_BENCH_CAT(chess_, CTNN_ISA)
#define chess_nnue CTNN_BENCH_CAT(chess_nnue_, CTNN_ISA)
#define chess_positions CTNN_BENCH_CAT(chess_positions_, CTNN_ISA)
#include "../examples/chess_nnue/network.hpp"
#include "../tests/chess/positions.hpp"
#include "nnue_float.hpp"

namespace {

/// A game: its boards, what each move changed, and which bucket each position uses.
struct ply {
  chess::board after;
  chess::dirty changed;
};

template <class F>
double median_ns(std::size_t per_round, F&& f) {
  std::vector<double> rounds;
  for (int r = 0; r < 15; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    rounds.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(per_round));
  }
  std::nth_element(rounds.begin(), rounds.begin() + 7, rounds.end());
  return rounds[7];
}

nnue_timings run(const std::string& file) {
  const auto net = chess_nnue::read_nnue(file);
  // random games of 40 plies from every bench position
  std::mt19937 gen(7);
  std::vector<chess::board> starts;
  std::vector<std::vector<ply>> games;
  for (const auto fen : chess_positions::bench) {
    chess::board b{fen};
    starts.push_back(b);
    games.emplace_back();
    for (int k = 0; k < 40; ++k) {
      const auto moves = b.moves();
      if (moves.empty()) break;
      auto d = b.play(moves[gen() % moves.size()]);
      games.back().push_back({b, std::move(d)});
    }
  }
  std::size_t moves = 0, positions = 0;
  for (const auto& g : games) moves += g.size(), positions += g.size() + 1;
  // the feature changes of every move, computed before timing (a chess engine has them from its
  // move generator); the timed part is the network's
  struct step {
    bool refresh[2];
    std::vector<std::uint32_t> removed[2], added[2], active[2];
    chess::color stm;
    std::size_t bucket;
  };
  std::vector<std::vector<step>> steps(games.size());
  for (std::size_t g = 0; g < games.size(); ++g)
    for (const auto& p : games[g]) {
      step s;
      for (int c = 0; c < 2; ++c) {
        s.refresh[c] = p.changed.king_moved[c];
        if (s.refresh[c])
          s.active[c] = p.after.features(chess::color(c));
        else
          p.after.changed_features(p.changed, chess::color(c), s.removed[c], s.added[c]);
      }
      s.stm = p.after.side_to_move();
      s.bucket = chess_nnue::network::bucket_of(p.after);
      steps[g].push_back(std::move(s));
    }
  std::vector<std::vector<std::uint32_t>> start_features[2];
  for (int c = 0; c < 2; ++c)
    for (const auto& b : starts) start_features[c].push_back(b.features(chess::color(c)));

  long long checksum = 0;
  chess_nnue::accumulators acc[2];
  nnue_timings t{};
  t.refresh_ns = median_ns(starts.size(), [&] {
    for (std::size_t i = 0; i < starts.size(); ++i)
      for (int c = 0; c < 2; ++c) net->transformer.refresh(acc[0].side[c], start_features[c][i]);
  });
  // along every game: both sides' accumulators updated per move (a king move refreshes its side),
  // one accumulator per ply as a search keeps them, then then_(step, accumulators after the move).
  // Each game's start is refreshed too: 44 refreshes among 1,740 moves, counted in.
  const auto along_games = [&](auto& ft, auto* accs, auto&& then_) {
    for (std::size_t g = 0; g < games.size(); ++g) {
      int cur = 0;
      for (int c = 0; c < 2; ++c) ft.refresh(accs[cur].side[c], start_features[c][g]);
      for (const auto& s : steps[g]) {
        for (int c = 0; c < 2; ++c) {
          if (s.refresh[c])
            ft.refresh(accs[1 - cur].side[c], s.active[c]);
          else
            ft.update(accs[cur].side[c], accs[1 - cur].side[c], s.removed[c], s.added[c]);
        }
        cur = 1 - cur;
        then_(s, accs[cur]);
      }
    }
  };
  t.update_ns = median_ns(moves, [&] { along_games(net->transformer, acc, [](const step&, const auto&) {}); });
  t.update_eval_ns = median_ns(moves, [&] {
    checksum = 0;
    along_games(net->transformer, acc, [&](const step& s, const chess_nnue::accumulators& a) {
      const auto v = net->evaluate(a, s.stm, s.bucket);
      checksum += v.psqt + v.positional;
    });
  });
  t.refresh_eval_ns = median_ns(starts.size(), [&] {
    for (std::size_t i = 0; i < starts.size(); ++i) {
      for (int c = 0; c < 2; ++c) net->transformer.refresh(acc[0].side[c], start_features[c][i]);
      const auto v = net->evaluate(acc[0], starts[i].side_to_move(), chess_nnue::network::bucket_of(starts[i]));
      checksum += v.positional;
    }
  });
  std::vector<chess_nnue::accumulators> start_acc;
  for (const auto& b : starts) start_acc.push_back(net->refresh(b));
  t.eval_positions_ns = median_ns(starts.size() * 10, [&] {
    for (int r = 0; r < 10; ++r)
      for (std::size_t i = 0; i < starts.size(); ++i)
        checksum +=
            net->evaluate(start_acc[i], starts[i].side_to_move(), chess_nnue::network::bucket_of(starts[i])).positional;
  });
  t.eval_ns = median_ns(8 * 100, [&] {
    for (int r = 0; r < 100; ++r)
      for (std::size_t k = 0; k < 8; ++k) checksum += net->evaluate(acc[0], chess::white, k).positional;
  });
  t.eval_same_ns = median_ns(8 * 100, [&] {
    for (int r = 0; r < 8 * 100; ++r) checksum += net->evaluate(acc[0], chess::white, 7).positional;
  });
  (void)positions;
  t.checksum = checksum;

  // the same network in float, the same loops
  const auto fnet = std::make_unique<chess_nnue::float_network>(*net);
  auto facc = std::make_unique<chess_nnue::float_network::state[]>(2);
  float fsum = 0;
  t.float_refresh_ns = median_ns(starts.size(), [&] {
    for (std::size_t i = 0; i < starts.size(); ++i)
      for (int c = 0; c < 2; ++c) fnet->refresh(facc[0].side[c], start_features[c][i]);
  });
  t.float_update_ns = median_ns(moves, [&] { along_games(*fnet, facc.get(), [](const step&, const auto&) {}); });
  t.float_update_eval_ns = median_ns(moves, [&] {
    along_games(*fnet, facc.get(), [&](const step& s, const auto& a) { fsum += fnet->evaluate(a, s.stm, s.bucket); });
  });
  // float against integer along the games (untimed)
  double difference = 0, magnitude = 0;
  for (std::size_t g = 0; g < games.size(); ++g) {
    for (int c = 0; c < 2; ++c) {
      fnet->refresh(facc[0].side[c], start_features[c][g]);
      net->transformer.refresh(acc[0].side[c], start_features[c][g]);
    }
    for (const auto& s : steps[g]) {
      for (int c = 0; c < 2; ++c) {
        if (s.refresh[c]) {
          fnet->refresh(facc[1].side[c], s.active[c]);
          net->transformer.refresh(acc[1].side[c], s.active[c]);
        } else {
          fnet->update(facc[0].side[c], facc[1].side[c], s.removed[c], s.added[c]);
          net->transformer.update(acc[0].side[c], acc[1].side[c], s.removed[c], s.added[c]);
        }
      }
      std::swap(facc[0], facc[1]);
      std::swap(acc[0], acc[1]);
      const double fv = fnet->evaluate(facc[0], s.stm, s.bucket);
      const double iv = net->evaluate(acc[0], s.stm, s.bucket).positional;
      difference += std::abs(fv - iv);
      magnitude += std::abs(iv);
    }
  }
  t.float_mean_difference = difference / double(moves);
  t.integer_mean_value = magnitude / double(moves);
  t.float_refresh_eval_ns = median_ns(starts.size(), [&] {
    for (std::size_t i = 0; i < starts.size(); ++i) {
      for (int c = 0; c < 2; ++c) fnet->refresh(facc[0].side[c], start_features[c][i]);
      fsum += fnet->evaluate(facc[0], starts[i].side_to_move(), chess_nnue::network::bucket_of(starts[i]));
    }
  });
  t.float_eval_ns = median_ns(8 * 100, [&] {
    for (int r = 0; r < 100; ++r)
      for (std::size_t k = 0; k < 8; ++k) fsum += fnet->evaluate(facc[0], chess::white, k);
  });
  if (!std::isfinite(fsum)) t.checksum = -1; // keeps the float work observable
  return t;
}

} // namespace

#define CTNN_BENCH_STR_(x) #x
#define CTNN_BENCH_STR(x) CTNN_BENCH_STR_(x)
extern const nnue_bench_entry CTNN_BENCH_CAT(nnue_bench_, CTNN_ISA);
const nnue_bench_entry CTNN_BENCH_CAT(nnue_bench_, CTNN_ISA){CTNN_BENCH_STR(CTNN_ISA), ctnn::kernels::integer_isa,
                                                             &run};
