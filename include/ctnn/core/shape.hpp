// shape<D...>: the static extent of a tensor, and dims: its constexpr value form.
#pragma once

#include <ctnn/core/config.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE {

/// The largest rank the shape algebra carries. Enough for [C,H,W] images plus one.
inline constexpr std::size_t max_rank = 4;
/// The most inputs a network over inputs<...> takes.
inline constexpr std::size_t max_inputs = 4;

/// dims: a shape as a value, so that shape inference is an ordinary constexpr loop.
struct dims {
  std::size_t rank = 0;
  std::array<std::size_t, max_rank> extent{};
  bool sequence = false; ///< sequence<Steps, Features>: rank 2, time-major
  /// inputs<S...> (several inputs, one after the other in a flat [size()]): each input's shape.
  /// Only the layer right after inputs<...> sees them (shape inference clears them after it).
  std::size_t parts = 0;
  std::array<std::size_t, max_inputs> part_rank{};
  std::array<std::array<std::size_t, max_rank>, max_inputs> part_extent{};
  std::array<bool, max_inputs> part_sequence{};
  std::array<std::size_t, max_inputs> part_channels{};
  /// sequence<Steps, Features, Channels>: each step is a [Features, Channels] frame (channels
  /// last), extent[1] = Features x Channels values; 0: each step is a plain vector.
  std::size_t channels = 0;

  constexpr std::size_t size() const noexcept {
    std::size_t n = rank == 0 ? 0 : 1;
    for (std::size_t i = 0; i < rank; ++i) n *= extent[i];
    return n;
  }
  /// Input i's shape (i < parts).
  constexpr dims part(std::size_t i) const noexcept {
    dims d{part_rank[i], part_extent[i], part_sequence[i]};
    d.channels = part_channels[i];
    return d;
  }
  /// Where input i starts in the flat values.
  constexpr std::size_t part_offset(std::size_t i) const noexcept {
    std::size_t at = 0;
    for (std::size_t k = 0; k < i; ++k) at += part(k).size();
    return at;
  }
  /// The same dims without the inputs' shapes.
  constexpr dims whole() const noexcept {
    dims d{rank, extent, sequence};
    d.channels = channels;
    return d;
  }
  /// A sequence of frames (sequence<Steps, Features, Channels>): the features of one frame.
  constexpr std::size_t frame_features() const noexcept { return channels ? extent[1] / channels : 0; }
  friend constexpr bool operator==(const dims&, const dims&) = default;
};

/// Renders dims the way users spell shapes: "shape<28, 28, 1>", "inputs<sequence<32, 4>, shape<12>>".
inline std::string to_string(const dims& d) {
  if (d.parts > 0) {
    std::string s = "inputs<";
    for (std::size_t i = 0; i < d.parts; ++i) s += (i ? ", " : "") + to_string(d.part(i));
    return s + ">";
  }
  std::string s = d.sequence ? "sequence<" : "shape<";
  if (d.sequence && d.channels)
    return s + std::to_string(d.extent[0]) + ", " + std::to_string(d.frame_features()) + ", " +
           std::to_string(d.channels) + ">";
  for (std::size_t i = 0; i < d.rank; ++i) {
    if (i) s += ", ";
    s += std::to_string(d.extent[i]);
  }
  return s + ">";
}

/// shape<D...>: the extent of a tensor, outermost first (e.g. shape<C, H, W>).
/// Requires 1 <= rank <= max_rank; a zero extent is rejected by the network's shape check,
/// where the diagnostic can name the layer.
template <std::size_t... D>
struct shape {
  static constexpr std::size_t rank = sizeof...(D);
  static constexpr std::size_t size = (std::size_t{1} * ... * D);
  static constexpr ctnn::dims dims{rank, {D...}};
  static_assert(rank <= max_rank, "ctnn::shape: at most 4 dimensions are supported");
};

