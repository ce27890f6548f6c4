// Generative adversarial training: a generator G (noise -> sample) and a discriminator D
// (sample -> one logit), two typed networks trained against each other. D learns to tell real
// samples from G's; G learns through D's input gradient, D's weights fixed (net::backward_input),
// with the non-saturating loss -log sigmoid(D(G(z))). Each has its own optimizer. And the
// measure of a generator on a mixture of Gaussians: which modes its samples cover.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/runtime/network.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/trainer.hpp>
#include <ctnn/train/update.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace CTNN_NAMESPACE {

/// gan_trainer's settings.
struct gan_options {
  std::size_t batch = 64;  ///< real samples per discriminator step, generated ones per step
  std::size_t d_steps = 1; ///< discriminator steps per generator step (k)
  std::uint64_t seed = 0;  ///< the noise (z ~ N(0, 1)) and the choice of real samples
};

/// What one round (k discriminator steps, one generator step) did.
struct gan_round {
  double d_loss = 0; ///< the discriminator's BCE on its last batch (real and generated, averaged)
  double g_loss = 0; ///< the generator's non-saturating loss, mean of -log sigmoid(D(G(z)))
  double d_fake = 0; ///< mean sigmoid(D(G(z))) in the generator step: 0.5 when D is fooled half the time
  /// Whether every step of the round was applied: false if a loss or gradient of a discriminator
  /// step or of the generator step was not finite. That step updated nothing; the others did
  /// (see discriminator_applied and generator_applied).
  bool applied = true;
  bool discriminator_applied = true; ///< every discriminator step was applied
  bool generator_applied = true;     ///< the generator step was applied (G's weights moved)
};

namespace detail {
template <class G, class D>
constexpr auto check_gan() noexcept {
  using g_out = typename G::output_shape;
  using d_in = typename D::input_shape;
  if constexpr (!(g_out::dims == d_in::dims))
    return std::type_identity<diag::generator_output_is_not_discriminator_input<
        diag::generator_output<g_out>, diag::discriminator_input<d_in>,
        diag::fix_end_the_generator_with_the_discriminators_input_shape>>{};
  else if constexpr (D::output_size != 1)
    return std::type_identity<diag::discriminator_output_is_not_one_logit<
        diag::discriminator_output<typename D::output_shape>, diag::fix_end_the_discriminator_with_dense_1>>{};
  else
    return std::type_identity<diag::no_error>{};
}
} // namespace detail

/// Trains generator g and discriminator d (ctnn::net objects) against each other:
///
///   ctnn::gan_trainer gan{g, d, ctnn::optim::adam{.lr = 1e-3, .beta1 = 0.5},
///                         ctnn::optim::adam{.lr = 1e-3, .beta1 = 0.5}, {.batch = 128, .seed = 1}};
///   for (int r = 0; r < 2000; ++r) gan.round(real_samples);
///
/// G's output shape must be D's input shape and D must end in one logit (no sigmoid): a compile
/// error names the shapes otherwise. Every buffer is allocated by the constructor: rounds do not
/// allocate. The discriminator trains through a ctnn::trainer (BCE with logits, targets 1 for
/// real and 0 for generated samples), with its guards: a non-finite loss or gradient updates
/// nothing.
template <class G, class D, class GOptim, class DOptim>
class gan_trainer {
  using checked = typename diag::pairing_report<typename decltype(detail::check_gan<G, D>())::type>::type;

public:
  using T = typename G::value_type;
  static_assert(std::is_same_v<T, typename D::value_type>, "gan_trainer: G and D have one scalar type");
  static constexpr std::size_t noise_size = G::input_size, sample_size = D::input_size;

