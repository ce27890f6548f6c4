// Moving parameters between chain<Encoder, Decoder> (dsl/chain.hpp) and its two halves: train an
// autoencoder as one network, then deploy its encoder and its decoder apart, or join halves
// trained apart. The chain's values (export_parameters) are the encoder's, then the decoder's.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/chain.hpp>
#include <ctnn/runtime/network.hpp>

#include <span>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {

/// The encoder and the decoder of a trained chain<Encoder, Decoder>, with its parameters.
template <class Encoder, class Decoder, class T>
std::pair<net<Encoder, T>, net<Decoder, T>> split_chain(const net<chain<Encoder, Decoder>, T>& whole) {
  static_assert(net<Encoder, T>::value_count + net<Decoder, T>::value_count ==
                net<chain<Encoder, Decoder>, T>::value_count);
  const std::vector<T> v = whole.export_parameters();
  constexpr std::size_t e = net<Encoder, T>::value_count;
  return {net<Encoder, T>(std::span<const T>(v.data(), e)),
          net<Decoder, T>(std::span<const T>(v.data() + e, v.size() - e))};
}

/// The chain<Encoder, Decoder> of an encoder and a decoder, with their parameters.
template <class Encoder, class Decoder, class T>
net<chain<Encoder, Decoder>, T> join_chain(const net<Encoder, T>& encoder, const net<Decoder, T>& decoder) {
  std::vector<T> v = encoder.export_parameters();
  const std::vector<T> d = decoder.export_parameters();
  v.insert(v.end(), d.begin(), d.end());
  return net<chain<Encoder, Decoder>, T>(std::span<const T>(v));
}

} // namespace CTNN_NAMESPACE
