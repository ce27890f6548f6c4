// Stockfish 15.1's own network in ctnn's integer layers, against Stockfish itself (Debian's
// package, fetched like the datasets): for every position of Stockfish's bench and of random games
// from them, the eight buckets' material and positional values print exactly as Stockfish's `eval`
// prints them; along every game, accumulators updated move by move equal a refresh at every step.
#define BOOST_TEST_MODULE chess_nnue
#include <boost/test/unit_test.hpp>

#include "positions.hpp"

#include "../../examples/chess_nnue/network.hpp"
#include "../../examples/chess_nnue/stockfish.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// ctnn's eight rows of Stockfish's table for a position (or Stockfish's line for one in check).
std::vector<std::string> ctnn_rows(const chess_nnue::network& net, const chess::board& b,
                                   const chess_nnue::accumulators& a) {
  if (b.in_check()) return {"Final evaluation: none (in check)"};
  std::vector<std::string> rows;
  for (std::size_t k = 0; k < chess_nnue::buckets; ++k)
    rows.push_back(
        chess_nnue::format_row(k, net.evaluate(a, b.side_to_move(), k), k == chess_nnue::network::bucket_of(b)));
  return rows;
}

/// Stockfish's rows for each `eval` in its output, in order.
std::vector<std::vector<std::string>> stockfish_rows(const std::string& output) {
  std::vector<std::vector<std::string>> all;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Final evaluation: none (in check)", 0) == 0) all.push_back({line});
    if (line.rfind(" NNUE network contributions", 0) == 0) {
      all.emplace_back();
      for (int skip = 0; skip < 4; ++skip) std::getline(in, line);
      for (std::size_t k = 0; k < chess_nnue::buckets && std::getline(in, line); ++k) all.back().push_back(line);
    }
  }
  return all;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_bucket_prints_as_stockfish_prints_it_and_updates_equal_refreshes) {
  const auto net = chess_nnue::read_nnue(stockfish::network_file().string());
  BOOST_TEST_MESSAGE("network: " << net->description);

  std::mt19937 gen(2026);
  std::vector<std::string> fens;
  std::vector<std::vector<std::string>> ours;
  std::size_t updates = 0;
  for (const auto fen : chess_positions::bench) {
    chess::board b{fen};
    auto acc = net->refresh(b);
    for (int ply = 0; ply <= 24; ++ply) {
      fens.push_back(b.fen());
      ours.push_back(ctnn_rows(*net, b, acc));
      const auto moves = b.moves();
      if (moves.empty()) break;
      const auto m = moves[gen() % moves.size()];
      const auto d = b.play(m);
      acc = net->update(acc, b, d);
      ++updates;
      const auto fresh = net->refresh(b);
      for (int c = 0; c < 2; ++c)
        BOOST_TEST_REQUIRE((acc.side[c] == fresh.side[c]),
                           "after " << updates << " updates, side " << c << ", position " << b.fen());
    }
  }

  std::string commands;
  for (const auto& fen : fens) commands += "position fen " + fen + "\neval\n";
  const auto theirs = stockfish_rows(stockfish::run(commands));
  BOOST_TEST_REQUIRE(theirs.size() == fens.size(), "Stockfish answered " << theirs.size() << " of " << fens.size());

  std::size_t tables = 0, in_check = 0, differ = 0;
  for (std::size_t p = 0; p < fens.size(); ++p) {
    if (ours[p] != theirs[p]) {
      if (++differ <= 5) {
        BOOST_ERROR("position " << p << " (" << fens[p] << ") differs");
        for (std::size_t k = 0; k < std::max(ours[p].size(), theirs[p].size()); ++k)
          BOOST_TEST_MESSAGE("  ctnn:      " << (k < ours[p].size() ? ours[p][k] : "")
                                             << "\n  stockfish: " << (k < theirs[p].size() ? theirs[p][k] : ""));
      }
      continue;
    }
    (ours[p].size() == 1 ? in_check : tables) += 1;
  }
  BOOST_TEST_MESSAGE(tables << " positions' tables equal Stockfish's (" << tables * chess_nnue::buckets
                            << " bucket rows), " << in_check << " positions in check agree, " << updates
                            << " incremental updates equal refreshes; " << differ << " differ");
  BOOST_TEST(differ == 0u);
  BOOST_TEST(tables >= 1000u);
}

BOOST_AUTO_TEST_CASE(a_bad_nnue_file_is_a_file_error_naming_the_place) {
  const auto good = stockfish::network_file();
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto dir = ctnn::datasets::cache_dir() / "stockfish";
  auto write = [&](const std::string& name, const std::string& content) {
    const auto path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  };
  auto message = [](const std::string& path) -> std::string {
    try {
      chess_nnue::read_nnue(path);
    } catch (const ctnn::file_error& e) {
      return e.what();
    }
    return "no error";
  };
  // truncated inside the feature transformer's weights
  const auto truncated = write("truncated.nnue", bytes.substr(0, 1000000));
  BOOST_TEST(message(truncated) == truncated + ": byte 2139: expected 46137344 bytes of feature transformer weights, "
                                               "found the end of the file after 997861");
  // a wrong version
  std::string versioned = bytes;
  versioned[0] = 0x21;
  const auto version = write("version.nnue", versioned);
  BOOST_TEST(message(version) == version + ": byte 0: expected the version 0x7af32f20, found 0x7af32f21");
  // layer stack 0's first fc_0 bias at 2^31 - 1: its sums could overflow
  const std::size_t first_bias = 12 + 75 + 4 + 2048 + std::size_t{22528} * 1024 * 2 + std::size_t{22528} * 8 * 4 + 4;
  std::string overflowing = bytes;
  const std::int32_t big = 2147483647;
  std::memcpy(overflowing.data() + first_bias, &big, 4);
  const auto overflow = write("overflow.nnue", overflowing);
  const auto m = message(overflow);
  BOOST_TEST(m.find(overflow + ": before byte " + std::to_string(first_bias + 64 + 16 * 1024) +
                    ", layer stack 0, fc_0: expected weights whose int32 sums cannot overflow") == 0u,
             m);
  // trailing bytes
  const auto trailing = write("trailing.nnue", bytes + "xy");
  BOOST_TEST(message(trailing) == trailing + ": byte " + std::to_string(bytes.size()) +
                                      ": expected the end of the file, found 2 more bytes");
  for (const auto& p : {truncated, version, overflow, trailing}) std::filesystem::remove(p);
}
