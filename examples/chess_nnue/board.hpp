// A chess position as NNUE needs it: pieces on squares from FEN, the HalfKAv2_hm feature indices
// of each side's view, legal moves (without castling and en passant: enough to walk a game), and
// the feature changes a move makes. Nothing here is ctnn: this is the chess-specific part of the
// example.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chess {

enum color : int { white = 0, black = 1 };
/// Stockfish's piece codes: 1..6 white pawn..king, 9..14 black pawn..king, 0 empty.
enum piece_type : int { pawn = 1, knight, bishop, rook, queen, king };
constexpr int make_piece(color c, int type) { return c * 8 + type; }
constexpr int type_of(int piece) { return piece & 7; }
constexpr color color_of(int piece) { return piece >> 3 ? black : white; }
constexpr int file_of(int sq) { return sq & 7; }
constexpr int rank_of(int sq) { return sq >> 3; }

/// HalfKAv2_hm: for the side `view`, a piece on a square relative to that side's king, the board
/// mirrored so that the king is on files e..h, and flipped for black; 32 king buckets x 11 piece
/// kinds (the two kings share one) x 64 squares = 22,528 features.
namespace half_ka_v2_hm {
inline constexpr std::uint32_t features = 64 * 11 * 64 / 2;
inline constexpr std::size_t max_active = 32;

inline std::uint32_t index(color view, int sq, int piece, int king_sq) {
  const int f = file_of(king_sq), r = rank_of(king_sq);
  const int orient = (f < 4 ? 7 : 0) ^ (view == black ? 56 : 0); // h1/a1, or h8/a8 for black
  const int bucket = 4 * (view == white ? 7 - r : r) + (f < 4 ? f : 7 - f);
  const int type = type_of(piece);
  const int kind = type == king ? 10 : 2 * (type - 1) + (color_of(piece) != view);
  return static_cast<std::uint32_t>((sq ^ orient) + 64 * kind + 704 * bucket);
}
} // namespace half_ka_v2_hm

struct move {
  int from, to, promotion; // promotion: a piece type, or 0
};

/// What a move changed on the board, as pieces removed from and added to squares.
struct dirty {
  struct change {
    int piece, sq;
  };
  std::vector<change> removed, added;
  bool king_moved[2]{};
};

class board {
public:
  /// Parses the first four fields of a FEN (placement, side to move; castling and en passant are
  /// read past). Throws std::invalid_argument naming what is wrong.
  explicit board(std::string_view fen) {
    std::istringstream in{std::string(fen)};
    std::string placement, side;
    if (!(in >> placement >> side))
      throw std::invalid_argument("FEN '" + std::string(fen) + "': needs a placement and a side");
    int sq = 56;
    for (char ch : placement) {
      if (ch == '/') {
        sq -= 16;
      } else if (ch >= '1' && ch <= '8') {
        sq += ch - '0';
      } else {
        const auto at = std::string_view("PNBRQK").find(ch), at_black = std::string_view("pnbrqk").find(ch);
        if (at == std::string_view::npos && at_black == std::string_view::npos)
          throw std::invalid_argument("FEN '" + std::string(fen) + "': unknown piece '" + ch + "'");
        if (sq < 0 || sq > 63) throw std::invalid_argument("FEN '" + std::string(fen) + "': a rank too long");
        squares_[sq++] = at != std::string_view::npos ? make_piece(white, static_cast<int>(at) + 1)
                                                      : make_piece(black, static_cast<int>(at_black) + 1);
      }
    }
    if (side != "w" && side != "b") throw std::invalid_argument("FEN '" + std::string(fen) + "': side must be w or b");
    side_ = side == "w" ? white : black;
    for (int c = 0; c < 2; ++c) {
      int kings = 0;
      for (int s = 0; s < 64; ++s)
        if (squares_[s] == make_piece(color(c), king)) ++kings, king_[c] = s;
      if (kings != 1) throw std::invalid_argument("FEN '" + std::string(fen) + "': each side needs one king");
    }
  }

  color side_to_move() const { return side_; }
  int piece_on(int sq) const { return squares_[sq]; }
  int king_square(color c) const { return king_[c]; }
  int piece_count() const {
    int n = 0;
    for (int p : squares_) n += p != 0;
    return n;
  }

  /// The active features of the side `view`.
  std::vector<std::uint32_t> features(color view) const {
    std::vector<std::uint32_t> out;
    for (int s = 0; s < 64; ++s)
      if (squares_[s]) out.push_back(half_ka_v2_hm::index(view, s, squares_[s], king_[view]));
    return out;
  }
  /// The features a move removed and added, for the side `view` (whose king did not move).
  void changed_features(const dirty& d, color view, std::vector<std::uint32_t>& removed,
                        std::vector<std::uint32_t>& added) const {
    removed.clear();
    added.clear();
    for (const auto& c : d.removed) removed.push_back(half_ka_v2_hm::index(view, c.sq, c.piece, king_[view]));
    for (const auto& c : d.added) added.push_back(half_ka_v2_hm::index(view, c.sq, c.piece, king_[view]));
  }

