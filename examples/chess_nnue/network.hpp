// Stockfish 15.1's network (nn-ad9b42354671.nnue) as ctnn types, its file reader, and its
// evaluation. Learned from Stockfish's source at tag sf_15.1 (src/nnue/), written here:
//
//   features   HalfKAv2_hm, 22,528 binary features per side (board.hpp)
//   first      ctnn::sparse_accumulator<22528, 1024, 8, 32>: an int16 accumulator of 1,024 values
//              per side, and 8 int32 side outputs (the PSQT buckets); at most 32 active features
//   transform  per side, the pairwise clipped product of the accumulator's two halves -> 512 uint8;
//              the side to move first: 1,024 uint8 values
//   stacks     8 layer stacks, one chosen by the piece count, each
//                fc_0  ctnn::int8_dense<1024, 16>           16 int32: 15 to the next layer, 1 skip
//                      squared clipped ReLU (15) and clipped ReLU (15), side by side: 30 uint8
//                fc_1  ctnn::int8_dense<30, 32>, clipped ReLU
//                fc_2  ctnn::int8_dense<32, 1>
//              positional = fc_2 + skip * 600 * 16 / (127 * 64)
//   material   (PSQT bucket of the side to move - the other's) / 2
// Values are in Stockfish's internal units times 16 (OutputScale); Stockfish prints them / 16.
#pragma once

#include "board.hpp"

#include <ctnn/io/error.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/layers/sparse_accumulator.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace chess_nnue {

inline constexpr std::size_t half_dims = 1024, buckets = 8, stacks = 8;
inline constexpr int output_scale = 16, weight_scale_bits = 6;

/// The first layer: the accumulator of one side's view.
using feature_transformer =
    ctnn::sparse_accumulator<chess::half_ka_v2_hm::features, half_dims, buckets, chess::half_ka_v2_hm::max_active>;
using accumulator = feature_transformer::state;

/// One layer stack: 1,024 uint8 -> 1 int32.
struct layer_stack {
  ctnn::int8_dense<half_dims, 16> fc_0;
  ctnn::int8_dense<30, 32> fc_1;
  ctnn::int8_dense<32, 1> fc_2;

  std::int32_t operator()(const std::uint8_t* transformed) const noexcept {
    alignas(64) std::int32_t fc_0_out[decltype(fc_0)::out_padded];
    alignas(64) std::uint8_t ac_0_out[decltype(fc_1)::in_padded]{};
    alignas(64) std::int32_t fc_1_out[decltype(fc_1)::out_padded];
    alignas(64) std::uint8_t ac_1_out[decltype(fc_2)::in_padded];
    alignas(64) std::int32_t fc_2_out[decltype(fc_2)::out_padded];
    fc_0.forward(transformed, fc_0_out);
    ctnn::kernels::sqr_clipped_relu<15, weight_scale_bits>(fc_0_out, ac_0_out);
    ctnn::kernels::clipped_relu<15, weight_scale_bits>(fc_0_out, ac_0_out + 15);
    fc_1.forward(ac_0_out, fc_1_out);
    ctnn::kernels::clipped_relu<32, weight_scale_bits>(fc_1_out, ac_1_out);
    fc_2.forward(ac_1_out, fc_2_out);
    // fc_0's 16th output is the skip: 1.0 is 127 * 2^6 there and 600 * OutputScale at the end
    const std::int32_t skip = fc_0_out[15] * (600 * output_scale) / (127 * (1 << weight_scale_bits));
    return fc_2_out[0] + skip;
  }
};

/// The two sides' accumulators of one position.
struct accumulators {
  accumulator side[2];
};

struct network {
  feature_transformer transformer;
  std::array<layer_stack, stacks> stack;
  std::string description;

  static std::size_t bucket_of(const chess::board& b) { return static_cast<std::size_t>(b.piece_count() - 1) / 4; }