  gan_trainer(G& generator, D& discriminator, GOptim g_optimizer, DOptim d_optimizer, gan_options options = {})
      : g_(&generator), d_(&discriminator), options_(checked_options(options)),
        d_fit_(discriminator, loss::bce_with_logits{}, d_optimizer), g_update_(generator, g_optimizer),
        gen_(options.seed), g_ws_(generator.make_workspace(options.batch)),
        d_ws_(discriminator.make_workspace(options.batch)), g_grads_(G::param_size), noise_(options.batch * noise_size),
        fake_(options.batch * sample_size), dfake_(options.batch * sample_size), ones_(options.batch, T(1)) {
    d_fit_.reserve(2 * options.batch, 1);
    for (std::size_t r = 0; r < 2 * options.batch; ++r) d_fit_.targets()[r] = r < options.batch ? T(1) : T(0);
    // warm-up: the first backward_input allocates its scratch here, not in a round
    g_->forward_train(g_ws_, noise_.data(), 1);
    d_->forward_train(d_ws_, fake_.data(), 1);
    d_->backward_input(d_ws_, fake_.data(), 1, dfake_.data());
  }

  const gan_options& options() const noexcept { return options_; }
  /// The discriminator's trainer (its optimizer settings, steps).
  auto& discriminator_trainer() noexcept { return d_fit_; }
  GOptim& generator_optimizer() noexcept { return g_update_.optimizer(); }
  /// The generator's update (train/update.hpp), with the guards of a trainer's: clipping
  /// (set_clip_grad_norm, set_clip_grad_value) and penalties (set_regularization) apply to its
  /// steps, and an update that would overflow a weight is rolled back.
  detail::guarded_update<G, GOptim>& generator_update() noexcept { return g_update_; }
  std::int64_t generator_steps() const noexcept { return g_update_.steps(); }

  /// One round on real samples chosen at random (seeded) from `data`: rows of sample_size
  /// values. Throws std::invalid_argument if data is empty or not whole rows.
  gan_round round(std::span<const T> data) {
    if (data.empty() || data.size() % sample_size != 0)
      throw std::invalid_argument("ctnn::gan_trainer::round: the real data must be whole samples of " +
                                  std::to_string(sample_size) + " values, got " + std::to_string(data.size()));
    const std::size_t rows = data.size() / sample_size;
    gan_round out;
    for (std::size_t k = 0; k < options_.d_steps; ++k) {
      T* in = d_fit_.work().input();
      for (std::size_t r = 0; r < options_.batch; ++r)
        std::copy_n(data.data() + gen_.below(rows) * sample_size, sample_size, in + r * sample_size);
      generate(in + options_.batch * sample_size);
      const auto s = d_fit_.step(2 * options_.batch);
      out.d_loss = double(s.loss);
      out.discriminator_applied = out.discriminator_applied && s.applied();
    }
    generator_step(out);
    out.applied = out.discriminator_applied && out.generator_applied;
    return out;
  }

  /// n samples of G for fresh noise (inference: dropout off, batch_norm's running statistics),
  /// n rows of sample_size values. Allocates the result.
  std::vector<T> sample(std::size_t n) {
    std::vector<T> out(n * sample_size);
    auto ws = g_->make_workspace(std::max<std::size_t>(n, 1));
    std::vector<T> z(n * noise_size);
    for (auto& v : z) v = T(gen_.normal());
    g_->predict(ws, z.data(), out.data(), n);
    return out;
  }

private:
  static gan_options checked_options(const gan_options& o) {
    if (o.batch == 0 || o.d_steps == 0)
      throw std::invalid_argument("ctnn::gan_trainer: batch and d_steps must be at least 1");
    return o;
  }

  /// batch generated samples (G in training mode, as in its own step) into `out`, compact rows.
  void generate(T* out) noexcept {
    for (auto& v : noise_) v = T(gen_.normal());
    const T* y = g_->forward_train(g_ws_, noise_.data(), options_.batch);
    for (std::size_t r = 0; r < options_.batch; ++r)
      std::copy_n(y + r * G::output_stride, sample_size, out + r * sample_size);
  }

