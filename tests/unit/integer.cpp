// Integer kernels and layers: the int8 affine transform against its definition (every shape class:
// one output, outputs not a multiple of 16, inputs not a multiple of 4, a long input, both weight
// layouts), the extreme values each instruction set's path must survive, the clipped activations
// at their edges, the overflow bounds that refuse weights, and the sparse accumulator's update
// against its refresh.
#define BOOST_TEST_MODULE integer
#include <boost/test/unit_test.hpp>

#include <ctnn/kernels/bf16.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/layers/sparse_accumulator.hpp>
#include <ctnn/runtime/quantize.hpp> // ctnn::proved

#include <boost/align/aligned_allocator.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace {

template <std::size_t In, std::size_t Out, unsigned InMax>
void check_affine(std::mt19937& gen, bool extremes) {
  std::uniform_int_distribution<int> wd(-128, 127), xd(0, static_cast<int>(InMax)), bd(-100000, 100000);
  std::vector<std::int8_t> w(In * Out);
  std::vector<std::int32_t> b(Out);
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = static_cast<std::int8_t>(extremes ? (k % 3 ? -128 : 127) : wd(gen));
  for (auto& v : b) v = bd(gen);
  auto layer = std::make_unique<ctnn::int8_dense<In, Out, InMax>>();
  layer->set(w, b);
  using L = ctnn::kernels::int8_affine_layout<In, Out>;
  alignas(64) std::uint8_t x[L::in_padded];
  for (std::size_t i = 0; i < L::in_padded; ++i)
    x[i] = static_cast<std::uint8_t>(i < In ? (extremes ? InMax : xd(gen)) : 0xA5);
  alignas(64) std::int32_t fast[L::out_padded], ref[L::out_padded];
  layer->forward(x, fast);
  layer->forward_reference(x, ref);
  for (std::size_t o = 0; o < Out; ++o) {
    std::int64_t s = b[o];
    for (std::size_t i = 0; i < In; ++i) s += std::int64_t{x[i]} * w[o * In + i];
    BOOST_TEST_REQUIRE(ref[o] == s, "reference, output " << o);
    BOOST_TEST_REQUIRE(fast[o] == s, ctnn::kernels::integer_isa << ", " << In << " x " << Out << " (inputs up to "
                                                                << InMax << "), output " << o);
  }
}

/// int8_affine_rows over Rows samples equals int8_affine on each: the passes over blocks of
/// outputs and samples (and their remainders) cover every output of every sample once.
template <std::size_t In, std::size_t Out, unsigned InMax, std::size_t Rows>
void check_rows(std::mt19937& gen) {
  std::uniform_int_distribution<int> wd(-128, 127), xd(0, static_cast<int>(InMax)), bd(-100000, 100000);
  std::vector<std::int8_t> w(In * Out);
  std::vector<std::int32_t> b(Out);
  for (auto& v : w) v = static_cast<std::int8_t>(wd(gen));
  for (auto& v : b) v = bd(gen);
  auto layer = std::make_unique<ctnn::int8_dense<In, Out, InMax>>();
  layer->set(w, b);
  using L = ctnn::kernels::int8_affine_layout<In, Out>;
  constexpr std::size_t xs = L::in_padded + 7, ys = L::out_padded + 16; // strides wider than the rows
  std::vector<std::uint8_t> x(Rows * xs);
  for (auto& v : x) v = static_cast<std::uint8_t>(xd(gen));
  struct alignas(64) row {
    std::int32_t v[ys];
  };
  std::vector<row> rows(Rows);
  layer->template forward_rows<Rows>(x.data(), xs, rows[0].v, ys);
  alignas(64) std::int32_t one[L::out_padded];
  for (std::size_t s = 0; s < Rows; ++s) {
    layer->forward_reference(x.data() + s * xs, one);
    for (std::size_t o = 0; o < Out; ++o)
      BOOST_TEST_REQUIRE(rows[s].v[o] == one[o], ctnn::kernels::integer_isa << ", " << In << " x " << Out << " over "
                                                                            << Rows << " rows: row " << s << ", output "
                                                                            << o);
  }
}

