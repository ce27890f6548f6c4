// Training a small NNUE-style network in C++ and deploying it in integers. A student network over
// 768 piece-square features (12 kinds of piece x 64 squares, seen from the side to move) learns
// Stockfish 15.1's evaluation on positions of random games; the teacher is Stockfish's own network
// in ctnn's integer layers (network.hpp, exact to Stockfish's `eval`). The student is trained in
// float, then one more epoch quantization-aware, and ctnn::quantize_sparse turns it into an int16
// accumulator updated incrementally move by move and int8 layers.
//
//   chess_nnue_train [positions] [epochs]          (default 100000 and 8)
//
// Prints the student's error against the teacher in float and in integers (targets are
// tanh(value / 1000), value in Stockfish's internal units), how often it picks the same side as
// better, and ns per move along test games: the integer student updated incrementally, the float
// student evaluated from scratch, and the teacher. Exits 1 if the integer student is more than
// 0.01 worse than the float one, or learned less than half of what a constant misses.
#include "network.hpp"
#include "stockfish.hpp"

#include <ctnn/ctnn.hpp>
#include <ctnn/runtime/quantize_sparse.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace nn = ctnn;

constexpr std::size_t features = 768;
using student = nn::network<nn::input<nn::shape<features>>,           // piece-square features, 0/1
                            nn::dense<128>, nn::hardtanh_range<0, 1>, // the sparse layer: int16 in integers
                            nn::dense<32>, nn::hardtanh_range<0, 1>, nn::dense<1>>;

/// The feature of piece p on square sq seen from `view`: its kind (own pieces first, then the
/// other side's) and its square, flipped for black so that both sides see their pieces from below.
std::uint32_t feature(chess::color view, int sq, int p) {
  const int kind = (chess::color_of(p) == view ? 0 : 6) + chess::type_of(p) - 1;
  return static_cast<std::uint32_t>(64 * kind + (view == chess::white ? sq : sq ^ 56));
}
std::vector<std::uint32_t> active(const chess::board& b, chess::color view) {
  std::vector<std::uint32_t> f;
  for (int sq = 0; sq < 64; ++sq)
    if (b.piece_on(sq)) f.push_back(feature(view, sq, b.piece_on(sq)));
  return f;
}

struct position {
  chess::board board;
  chess::dirty changed; // what the move to it changed (empty for a game's first position)
  float target;
};

float target_of(const chess_nnue::network& teacher, const chess::board& b) {
  if (b.in_check()) return std::nanf(""); // Stockfish evaluates none there
  const auto a = teacher.refresh(b);
  const auto v = teacher.evaluate(a, b.side_to_move(), chess_nnue::network::bucket_of(b));
  return static_cast<float>(std::tanh((v.psqt + v.positional) / 16.0 / 1000.0));
}

/// Random games from the start position, up to `plies` moves each. Positions in check are played
/// through but have no target (NaN).
std::vector<std::vector<position>> random_games(const chess_nnue::network& teacher, std::size_t positions, int plies,
                                                unsigned seed) {
  std::mt19937 gen(seed);
  std::vector<std::vector<position>> out;
  std::size_t n = 0;
  while (n < positions) {
    chess::board b{"rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"};
    std::vector<position> game{{b, {}, target_of(teacher, b)}};
    for (int ply = 0; ply < plies; ++ply) {
      const auto moves = b.moves();
      if (moves.empty()) break;
      auto d = b.play(moves[gen() % moves.size()]);
      game.push_back({b, std::move(d), target_of(teacher, b)});
    }
    n += game.size();
    out.push_back(std::move(game));
  }
  return out;
}

using data_type = nn::dataset<float, nn::shape<features>, nn::shape<1>>;

void add(data_type& d, const std::vector<std::vector<position>>& games) {
  for (const auto& g : games)
    for (const auto& p : g) {
      if (std::isnan(p.target)) continue;
      nn::tensor<float, nn::shape<features>> x{};
      for (const auto f : active(p.board, p.board.side_to_move())) x[f] = 1.0f;
      d.push_back(x, nn::tensor<float, nn::shape<1>>{p.target});
    }
}

