// Compiled once per instruction set (tests/CMakeLists.txt, with -DCTNN_ISA=<isa> so that ctnn's
// code gets its own symbols in each): runs every integer kernel on inputs drawn from a fixed seed,
// with this instruction set's code or with the scalar twins.
#include "isa_results.hpp"

#include <ctnn/kernels/bf16.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/layers/int8/block.hpp>
#include <ctnn/layers/int8/codes.hpp>
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/layers/sparse_accumulator.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <random>

namespace {

/// A small deterministic generator (std::mt19937's distributions are not specified alike on every
/// library; this one is).
struct lcg {
  std::uint64_t s;
  std::int64_t operator()(std::int64_t lo, std::int64_t hi) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return lo + static_cast<std::int64_t>((s >> 33) % static_cast<std::uint64_t>(hi - lo + 1));
  }
};

template <std::size_t In, std::size_t Out, unsigned InMax>
void affine(lcg& r, bool reference, std::vector<std::int64_t>& out) {
  std::vector<std::int8_t> w(In * Out);
  std::vector<std::int32_t> b(Out);
  for (auto& v : w) v = static_cast<std::int8_t>(r(-128, 127));
  for (auto& v : b) v = static_cast<std::int32_t>(r(-1000000, 1000000));
  auto layer = std::make_unique<ctnn::int8_dense<In, Out, InMax>>();
  layer->set(w, b);
  using L = ctnn::kernels::int8_affine_layout<In, Out>;
  alignas(64) std::uint8_t x[L::in_padded]{};
  alignas(64) std::int32_t y[L::out_padded];
  for (int trial = 0; trial < 4; ++trial) {
    for (std::size_t i = 0; i < In; ++i) x[i] = static_cast<std::uint8_t>(trial == 0 ? InMax : r(0, InMax));
    if (reference)
      layer->forward_reference(x, y);
    else
      layer->forward(x, y);
    out.insert(out.end(), y, y + Out);
  }
  // five samples at once (forward_rows: the batched passes and their remainders)
  constexpr std::size_t rows = 5, xs = L::in_padded + 3;
  std::vector<std::uint8_t> xr(rows * xs);
  for (auto& v : xr) v = static_cast<std::uint8_t>(r(0, InMax));
  struct alignas(64) row {
    std::int32_t v[L::out_padded];
  };
  std::vector<row> yr(rows);
  for (std::size_t s = 0; s < rows; ++s) {
    if (reference) layer->forward_reference(xr.data() + s * xs, yr[s].v);
  }
  if (!reference) layer->template forward_rows<rows>(xr.data(), xs, yr[0].v, L::out_padded);
  for (const auto& y5 : yr) out.insert(out.end(), y5.v, y5.v + Out);
}

template <std::size_t Window, std::size_t F, std::size_t Positions>
void conv(lcg& r, bool reference, std::vector<std::int64_t>& out) {
  using L = ctnn::kernels::int8_conv_layout<Window, Positions>;
  std::vector<std::uint8_t> rows(L::window_padded * L::positions_padded);
  alignas(64) static std::uint8_t packed[L::size];
  alignas(64) static std::int8_t w[F * L::window_padded];
  alignas(64) static std::int32_t y[F * L::positions_padded];
  std::int32_t b[F];
  for (std::size_t k = 0; k < L::window_padded; ++k)
    for (std::size_t p = 0; p < L::positions_padded; ++p)
      rows[k * L::positions_padded + p] = static_cast<std::uint8_t>(k < Window ? r(0, 127) : 0);
  for (std::size_t f = 0; f < F; ++f)
    for (std::size_t k = 0; k < L::window_padded; ++k)
      w[f * L::window_padded + k] = static_cast<std::int8_t>(k < Window ? r(-128, 127) : 0);
  for (auto& v : b) v = static_cast<std::int32_t>(r(-100000, 100000));
  ctnn::kernels::int8_conv_interleave<Window, Positions>(rows.data(), packed);
  if (reference)
    ctnn::kernels::int8_conv_reference<Window, F, Positions>(packed, w, b, y);
  else
    ctnn::kernels::int8_conv<Window, F, Positions>(packed, w, b, y);
  for (std::size_t f = 0; f < F; ++f)
    out.insert(out.end(), y + f * L::positions_padded, y + f * L::positions_padded + Positions);
}

