// Stockfish 15.1's network evaluated by ctnn's integer layers. Fetches Debian's stockfish package
// into ctnn's cache (no install), has it export its embedded network, reads the .nnue file, and
// prints the eight buckets' material and positional values as Stockfish's `eval` prints them.
//
//   chess_nnue                      the start position
//   chess_nnue "<FEN>"              another position
//   chess_nnue --net FILE "<FEN>"   a .nnue file of the same architecture instead
//   chess_nnue --walk N             N random moves from the start, updating the accumulators
//                                   move by move, checked against a refresh at every step
#include "network.hpp"
#include "stockfish.hpp"

#include <cstdio>
#include <iostream>
#include <random>
#include <string>

int main(int argc, char** argv) try {
  std::string net_path, fen = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1";
  int walk = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--net" && i + 1 < argc)
      net_path = argv[++i];
    else if (arg == "--walk" && i + 1 < argc)
      walk = std::stoi(argv[++i]);
    else
      fen = arg;
  }
  if (net_path.empty()) net_path = stockfish::network_file().string();
  const auto net = chess_nnue::read_nnue(net_path);
  std::cout << net_path << ": " << net->description << "\n";

  chess::board b{fen};
  auto acc = net->refresh(b);
  std::mt19937 gen(1);
  for (int ply = 0; ply < walk; ++ply) { // a game of random legal moves, one accumulator per ply
    const auto moves = b.moves();
    if (moves.empty()) break;
    const auto d = b.play(moves[gen() % moves.size()]);
    acc = net->update(acc, b, d);
    const auto fresh = net->refresh(b);
    if (!(acc.side[0] == fresh.side[0]) || !(acc.side[1] == fresh.side[1])) {
      std::cerr << "the accumulator updated along the game differs from a refresh at ply " << ply << "\n";
      return 1;
    }
  }
  std::cout << b.fen() << "\n\n";
  if (b.in_check()) {
    std::cout << "Final evaluation: none (in check)\n";
    return 0;
  }
  std::cout << " NNUE network contributions (" << (b.side_to_move() == chess::white ? "White" : "Black")
            << " to move)\n"
            << "+------------+------------+------------+------------+\n"
            << "|   Bucket   |  Material  | Positional |   Total    |\n"
            << "|            |   (PSQT)   |  (Layers)  |            |\n"
            << "+------------+------------+------------+------------+\n";
  for (std::size_t k = 0; k < chess_nnue::buckets; ++k)
    std::cout << chess_nnue::format_row(k, net->evaluate(acc, b.side_to_move(), k),
                                        k == chess_nnue::network::bucket_of(b))
              << "\n";
  std::cout << "+------------+------------+------------+------------+\n";
  std::cout << "\n(integer kernels: " << ctnn::kernels::integer_isa << ")\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "chess_nnue: " << e.what() << "\n";
  return 1;
}