namespace detail {
constexpr dims sequence_dims(std::size_t steps, std::size_t step_size, std::size_t channels) noexcept {
  dims d{2, {steps, step_size}, true};
  d.channels = channels;
  return d;
}
} // namespace detail

/// sequence<Steps, Features>: one sample is a sequence of Steps time steps of Features values
/// each, time-major (step t's features at [t * Features, (t + 1) * Features)). Recurrent
/// layers map sequence<T, F> to sequence<T, H>; `last` keeps the final step, shape<H>.
///
/// sequence<Steps, Features, Channels>: each step is a frame of Features x Channels values,
/// channels last (value (f, c) of step t at (t * Features + f) * Channels + c), as Keras and
/// RTNeural lay out a spectrogram for Conv2D. conv2d convolves it over time and features, and
/// batch_norm normalizes each channel (PyTorch's Conv2d and BatchNorm2d on x.permute(0, 3, 1, 2));
/// every other layer sees steps of Features x Channels values.
///
/// Frame is Features, or Features and Channels: no defaulted argument, so that errors print the
/// sequence as it was written.
template <std::size_t Steps, std::size_t... Frame>
struct sequence {
  static_assert(sizeof...(Frame) == 1 || sizeof...(Frame) == 2,
                "ctnn::sequence<Steps, Features> or ctnn::sequence<Steps, Features, Channels>");
  static constexpr std::size_t rank = 2;
  static constexpr std::size_t steps = Steps;
  static constexpr std::size_t features = (std::size_t{1} * ... * Frame); ///< values per step
  static constexpr std::size_t size = Steps * features;
  static constexpr ctnn::dims dims =
      detail::sequence_dims(Steps, features, sizeof...(Frame) == 2 ? std::array<std::size_t, 2>{Frame...}[1] : 0);
};

namespace detail {
template <class T>
struct is_shape : std::false_type {};
template <std::size_t... D>
struct is_shape<shape<D...>> : std::true_type {};
template <std::size_t S, std::size_t... F>
struct is_shape<sequence<S, F...>> : std::true_type {};

/// shape<...> from a rank and up to max_rank extents. Plain integer parameters on purpose:
/// GCC 12 crashes on class-type template parameters (dims) used this way.
template <std::size_t Rank, std::size_t E0, std::size_t E1, std::size_t E2, std::size_t E3, bool Sequence,
          std::size_t Channels>
struct shape_from_extents {
  static constexpr std::size_t extent[max_rank] = {E0, E1, E2, E3};
  template <std::size_t... I>
  static shape<extent[I]...> make(std::index_sequence<I...>);
  using type = decltype(make(std::make_index_sequence<Rank>{}));
};
template <std::size_t Rank, std::size_t E0, std::size_t E1, std::size_t E2, std::size_t E3, std::size_t Channels>
struct shape_from_extents<Rank, E0, E1, E2, E3, true, Channels> {
  using type = sequence<E0, E1 / Channels, Channels>;
};
template <std::size_t Rank, std::size_t E0, std::size_t E1, std::size_t E2, std::size_t E3>
struct shape_from_extents<Rank, E0, E1, E2, E3, true, 0> {
  using type = sequence<E0, E1>;
};
} // namespace detail

/// Shape: a ctnn::shape<...> or ctnn::sequence<...> type.
template <class T>
concept Shape = detail::is_shape<T>::value;

/// The shape<...> type of a rank and extents: shape_of<d.rank, d.extent[0], d.extent[1], ...>
/// (sequence<E0, E1> when Sequence; sequence<E0, E1 / Channels, Channels> with Channels).
template <std::size_t Rank, std::size_t E0 = 0, std::size_t E1 = 0, std::size_t E2 = 0, std::size_t E3 = 0,
          bool Sequence = false, std::size_t Channels = 0>
using shape_of = typename detail::shape_from_extents<Rank, E0, E1, E2, E3, Sequence, Channels>::type;

} // namespace CTNN_NAMESPACE