  accumulators refresh(const chess::board& b) const {
    accumulators a{transformer.make_state(), transformer.make_state()};
    for (int c = 0; c < 2; ++c) transformer.refresh(a.side[c], b.features(chess::color(c)));
    return a;
  }
  /// The accumulators after a move: `after` is the board after it, `d` what it changed. The side
  /// whose king moved is refreshed (its view changed); the other side is updated.
  accumulators update(const accumulators& before, const chess::board& after, const chess::dirty& d) const {
    accumulators a;
    std::vector<std::uint32_t> removed, added;
    for (int c = 0; c < 2; ++c) {
      if (d.king_moved[c]) {
        transformer.refresh(a.side[c], after.features(chess::color(c)));
      } else {
        after.changed_features(d, chess::color(c), removed, added);
        transformer.update(before.side[c], a.side[c], removed, added);
      }
    }
    return a;
  }

  struct value {
    std::int32_t psqt, positional; // times OutputScale
  };
  /// Bucket `bucket`'s material and positional values for the side to move.
  value evaluate(const accumulators& a, chess::color stm, std::size_t bucket) const noexcept {
    const accumulator& us = a.side[stm];
    const accumulator& them = a.side[1 - stm];
    alignas(64) std::uint8_t transformed[half_dims];
    ctnn::kernels::pairwise_clipped_product<half_dims / 2>(us.values.data(), us.values.data() + half_dims / 2,
                                                           transformed);
    ctnn::kernels::pairwise_clipped_product<half_dims / 2>(them.values.data(), them.values.data() + half_dims / 2,
                                                           transformed + half_dims / 2);
    return {(us.side[bucket] - them.side[bucket]) / 2, stack[bucket](transformed)};
  }
};

namespace detail {

struct reader {
  std::ifstream in;
  std::string path;
  std::size_t at = 0, size = 0;

  template <class T>
  void read(T* out, std::size_t n, const char* what) {
    if (size - at < n * sizeof(T))
      throw ctnn::file_error(path, "byte " + std::to_string(at), std::to_string(n * sizeof(T)) + " bytes of " + what,
                             "the end of the file after " + std::to_string(size - at));
    in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n * sizeof(T))); // little-endian, as x86
    at += n * sizeof(T);
  }
  std::uint32_t u32(const char* what) {
    std::uint32_t v;
    read(&v, 1, what);
    return v;
  }
  /// Runs a layer's set(): weights that could overflow are a file_error naming this file.
  template <class F>
  void set(F&& f) {
    try {
      f();
    } catch (const ctnn::bound_error& e) {
      throw ctnn::file_error(path, "before byte " + std::to_string(at) + ", " + e.where(), e.expected(),
                             "a worst case of " + std::to_string(e.bound()));
    }
  }
  void expect(std::uint32_t expected, const char* what) {
    const std::size_t where = at;
    const std::uint32_t v = u32(what);
    if (v != expected) {
      char e[16], f[16];
      std::snprintf(e, sizeof e, "0x%08x", expected);
      std::snprintf(f, sizeof f, "0x%08x", v);
      throw ctnn::file_error(path, "byte " + std::to_string(where), std::string(what) + " " + e, f);
    }
  }
};

constexpr std::uint32_t affine_hash(std::uint32_t prev, std::uint32_t outputs) {
  return (0xCC03DAE4u + outputs) ^ (prev >> 1) ^ (prev << 31);
}
constexpr std::uint32_t clipped_relu_hash(std::uint32_t prev) { return 0x538D24C7u + prev; }
/// The hashes Stockfish writes for this architecture (nnue_architecture.h's get_hash_value).
constexpr std::uint32_t transformer_hash = 0x7f234cb8u ^ (half_dims * 2);
constexpr std::uint32_t stack_hash = affine_hash(
    clipped_relu_hash(affine_hash(clipped_relu_hash(affine_hash(0xEC42E90Du ^ (half_dims * 2), 16)), 32)), 1);

