// oneDNN's int8 primitives as the integer anchor of bench_int8, behind an interface so that only
// onednn_int8.cpp sees oneDNN's headers. The network is handed over as ctnn's quantized network
// holds it (the same int8 weights, int32 biases with the zero points folded in, requantization
// multipliers and zero points), so both compute the same integers and the outputs are compared
// before anything is timed.
#pragma once

#include "onednn_anchor.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

/// One operation of an int8 network: a dense layer (inner product), a 3 x 3 convolution without
/// padding (stride 1) or a 2 x 2 max pool (stride 2), over [c, h, w] codes (a dense layer's input
/// may be a [c, h, w] block).
struct int8_op {
  enum kind_type { dense, conv3x3, max_pool2x2 } kind;
  int c, h, w;                      ///< the input's channels, height and width (a vector: c values, 1 x 1)
  int out;                          ///< output channels (features)
  std::vector<std::int8_t> weights; ///< [out][c][kh][kw] or [out][in]
  std::vector<std::int32_t> biases; ///< the zero points folded in
  std::vector<float> scales;        ///< requantization multipliers; the last op: a unit's float value
  int out_zero = 0;                 ///< the output codes' zero point
  bool relu = false, last = false;
};

struct int8_network {
  float input_scale = 1;
  int input_zero = 0;
  int c = 0, h = 1, w = 1; ///< the input's shape
  std::vector<int8_op> ops;
};

/// The network for a fixed batch of float inputs and float outputs; nullptr if this build has no
/// oneDNN (`why` then says so).
std::unique_ptr<onednn_model> make_onednn_int8(const int8_network& net, int batch, std::string& why);

} // namespace bench