template <std::size_t In, std::size_t Out>
void check_both_ranges(std::mt19937& gen) {
  for (bool extremes : {false, true}) {
    check_affine<In, Out, 127>(gen, extremes);
    check_affine<In, Out, 255>(gen, extremes);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(int8_affine_equals_its_definition) {
  std::mt19937 gen(7);
  BOOST_TEST_MESSAGE("integer kernels: " << ctnn::kernels::integer_isa);
  check_both_ranges<1, 1>(gen);
  check_both_ranges<5, 7>(gen);
  check_both_ranges<30, 32>(gen);
  check_both_ranges<32, 1>(gen);
  check_both_ranges<13, 20>(gen);
  check_both_ranges<64, 48>(gen);
  check_both_ranges<784, 128>(gen);
  // the wide layout (at least 128 inputs, at most 16 outputs): a full register of outputs, a
  // partial one with inputs not a multiple of 64, one output (several chains), 9 (two 256-bit blocks)
  static_assert(ctnn::kernels::int8_affine_layout<1024, 16>::wide && !ctnn::kernels::int8_affine_layout<127, 16>::wide);
  check_both_ranges<1024, 16>(gen);
  check_both_ranges<400, 10>(gen);
  check_both_ranges<130, 1>(gen);
  check_both_ranges<1000, 9>(gen);
}

BOOST_AUTO_TEST_CASE(int8_affine_rows_equals_one_sample_at_a_time) {
  std::mt19937 gen(11);
  check_rows<30, 32, 127, 8>(gen);   // 2 registers of outputs: 8 samples per pass
  check_rows<784, 128, 127, 8>(gen); // 8 registers: 2 passes of 4 over 2 blocks of 4 samples
  check_rows<13, 80, 255, 5>(gen);   // 5 registers (4 + 1), 5 samples (4 + 1)
  check_rows<32, 1, 127, 3>(gen);
  check_rows<256, 48, 255, 1>(gen);
  check_rows<400, 10, 127, 5>(gen); // the wide layout
}

BOOST_AUTO_TEST_CASE(clipped_activations_at_their_edges) {
  const std::int32_t x[] = {-1000000, -64, -1, 0, 63, 64, 127 * 64, 127 * 64 + 63, 128 * 64, 1 << 30};
  std::uint8_t y[std::size(x)];
  ctnn::kernels::clipped_relu<std::size(x), 6>(x, y);
  const std::uint8_t expected[] = {0, 0, 0, 0, 0, 1, 127, 127, 127, 127};
  for (std::size_t i = 0; i < std::size(x); ++i) BOOST_TEST(y[i] == expected[i]);

  // the squared one is computed in int32 after clamping: its edges against the 64-bit definition
  const std::int32_t sq[] = {std::numeric_limits<std::int32_t>::min(),
                             -1000000,
                             -8193,
                             -8192,
                             -8191,
                             -5793,
                             -5792,
                             -64,
                             -1,
                             0,
                             1,
                             63,
                             64,
                             2047,
                             2048,
                             5792,
                             5793,
                             8191,
                             8192,
                             8193,
                             1 << 30,
                             std::numeric_limits<std::int32_t>::max()};
  std::uint8_t sy[std::size(sq)];
  ctnn::kernels::sqr_clipped_relu<std::size(sq), 6>(sq, sy);
  for (std::size_t i = 0; i < std::size(sq); ++i) {
    const std::int64_t s = ((std::int64_t{sq[i]} * sq[i]) >> 12) / 128;
    BOOST_TEST(sy[i] == std::min<std::int64_t>(127, s), "input " << sq[i]);
  }
  // a negative input squares to a positive output (Stockfish's squared clipped ReLU)
  BOOST_TEST(sy[0] == 127);
  BOOST_TEST(sy[3] == 127);

  const std::int16_t a[] = {-5, 0, 1, 127, 128, 32767, 100, 127};
  const std::int16_t b[] = {100, 100, 127, 127, 127, -1, 64, 1};
  std::uint8_t p[std::size(a)];
  ctnn::kernels::pairwise_clipped_product<std::size(a)>(a, b, p);
  const std::uint8_t products[] = {0, 0, 0, 126, 126, 0, 50, 0};
  for (std::size_t i = 0; i < std::size(a); ++i) BOOST_TEST(p[i] == products[i], "pair " << i);
}

BOOST_AUTO_TEST_CASE(int8_dense_refuses_weights_that_could_overflow_and_keeps_its_own) {
  // 40000 inputs of 127 times weights of 127 reach 645,160,000 per 1000 inputs... sized to pass 2^31
  constexpr std::size_t in = 140000;
  auto layer = std::make_unique<ctnn::int8_dense<in, 1, 127>>();
  std::vector<std::int8_t> w(in, 1);
  std::vector<std::int32_t> b{3};
  layer->set(w, b);
  BOOST_TEST(layer->sum_bound() == 3 + std::int64_t{in} * 127);
  std::fill(w.begin(), w.end(), std::int8_t{127});
  try {
    layer->set(w, b, "layer 2 (int8_dense<140000, 1>)");
    BOOST_FAIL("weights whose worst case is 2,258,060,003 were accepted");
  } catch (const ctnn::bound_error& e) {
    BOOST_TEST(e.where() == "layer 2 (int8_dense<140000, 1>)");
    BOOST_TEST(e.bound() == 3 + std::int64_t{in} * 127 * 127);
    BOOST_TEST(std::string(e.what()).find("found a worst case of 2258060003") != std::string::npos, e.what());
  }
  BOOST_CHECK_THROW(layer->set(std::span(w).first(10), b), std::invalid_argument);
  BOOST_TEST(layer->weight(0, 7) == 1, "the refused weights replaced the layer's own");
}

namespace {
constexpr auto embedded_layer = [] {
  ctnn::int8_dense<8, 3, 127> d{};
  const std::int8_t w[24] = {1, -2, 3, -4, 5, -6, 7, -8, 127, 127, 127, 127, 127, 127, 127, 127, -128};
  const std::int32_t b[3] = {10, -20, 30};
  d.set(w, b);
  return d;
}();
/// A wide layer (kernels::int8_affine_layout::wide) built at compile time: weight w[o][i] = (o + 1)
/// times (i % 5 - 2), read back through the layout's index.
constexpr auto embedded_wide_layer = [] {
  ctnn::int8_dense<130, 2, 127> d{};
  std::int8_t w[260]{};
  for (std::size_t o = 0; o < 2; ++o)
    for (std::size_t i = 0; i < 130; ++i) w[o * 130 + i] = static_cast<std::int8_t>((o + 1) * (i % 5) - 2 * (o + 1));
  const std::int32_t b[2] = {-7, 9};
  d.set(w, b);
  return d;
}();
} // namespace

BOOST_AUTO_TEST_CASE(constexpr_weights_are_proved_at_compile_time) {
  constexpr const auto& layer = embedded_layer;
  static_assert(layer.cannot_overflow());
  static_assert(ctnn::proved<embedded_layer>); // as a named diagnostic: compile_fail/int8_weights_could_overflow
  static_assert(layer.sum_bound(1) == 20 + 8 * 127 * 127);
  static_assert(layer.sum_bound() == layer.sum_bound(1));
  BOOST_TEST(layer.weight(2, 0) == -128);

  constexpr const auto& wide = embedded_wide_layer;
  static_assert(decltype(embedded_wide_layer)::layout::wide);
  static_assert(wide.weight(0, 0) == -2 && wide.weight(0, 64) == 2 && wide.weight(1, 129) == 4);
  static_assert(wide.sum_bound(1) == 9 + 26 * (4 + 2 + 0 + 2 + 4) * 127); // |w| over i % 5: 4 2 0 2 4
  static_assert(ctnn::proved<embedded_wide_layer>);
  alignas(64) std::uint8_t x[decltype(embedded_wide_layer)::in_padded]{};
  for (std::size_t i = 0; i < 130; ++i) x[i] = static_cast<std::uint8_t>(i % 7);
  alignas(64) std::int32_t y[decltype(embedded_wide_layer)::out_padded], r[decltype(embedded_wide_layer)::out_padded];
  wide.forward(x, y);
  wide.forward_reference(x, r);
  for (std::size_t o = 0; o < 2; ++o) {
    std::int32_t s = o == 0 ? -7 : 9;
    for (std::size_t i = 0; i < 130; ++i) s += (i % 7) * static_cast<std::int32_t>((o + 1) * (i % 5) - 2 * (o + 1));
    BOOST_TEST(y[o] == s);
    BOOST_TEST(r[o] == s);
  }
}

BOOST_AUTO_TEST_CASE(sparse_accumulator_updates_equal_refreshes) {
  constexpr std::size_t features = 500, dims = 128, sides = 3, max_active = 12;
  using acc_t = ctnn::sparse_accumulator<features, dims, sides, max_active>;
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> wd(-2000, 2000), pd(-100000, 100000);
  std::vector<std::int16_t> b(dims), w(features * dims);
  std::vector<std::int32_t> side(features * sides);
  for (auto& v : b) v = static_cast<std::int16_t>(wd(gen));
  for (auto& v : w) v = static_cast<std::int16_t>(wd(gen));
  for (auto& v : side) v = pd(gen);
  auto ft = std::make_unique<acc_t>();
  ft->set(b, w, side);

  // a walk over sets of active features: remove one or two, add one or two, check every step
  std::vector<std::uint32_t> active;
  std::uniform_int_distribution<std::uint32_t> fd(0, features - 1);
  while (active.size() < 10) {
    const auto f = fd(gen);
    if (std::find(active.begin(), active.end(), f) == active.end()) active.push_back(f);
  }
  auto s = ft->make_state(), fresh = ft->make_state(), ref = ft->make_state();
  ft->refresh(s, active);
  ft->refresh_reference(ref, active);
  BOOST_TEST_REQUIRE((s == ref));
  for (int step = 0; step < 300; ++step) {
    std::vector<std::uint32_t> removed, added;
    const std::size_t drop = 1 + step % 2;
    for (std::size_t k = 0; k < drop && !active.empty(); ++k) {
      const std::size_t at = gen() % active.size();
      removed.push_back(active[at]);
      active.erase(active.begin() + static_cast<std::ptrdiff_t>(at));
    }
    while (added.size() < drop) {
      const auto f = fd(gen);
      if (std::find(active.begin(), active.end(), f) == active.end() &&
          std::find(added.begin(), added.end(), f) == added.end())
        added.push_back(f);
    }
    active.insert(active.end(), added.begin(), added.end());
    auto next = ft->make_state();
    ft->update(s, next, removed, added); // into a copy, as a search's next ply
    ft->update(s, removed, added);       // in place
    ft->refresh(fresh, active);
    ft->refresh_reference(ref, active);
    BOOST_TEST_REQUIRE((s == fresh), "step " << step);
    BOOST_TEST_REQUIRE((next == fresh), "step " << step);
    BOOST_TEST_REQUIRE((fresh == ref), "step " << step);
  }
  // the order of the features does not matter
  std::reverse(active.begin(), active.end());
  ft->refresh(fresh, active);
  BOOST_TEST((s == fresh));
}

BOOST_AUTO_TEST_CASE(sparse_accumulator_refuses_a_column_that_could_overflow_int16) {
  using acc_t = ctnn::sparse_accumulator<100, 64, 1, 4>;
  std::vector<std::int16_t> b(64, 0), w(100 * 64, 1);
  std::vector<std::int32_t> side(100, 1);
  auto ft = std::make_unique<acc_t>();
  ft->set(b, w, side);
  // column 5: four features of 8000 and a bias of 1000 reach 33000
  for (std::size_t f = 0; f < 4; ++f) w[f * 64 + 5] = 8000;
  b[5] = -1000;
  try {
    ft->set(b, w, side, "feature transformer");
    BOOST_FAIL("a worst case of 33000 was accepted in int16");
  } catch (const ctnn::bound_error& e) {
    BOOST_TEST(e.where() == "feature transformer, accumulator value 5");
    BOOST_TEST(e.bound() == 33000);
  }
  BOOST_TEST(ft->row(0)[5] == 1, "the refused weights replaced the accumulator's own");
  BOOST_TEST(ft->biases()[5] == 0);
}

BOOST_AUTO_TEST_CASE(int8_conv_equals_its_definition) {
  // window codes and weights at their extremes and random, against sum_k W[f][k] X[k][p] + b[f]
  constexpr std::size_t window = 27, filters = 11, positions = 37;
  using L = ctnn::kernels::int8_conv_layout<window, positions>;
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> xd(0, 127), wd(-128, 127);
  for (bool extremes : {false, true}) {
    std::vector<std::uint8_t> rows(L::window_padded * L::positions_padded, 0);
    alignas(64) static std::uint8_t packed[L::size];
    alignas(64) static std::int8_t w[filters * L::window_padded];
    alignas(64) static std::int32_t y[filters * L::positions_padded], ref[filters * L::positions_padded];
    std::int32_t b[filters];
    for (std::size_t k = 0; k < window; ++k)
      for (std::size_t p = 0; p < positions; ++p)
        rows[k * L::positions_padded + p] = static_cast<std::uint8_t>(extremes ? 127 : xd(gen));
    for (std::size_t f = 0; f < filters; ++f)
      for (std::size_t k = 0; k < L::window_padded; ++k)
        w[f * L::window_padded + k] = static_cast<std::int8_t>(k >= window ? 0
                                                               : extremes  ? (f % 2 ? -128 : 127)
                                                                           : wd(gen));
    for (std::size_t f = 0; f < filters; ++f) b[f] = static_cast<std::int32_t>(f * 1000) - 5000;
    ctnn::kernels::int8_conv_interleave<window, positions>(rows.data(), packed);
    for (std::size_t k = 0; k < window; ++k)
      for (std::size_t p = 0; p < positions; ++p)
        BOOST_TEST_REQUIRE(packed[L::index(k, p)] == rows[k * L::positions_padded + p]);
    ctnn::kernels::int8_conv<window, filters, positions>(packed, w, b, y);
    ctnn::kernels::int8_conv_reference<window, filters, positions>(packed, w, b, ref);
    for (std::size_t f = 0; f < filters; ++f)
      for (std::size_t p = 0; p < positions; ++p) {
        std::int64_t s = b[f];
        for (std::size_t k = 0; k < window; ++k)
          s += std::int64_t{rows[k * L::positions_padded + p]} * w[f * L::window_padded + k];
        BOOST_TEST_REQUIRE(ref[f * L::positions_padded + p] == s);
        BOOST_TEST_REQUIRE(y[f * L::positions_padded + p] == s,
                           ctnn::kernels::integer_isa << ": filter " << f << ", position " << p);
      }
  }
}

// ---- bf16: vdpbf16ps's arithmetic, native or emulated, equal to the reference twin ----

namespace {

template <std::size_t In, std::size_t Out>
void check_bf16(std::mt19937& gen) {
  namespace k = ctnn::kernels;
  using L = k::bf16_affine_layout<In, Out>;
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<std::uint16_t, boost::alignment::aligned_allocator<std::uint16_t, 64>> w(L::weight_size, 0);
  std::vector<std::uint16_t> x(L::in_padded, 0);
  std::vector<float> b(Out);
  for (std::size_t o = 0; o < Out; ++o)
    for (std::size_t i = 0; i < In; ++i) w[L::index(i, o)] = k::round_to_bf16(d(gen));
  for (std::size_t i = 0; i < In; ++i) x[i] = k::round_to_bf16(d(gen));
  for (auto& v : b) v = d(gen);
  alignas(64) float fast[L::out_padded], ref[L::out_padded];
  k::bf16_affine<In, Out>(x.data(), w.data(), b.data(), fast);
  k::bf16_affine_reference<In, Out>(x.data(), w.data(), b.data(), ref);
  for (std::size_t o = 0; o < Out; ++o) {
    BOOST_TEST_REQUIRE(fast[o] == ref[o], k::bf16_isa << ", " << In << " x " << Out << ", output " << o);
    double s = b[o];
    for (std::size_t i = 0; i < In; ++i) s += double(k::bf16_to_float(x[i])) * k::bf16_to_float(w[L::index(i, o)]);
    BOOST_TEST(std::abs(s - fast[o]) < 1e-5 * (1 + std::abs(s)), "output " << o << ": " << fast[o] << " vs " << s);
  }
}

/// bf16_affine_rows over Rows samples equals bf16_affine on each, bit for bit (the passes over
/// samples and their remainder, each sample's chains in the same order).
template <std::size_t In, std::size_t Out, std::size_t Rows>
void check_bf16_rows(std::mt19937& gen) {
  namespace k = ctnn::kernels;
  using L = k::bf16_affine_layout<In, Out>;
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<std::uint16_t, boost::alignment::aligned_allocator<std::uint16_t, 64>> w(L::weight_size, 0);
  for (std::size_t o = 0; o < Out; ++o)
    for (std::size_t i = 0; i < In; ++i) w[L::index(i, o)] = k::round_to_bf16(d(gen));
  constexpr std::size_t xs = L::in_padded + 6, ys = L::out_padded + 3; // strides wider than the rows
  std::vector<std::uint16_t> x(Rows * xs, 0);
  for (std::size_t s = 0; s < Rows; ++s)
    for (std::size_t i = 0; i < In; ++i) x[s * xs + i] = k::round_to_bf16(d(gen));
  std::vector<float> b(Out), rows(Rows * ys);
  for (auto& v : b) v = d(gen);
  k::bf16_affine_rows<In, Out, Rows>(x.data(), xs, w.data(), b.data(), rows.data(), ys);
  alignas(64) float one[L::out_padded];
  for (std::size_t s = 0; s < Rows; ++s) {
    k::bf16_affine<In, Out>(x.data() + s * xs, w.data(), b.data(), one);
    for (std::size_t o = 0; o < Out; ++o)
      BOOST_TEST_REQUIRE(std::bit_cast<std::uint32_t>(rows[s * ys + o]) == std::bit_cast<std::uint32_t>(one[o]),
                         k::bf16_isa << ", " << In << " x " << Out << " over " << Rows << " rows: row " << s
                                     << ", output " << o);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(bf16_rounding_and_affine) {
  namespace k = ctnn::kernels;
  BOOST_TEST(k::round_to_bf16(1.0f) == 0x3F80);
  BOOST_TEST(k::round_to_bf16(std::bit_cast<float>(0x3F808000u)) == 0x3F80); // a tie: to even
  BOOST_TEST(k::round_to_bf16(std::bit_cast<float>(0x3F818000u)) == 0x3F82); // a tie: to even
  BOOST_TEST(k::round_to_bf16(std::bit_cast<float>(0x3F808001u)) == 0x3F81);
  BOOST_TEST(k::round_to_bf16(std::numeric_limits<float>::infinity()) == 0x7F80);
  BOOST_TEST(std::isnan(k::bf16_to_float(k::round_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  BOOST_TEST(std::isnan(k::bf16_to_float(k::round_to_bf16(std::bit_cast<float>(0x7F800001u))))); // stays NaN
  std::mt19937 gen(13);
  BOOST_TEST_MESSAGE("bf16 kernels: " << k::bf16_isa);
  check_bf16<1, 1>(gen);
  check_bf16<33, 10>(gen);
  check_bf16<256, 32>(gen);
  check_bf16<784, 128>(gen);
  check_bf16_rows<784, 128, 8>(gen); // 4 chains: 5 samples per pass, then 3
  check_bf16_rows<33, 10, 8>(gen);   // 1 chain: all 8 in one pass
  check_bf16_rows<31, 40, 3>(gen);   // 3 registers of outputs, the last partial
}