template <std::size_t In, std::size_t Out, std::size_t PaddedIn>
void read_dense(reader& r, ctnn::int8_dense<In, Out>& layer, const std::string& name) {
  std::vector<std::int32_t> b(Out);
  std::vector<std::int8_t> padded(Out * PaddedIn), w(Out * In);
  r.read(b.data(), Out, (name + " biases").c_str());
  r.read(padded.data(), padded.size(), (name + " weights").c_str());
  for (std::size_t o = 0; o < Out; ++o)
    for (std::size_t i = 0; i < In; ++i) w[o * In + i] = padded[o * PaddedIn + i];
  r.set([&] { layer.set(w, b, name); }); // proves the int32 sums cannot overflow
}

} // namespace detail

/// Reads a Stockfish 15.1 .nnue file (as `export_net` writes it). Throws ctnn::file_error naming
/// the file, the byte and what was expected: a wrong version or hash, a truncated file, trailing
/// bytes, or weights that could overflow their integer types.
inline std::unique_ptr<network> read_nnue(const std::string& path) {
  detail::reader r{std::ifstream(path, std::ios::binary), path};
  if (!r.in) throw ctnn::file_error(path, "opening", "a readable .nnue file", "none");
  r.in.seekg(0, std::ios::end);
  r.size = static_cast<std::size_t>(r.in.tellg());
  r.in.seekg(0);

  auto net = std::make_unique<network>();
  r.expect(0x7AF32F20u, "the version");
  r.expect(detail::transformer_hash ^ detail::stack_hash, "the network hash");
  net->description.resize(r.u32("the description's length"));
  r.read(net->description.data(), net->description.size(), "the description");

  r.expect(detail::transformer_hash, "the feature transformer's hash");
  constexpr std::size_t features = chess::half_ka_v2_hm::features;
  std::vector<std::int16_t> biases(half_dims), weights(features * half_dims);
  std::vector<std::int32_t> psqt(features * buckets);
  r.read(biases.data(), biases.size(), "feature transformer biases");
  r.read(weights.data(), weights.size(), "feature transformer weights");
  r.read(psqt.data(), psqt.size(), "PSQT weights");
  r.set([&] { net->transformer.set(biases, weights, psqt, "feature transformer"); });

  for (std::size_t s = 0; s < stacks; ++s) {
    const std::string name = "layer stack " + std::to_string(s);
    r.expect(detail::stack_hash, (name + "'s hash").c_str());
    detail::read_dense<half_dims, 16, half_dims>(r, net->stack[s].fc_0, name + ", fc_0");
    detail::read_dense<30, 32, 32>(r, net->stack[s].fc_1, name + ", fc_1");
    detail::read_dense<32, 1, 32>(r, net->stack[s].fc_2, name + ", fc_2");
  }
  if (r.at != r.size)
    throw ctnn::file_error(path, "byte " + std::to_string(r.at), "the end of the file",
                           std::to_string(r.size - r.at) + " more bytes");
  return net;
}

/// Stockfish's trace table row for one bucket: "|  0         |     0.00   |  +  1.25   | ...".
inline std::string format_row(std::size_t bucket, network::value v, bool used) {
  auto cp = [](int value) { // format_cp_aligned_dot: a sign, then |v| / 361 pawns as %6.2f
    char buffer[16];
    buffer[0] = value < 0 ? '-' : value > 0 ? '+' : ' ';
    std::snprintf(buffer + 1, sizeof buffer - 1, "%6.2f", 1.0 * std::abs(value) / 361);
    return std::string(buffer);
  };
  const int psqt = v.psqt / output_scale, positional = v.positional / output_scale;
  return "|  " + std::to_string(bucket) + "         |  " + cp(psqt) + "   |  " + cp(positional) + "   |  " +
         cp(psqt + positional) + "   |" + (used ? " <-- this bucket is used" : "");
}

} // namespace chess_nnue