/// ctnn::quantize's codes of float inputs and its requantization of int32 sums, against the
/// formulas in scalar code: ties (halves, rounded to even), values far outside the range, whole
/// vectors and a tail.
void codes(lcg& r, bool reference, std::vector<std::int64_t>& out) {
  const ctnn::layers::int8::affine_range range{1.0 / 32, 37}; // x * 32 is exact
  constexpr std::size_t n = 100;
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = i % 5 == 0   ? (static_cast<float>(r(-200, 200)) + 0.5f) / 32
           : i % 7 == 0 ? (r(0, 1) != 0 ? 1e30f : -1e30f)
                        : static_cast<float>(r(-100000, 100000)) / 20000.0f;
  alignas(64) std::uint8_t q[112];
  if (reference)
    for (std::size_t i = 0; i < n; ++i)
      q[i] = static_cast<std::uint8_t>(std::clamp(std::nearbyint(double(x[i]) * 32) + 37, 0.0, 127.0));
  else
    range.codes<n>(x.data(), q);
  out.insert(out.end(), q, q + n);

  alignas(64) std::int32_t acc[64];
  for (std::size_t k = 0; k < 64; ++k)
    acc[k] = static_cast<std::int32_t>(k % 4 == 0 ? r(-200, 200) * 1024 + 512 : r(-300000, 300000));
  const float scale = 1.0f / 1024; // acc * scale is exact: halves are ties
  alignas(64) std::uint8_t c[64];
  if (reference)
    for (std::size_t k = 0; k < 64; ++k)
      c[k] = static_cast<std::uint8_t>(std::clamp(std::nearbyint(double(acc[k]) / 1024) + 20, 25.0, 127.0));
  else
    ctnn::layers::int8::requantize_row<64>(acc, scale, 20, 25, c);
  out.insert(out.end(), c, c + 64);
}

/// A network of no stages over N codes (branch<>: the block's input itself), as a plan.
template <std::size_t N>
struct codes_only {
  struct model {
    struct input_shape {
      static constexpr std::size_t size = N;
    };
    using output_shape = input_shape;
  };
  using stages = std::tuple<>;
  static constexpr std::size_t index(std::size_t) { return 0; }
};

/// The merges of composite blocks (layers/int8/block.hpp) against their formulas in scalar code:
/// add with and without a relu after it, concat, and add as a network's last stage (floats).
template <class Merge, bool Clamp, bool Last>
void merge(lcg& r, bool reference, std::vector<std::int64_t>& out) {
  constexpr std::size_t n = 37;
  using branch = ctnn::layers::int8::chain<codes_only<n>>;
  constexpr std::size_t size = Merge::concatenates ? 3 * n : n;
  ctnn::layers::int8::block<Merge, ctnn::layers::narrow::parallel_views, n, size, Clamp, Last, branch, branch, branch>
      b;
  for (auto& m : b.multiplier) m = static_cast<std::int32_t>(r(0, decltype(b)::largest_multiplier));
  for (auto& z : b.zero) z = static_cast<int>(r(0, 127));
  b.out_zero = static_cast<int>(r(0, 127));
  b.reference_scale = static_cast<double>(r(1, 1000)) / 4096;
  alignas(64) std::uint8_t x[64]{}, codes[3 * n];
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<std::uint8_t>(r(0, 127));
  float y[3 * n];
  if (reference) {
    const float unit = static_cast<float>(b.reference_scale / 65536);
    for (std::size_t i = 0; i < size; ++i) {
      std::int64_t v = 0;
      for (std::size_t k = 0; k < 3; ++k)
        if (!Merge::concatenates || i / n == k) v += std::int64_t{b.multiplier[k]} * (x[i % n] - b.zero[k]);
      if (Last) {
        y[i] = std::max(static_cast<float>(v) * unit, Clamp ? 0.0f : -1e30f);
      } else {
        const auto c = b.out_zero + static_cast<std::int64_t>(std::floor((static_cast<double>(v) + 32768) / 65536));
        codes[i] = static_cast<std::uint8_t>(std::clamp<std::int64_t>(c, Clamp ? b.out_zero : 0, 127));
      }
    }
  } else {
    b.run(x, codes, y);
  }
  if constexpr (Last)
    for (std::size_t i = 0; i < size; ++i) out.push_back(std::bit_cast<std::int32_t>(y[i]));
  else
    out.insert(out.end(), codes, codes + size);
}