template <class F>
double ns_per(std::size_t count, F&& f) {
  double best = 1e300;
  for (int r = 0; r < 7; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
  return best / double(count);
}

int run(int argc, char** argv) {
  const std::size_t positions = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const std::size_t epochs = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 8;
  const auto teacher = chess_nnue::read_nnue(stockfish::network_file().string());
  const auto train_games = random_games(*teacher, positions, 80, 1);
  const auto test_games = random_games(*teacher, std::max<std::size_t>(positions / 10, 500), 80, 2);
  data_type train, test;
  add(train, train_games);
  add(test, test_games);

  auto net = nn::make<student>(nn::init::pytorch_default{}, 1);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 1e-3f}};
  std::ostringstream quiet;
  fit.train(train, {.epochs = epochs, .batch = 256, .seed = 1, .log = &quiet});
  fit.train(train, {.epochs = 1, .batch = 256, .seed = 2, .quantization_aware = true, .log = &quiet});
  const auto q = nn::quantize_sparse<32>(net);

  // errors against the teacher, float and integer, and a constant's for scale
  double mean = 0;
  for (std::size_t i = 0; i < train.size(); ++i) mean += train.target(i)[0];
  mean /= double(train.size());
  double err_float = 0, err_int = 0, err_const = 0;
  std::size_t same_side_float = 0, same_side_int = 0;
  for (const auto& g : test_games)
    for (const auto& p : g) {
      if (std::isnan(p.target)) continue;
      const auto f = active(p.board, p.board.side_to_move());
      nn::tensor<float, nn::shape<features>> x{};
      for (const auto k : f) x[k] = 1.0f;
      const float yf = net(x)[0], yi = q(f)[0];
      err_float += std::abs(yf - p.target), err_int += std::abs(yi - p.target), err_const += std::abs(mean - p.target);
      same_side_float += (yf > 0) == (p.target > 0), same_side_int += (yi > 0) == (p.target > 0);
    }
  const double n = double(test.size());
  std::printf("student 768-128-32-1 trained on %zu positions (%zu epochs + 1 quantization-aware), tested on %zu:\n",
              train.size(), epochs, test.size());
  std::printf("  mean |error| of tanh(value / 1000): float %.4f, integer %.4f (a constant: %.4f)\n", err_float / n,
              err_int / n, err_const / n);
  std::printf("  the same side better as the teacher: float %.1f%%, integer %.1f%%\n",
              100.0 * double(same_side_float) / n, 100.0 * double(same_side_int) / n);

  // ns per move along the test games: both views' accumulators updated from what the move
  // changed, then the side to move's evaluated
  std::size_t moves = 0;
  for (const auto& g : test_games) moves += g.size() - 1;
  float sink = 0;
  std::vector<std::uint32_t> removed, added;
  const double t_int = ns_per(moves, [&] {
    for (const auto& g : test_games) {
      decltype(q.make_state()) views[2] = {q.make_state(), q.make_state()};
      for (int c = 0; c < 2; ++c) q.refresh(views[c], active(g[0].board, chess::color(c)));
      for (std::size_t k = 1; k < g.size(); ++k) {
        for (int c = 0; c < 2; ++c) {
          removed.clear(), added.clear();
          for (const auto& r : g[k].changed.removed) removed.push_back(feature(chess::color(c), r.sq, r.piece));
          for (const auto& a : g[k].changed.added) added.push_back(feature(chess::color(c), a.sq, a.piece));
          q.update(views[c], removed, added);
        }
        sink += q.evaluate(views[g[k].board.side_to_move()])[0];
      }
    }
  });
  nn::tensor<float, nn::shape<features>> x{};
  const double t_float = ns_per(moves, [&] {
    for (const auto& g : test_games)
      for (std::size_t k = 1; k < g.size(); ++k) {
        std::fill(x.begin(), x.end(), 0.0f);
        for (const auto f : active(g[k].board, g[k].board.side_to_move())) x[f] = 1.0f;
        sink += net(x)[0];
      }
  });
  const double t_teacher = ns_per(moves, [&] {
    for (const auto& g : test_games) {
      auto a = teacher->refresh(g[0].board);
      for (std::size_t k = 1; k < g.size(); ++k) {
        a = teacher->update(a, g[k].board, g[k].changed);
        sink += float(
            teacher->evaluate(a, g[k].board.side_to_move(), chess_nnue::network::bucket_of(g[k].board)).positional);
      }
    }
  });
  std::printf("  ns per move (update + evaluation): integer student %.0f, float student from its 0/1 vector %.0f, "
              "Stockfish's network %.0f (checksum %g)\n",
              t_int, t_float, t_teacher, double(sink));

  // the integer student's incremental updates equal a refresh, at every move of the test games
  std::size_t equal = 0;
  for (const auto& g : test_games) {
    auto s = q.make_state(), fresh = q.make_state();
    q.refresh(s, active(g[0].board, chess::white));
    for (std::size_t k = 1; k < g.size(); ++k) {
      removed.clear(), added.clear();
      for (const auto& r : g[k].changed.removed) removed.push_back(feature(chess::white, r.sq, r.piece));
      for (const auto& a : g[k].changed.added) added.push_back(feature(chess::white, a.sq, a.piece));
      q.update(s, removed, added);
      q.refresh(fresh, active(g[k].board, chess::white));
      equal += s == fresh;
    }
  }
  std::printf("  incremental updates equal to a refresh: %zu of %zu\n", equal, moves);
  const bool ok = err_int / n <= err_float / n + 0.01 && err_float < 0.5 * err_const && equal == moves;
  std::printf("%s\n", ok ? "OK" : "FAILED: the integer student is worse than the float one, or did not learn");
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) try { return run(argc, argv); } catch (const std::exception& e) {
  std::fprintf(stderr, "chess_nnue_train: %s\n", e.what());
  return 1;
}