  /// G's step through D: loss -log sigmoid(D(G(z))) = BCE with target 1; D's input gradient
  /// becomes G's output gradient; D's weights stay as they are.
  void generator_step(gan_round& out) noexcept {
    const std::size_t n = options_.batch;
    generate(fake_.data());
    const T* logits = d_->forward_train(d_ws_, fake_.data(), n);
    const T l = loss::bce_with_logits::value_and_gradient(logits, D::output_stride, ones_.data(), 1,
                                                          d_ws_.output_gradient(), n);
    double fooled = 0;
    for (std::size_t r = 0; r < n; ++r) fooled += 1 / (1 + std::exp(-double(logits[r * D::output_stride])));
    out.g_loss = double(l);
    out.d_fake = fooled / double(n);
    if (!std::isfinite(l)) {
      out.generator_applied = false;
      return;
    }
    d_->backward_input(d_ws_, fake_.data(), n, dfake_.data());
    T* dy = g_ws_.output_gradient();
    for (std::size_t r = 0; r < n; ++r) {
      std::copy_n(dfake_.data() + r * sample_size, sample_size, dy + r * G::output_stride);
      std::fill(dy + r * G::output_stride + sample_size, dy + (r + 1) * G::output_stride, T(0));
    }
    g_->backward(g_ws_, noise_.data(), n, g_grads_.data(), kernels::store_mode::overwrite);
    // the trainer's update: penalties, clipping, and nothing changed unless the gradients are
    // finite and the update leaves every weight finite
    const auto o = g_update_.apply(g_grads_.data());
    out.g_loss += o.penalty;
    if (!o.finite_gradients || !o.finite_update) {
      out.generator_applied = false;
      return;
    }
    g_->update_buffers(g_ws_, n);
  }

  G* g_;
  D* d_;
  gan_options options_;
  trainer<D, loss::bce_with_logits, DOptim> d_fit_;
  detail::guarded_update<G, GOptim> g_update_;
  rng gen_;
  workspace<T> g_ws_, d_ws_;
  aligned_buffer<T> g_grads_;
  std::vector<T> noise_, fake_, dfake_, ones_;
};

/// How a generator's samples cover the modes of a mixture of Gaussians of one standard
/// deviation (e.g. 8 on a ring): a sample belongs to the nearest centre when it lies within
/// `within` standard deviations of it (3: "high-quality"); a mode is covered when at least
/// `min_share` of all samples belong to it.
struct mode_coverage {
  std::size_t covered = 0;           ///< modes covered
  std::size_t modes = 0;             ///< modes in the mixture
  double high_quality = 0;           ///< share of samples within `within` std of some centre
  std::vector<std::size_t> counts{}; ///< samples belonging to each mode
};

/// points: n 2-D samples (x0, y0, x1, y1, ...); centres likewise.
template <class T>
mode_coverage measure_modes(std::span<const T> points, std::span<const double> centres, double std_dev,
                            double within = 3, double min_share = 0.01) {
  if (points.size() % 2 != 0 || centres.size() % 2 != 0 || centres.empty())
    throw std::invalid_argument("ctnn::measure_modes: points and centres are (x, y) pairs, and there is a centre");
  mode_coverage m;
  m.modes = centres.size() / 2;
  m.counts.assign(m.modes, 0);
  const std::size_t n = points.size() / 2;
  const double r2 = within * std_dev * within * std_dev;
  std::size_t good = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t best = 0;
    double best_d2 = INFINITY;
    for (std::size_t c = 0; c < m.modes; ++c) {
      const double dx = double(points[2 * i]) - centres[2 * c], dy = double(points[2 * i + 1]) - centres[2 * c + 1];
      const double d2 = dx * dx + dy * dy;
      if (d2 < best_d2) {
        best_d2 = d2;
        best = c;
      }
    }
    if (best_d2 <= r2) {
      ++good;
      ++m.counts[best];
    }
  }
  for (std::size_t c = 0; c < m.modes; ++c)
    m.covered += double(m.counts[c]) >= min_share * double(n) && m.counts[c] > 0;
  m.high_quality = n ? double(good) / double(n) : 0;
  return m;
}

/// The centres of k Gaussians evenly on a circle of `radius` (the first at angle 0).
inline std::vector<double> ring_centres(std::size_t k, double radius) {
  std::vector<double> c(2 * k);
  for (std::size_t i = 0; i < k; ++i) {
    const double a = 2 * 3.14159265358979323846 * double(i) / double(k);
    c[2 * i] = radius * std::cos(a);
    c[2 * i + 1] = radius * std::sin(a);
  }
  return c;
}

} // namespace CTNN_NAMESPACE