  bool attacked(int sq, color by) const {
    const int r = rank_of(sq), f = file_of(sq);
    auto at = [&](int dr, int df) -> int {
      const int rr = r + dr, ff = f + df;
      return rr < 0 || rr > 7 || ff < 0 || ff > 7 ? -1 : squares_[rr * 8 + ff];
    };
    const int forward = by == white ? -1 : 1; // a pawn of `by` attacks from behind sq
    for (int df : {-1, 1})
      if (at(forward, df) == make_piece(by, pawn)) return true;
    for (auto [dr, df] : knight_steps)
      if (at(dr, df) == make_piece(by, knight)) return true;
    for (auto [dr, df] : king_steps)
      if (at(dr, df) == make_piece(by, king)) return true;
    for (auto [dr, df] : king_steps) {
      const bool diagonal = dr != 0 && df != 0;
      for (int k = 1;; ++k) {
        const int p = at(dr * k, df * k);
        if (p == -1) break;
        if (p == 0) continue;
        if (color_of(p) == by && (type_of(p) == queen || type_of(p) == (diagonal ? bishop : rook))) return true;
        break;
      }
    }
    return false;
  }
  bool in_check() const { return attacked(king_[side_], color(1 - side_)); }

  /// The legal moves (castling and en passant left out).
  std::vector<move> moves() const {
    std::vector<move> pseudo, legal;
    for (int s = 0; s < 64; ++s) {
      const int p = squares_[s];
      if (!p || color_of(p) != side_) continue;
      const int r = rank_of(s), f = file_of(s), t = type_of(p);
      auto target = [&](int dr, int df) -> int {
        const int rr = r + dr, ff = f + df;
        return rr < 0 || rr > 7 || ff < 0 || ff > 7 ? -1 : rr * 8 + ff;
      };
      auto add = [&](int to) {
        if (t == pawn && (rank_of(to) == 0 || rank_of(to) == 7))
          for (int promo : {queen, knight, rook, bishop}) pseudo.push_back({s, to, promo});
        else
          pseudo.push_back({s, to, 0});
      };
      if (t == pawn) {
        const int dr = side_ == white ? 1 : -1;
        if (const int to = target(dr, 0); to >= 0 && !squares_[to]) {
          add(to);
          const int to2 = target(2 * dr, 0);
          if ((r == (side_ == white ? 1 : 6)) && !squares_[to2]) add(to2);
        }
        for (int df : {-1, 1})
          if (const int to = target(dr, df); to >= 0 && squares_[to] && color_of(squares_[to]) != side_) add(to);
      } else if (t == knight || t == king) {
        for (auto [dr, df] : t == knight ? knight_steps : king_steps)
          if (const int to = target(dr, df); to >= 0 && (!squares_[to] || color_of(squares_[to]) != side_)) add(to);
      } else {
        for (auto [dr, df] : king_steps) {
          const bool diagonal = dr != 0 && df != 0;
          if ((t == bishop && !diagonal) || (t == rook && diagonal)) continue;
          for (int k = 1;; ++k) {
            const int to = target(dr * k, df * k);
            if (to < 0) break;
            if (squares_[to] && color_of(squares_[to]) == side_) break;
            add(to);
            if (squares_[to]) break;
          }
        }
      }
    }
    for (const auto& m : pseudo) {
      board next = *this;
      next.play(m);
      if (!next.attacked(next.king_[side_], next.side_)) legal.push_back(m);
    }
    return legal;
  }

  /// Plays m and returns what changed.
  dirty play(const move& m) {
    dirty d;
    const int p = squares_[m.from], captured = squares_[m.to];
    d.removed.push_back({p, m.from});
    if (captured) d.removed.push_back({captured, m.to});
    const int placed = m.promotion ? make_piece(side_, m.promotion) : p;
    d.added.push_back({placed, m.to});
    squares_[m.to] = placed;
    squares_[m.from] = 0;
    if (type_of(p) == king) {
      king_[side_] = m.to;
      d.king_moved[side_] = true;
    }
    side_ = color(1 - side_);
    return d;
  }

  /// The FEN of the position (castling and en passant "-", clocks "0 1").
  std::string fen() const {
    std::string out;
    for (int r = 7; r >= 0; --r) {
      int empty = 0;
      for (int f = 0; f < 8; ++f) {
        const int p = squares_[r * 8 + f];
        if (!p) {
          ++empty;
          continue;
        }
        if (empty) out += char('0' + empty), empty = 0;
        out += (color_of(p) == white ? "PNBRQK" : "pnbrqk")[type_of(p) - 1];
      }
      if (empty) out += char('0' + empty);
      if (r) out += '/';
    }
    return out + (side_ == white ? " w - - 0 1" : " b - - 0 1");
  }

private:
  static constexpr std::array<std::pair<int, int>, 8> knight_steps{
      {{1, 2}, {2, 1}, {2, -1}, {1, -2}, {-1, -2}, {-2, -1}, {-2, 1}, {-1, 2}}};
  static constexpr std::array<std::pair<int, int>, 8> king_steps{
      {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1}}};

  std::array<int, 64> squares_{};
  std::array<int, 2> king_{};
  color side_ = white;
};

} // namespace chess
