// The one geometry of a window sliding over a map: what the convolution and pooling descriptors
// compute (dsl/layers/window.hpp), what their stages and kernels read, and what a transposed
// convolution is described by (the geometry of its mirror convolution).
#pragma once

#include <ctnn/core/config.hpp>

#include <cstddef>

namespace CTNN_NAMESPACE {

/// A window's placement over an input [c, h, w] (1-D: h = 1): everything kernels need.
struct window_geometry {
  std::size_t c = 0, h = 0, w = 0;            ///< input
  std::size_t kh = 1, kw = 1;                 ///< window
  std::size_t sh = 1, sw = 1;                 ///< stride
  std::size_t dh = 1, dw = 1;                 ///< dilation
  std::size_t pt = 0, pb = 0, pl = 0, pr = 0; ///< padding: top, bottom, left, right
  std::size_t oh = 0, ow = 0;                 ///< output
};

} // namespace CTNN_NAMESPACE