/// The bf16 affine transform (float sums: their bits, as integers).
template <std::size_t In, std::size_t Out>
void bf16(lcg& r, bool reference, std::vector<std::int64_t>& out) {
  namespace k = ctnn::kernels;
  using L = k::bf16_affine_layout<In, Out>;
  alignas(64) static std::uint16_t w[L::weight_size];
  std::uint16_t x[L::in_padded]{};
  float b[Out];
  const auto value = [&] { return static_cast<float>(r(-1000000, 1000000)) / 250000.0f; };
  for (std::size_t o = 0; o < L::out_padded; ++o)
    for (std::size_t i = 0; i < L::in_padded; ++i)
      w[L::index(i, o)] = o < Out && i < In ? k::round_to_bf16(value()) : std::uint16_t{0};
  for (std::size_t i = 0; i < In; ++i) x[i] = k::round_to_bf16(value());
  for (auto& v : b) v = value();
  alignas(64) float y[L::out_padded];
  if (reference)
    k::bf16_affine_reference<In, Out>(x, w, b, y);
  else
    k::bf16_affine<In, Out>(x, w, b, y);
  for (std::size_t o = 0; o < Out; ++o) out.push_back(std::bit_cast<std::int32_t>(y[o]));
}

std::vector<std::int64_t> run(bool reference) {
  lcg r{42};
  std::vector<std::int64_t> out;
  affine<1024, 16, 127>(r, reference, out);
  affine<30, 32, 127>(r, reference, out);
  affine<32, 1, 127>(r, reference, out);
  affine<13, 20, 255>(r, reference, out);
  affine<784, 128, 127>(r, reference, out);
  affine<100, 10, 255>(r, reference, out);
  affine<400, 10, 255>(r, reference, out); // the wide layout: partial blocks, the widening path
  affine<130, 1, 127>(r, reference, out);  // the wide layout, several chains

  conv<9, 8, 676>(r, reference, out);
  conv<72, 16, 121>(r, reference, out);
  conv<30, 13, 5>(r, reference, out); // filters not a multiple of the block, few positions

  codes(r, reference, out);

  namespace narrow = ctnn::layers::narrow;
  merge<narrow::add, false, false>(r, reference, out);
  merge<narrow::add, true, false>(r, reference, out);
  merge<narrow::concat, false, false>(r, reference, out);
  merge<narrow::add, true, true>(r, reference, out);

  bf16<784, 128>(r, reference, out);
  bf16<33, 10>(r, reference, out);

  alignas(64) std::int32_t s[64];
  alignas(64) std::uint8_t a[64];
  for (auto& v : s) v = static_cast<std::int32_t>(r(-20000, 20000));
  ctnn::kernels::clipped_relu<64, 6>(s, a);
  out.insert(out.end(), a, a + 64);
  ctnn::kernels::sqr_clipped_relu<64, 6>(s, a);
  out.insert(out.end(), a, a + 64);

  constexpr std::size_t features = 300, dims = 256, sides = 8;
  auto ft = std::make_unique<ctnn::sparse_accumulator<features, dims, sides, 16>>();
  std::vector<std::int16_t> fb(dims), fw(features * dims);
  std::vector<std::int32_t> fs(features * sides);
  for (auto& v : fb) v = static_cast<std::int16_t>(r(-1000, 1000));
  for (auto& v : fw) v = static_cast<std::int16_t>(r(-1500, 1500));
  for (auto& v : fs) v = static_cast<std::int32_t>(r(-100000, 100000));
  ft->set(fb, fw, fs);
  std::vector<std::uint32_t> active;
  for (int k = 0; k < 16; ++k) active.push_back(static_cast<std::uint32_t>(r(0, features - 1)));
  auto st = ft->make_state();
  if (reference)
    ft->refresh_reference(st, active);
  else
    ft->refresh(st, active);
  out.insert(out.end(), st.values.begin(), st.values.end());
  out.insert(out.end(), st.side.begin(), st.side.end());
  const std::uint32_t removed[] = {active[3], active[7]}, added[] = {5, 299};
  if (reference) {
    active[3] = 5;
    active[7] = 299;
    ft->refresh_reference(st, active);
  } else {
    ft->update(st, removed, added);
  }
  out.insert(out.end(), st.values.begin(), st.values.end());
  out.insert(out.end(), st.side.begin(), st.side.end());
  alignas(64) std::uint8_t p[dims / 2];
  ctnn::kernels::pairwise_clipped_product<dims / 2>(st.values.data(), st.values.data() + dims / 2, p);
  out.insert(out.end(), p, p + dims / 2);
  return out;
}

} // namespace

#define CTNN_TEST_STR_(x) #x
#define CTNN_TEST_STR(x) CTNN_TEST_STR_(x)
extern const isa_results CTNN_TEST_ISA_RESULTS(CTNN_ISA);
const isa_results CTNN_TEST_ISA_RESULTS(CTNN_ISA){CTNN_TEST_STR(CTNN_ISA), ctnn::kernels::integer_isa, &run};
