// What is checked before training: at compile time, that a network can be trained with a loss
// (it has parameters, it does not end in the activation the loss applies) and that a dataset fits
// the network's input and the loss's target (one diagnostic each, dsl/diag.hpp); at run time, that
// a dataset's inputs are finite and its targets are ones the loss takes.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/descriptors.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/train/head_losses.hpp>
#include <ctnn/train/loss.hpp>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE {

namespace detail {
/// reshape<D...> for shape<D...> (the fix a dataset of another shape names).
template <class Shape>
struct reshape_of;
template <std::size_t... D>
struct reshape_of<shape<D...>> {
  using type = reshape<D...>;
};
/// Whether Loss gives one loss per output of Net (check_trainable's diagnostic if not).
/// What to do about a dataset whose inputs are not the network's: when it holds as many values
/// per sample in another shape (and the network has one input), declare its shape and reshape.
template <class NetInput, class DataInput>
constexpr auto fix_for_dataset_input() noexcept {
  if constexpr (DataInput::size == NetInput::size && requires { typename reshape_of<NetInput>::type; })
    return std::type_identity<diag::fix_declare_the_input_as_the_dataset_shape_then_reshape<
        input<DataInput>, typename reshape_of<NetInput>::type>>{};
  else
    return std::type_identity<diag::fix_make_the_dataset_with_the_network_input_shape>{};
}
template <class Net, class Loss>
inline constexpr bool losses_fit_heads = loss_count<Loss> == Net::head_count;

/// (Loss: as the user gives it; loss::heads is bound to the network's heads here.)
template <class Net, class UserLoss, class Dataset>
constexpr auto check_training_data() noexcept {
  using Loss = bound_loss_t<UserLoss, Net>;
  using out = typename Net::output_shape;
  using expected = typename Loss::template expected_target<out>;
  using target = typename Dataset::target_shape;
  if constexpr (!std::is_same_v<typename Dataset::value_type, typename Net::value_type>)
    return std::type_identity<diag::dataset_scalar_mismatch<
        diag::network_scalar<typename Net::value_type>, diag::dataset_scalar<typename Dataset::value_type>,
        diag::fix_make_the_network_and_the_dataset_with_one_scalar_type>>{};
  else if constexpr (!std::is_same_v<typename Dataset::input_shape, typename Net::input_shape>)
    return std::type_identity<diag::dataset_input_mismatch<
        diag::network_input<typename Net::input_shape>, diag::dataset_input<typename Dataset::input_shape>,
        typename decltype(fix_for_dataset_input<typename Net::input_shape, typename Dataset::input_shape>())::type>>{};
  else if constexpr (!std::is_same_v<expected, target> && Net::model::valid && // (else: the network's one error
                     losses_fit_heads<Net, UserLoss>)                          // or check_trainable's)
    return std::type_identity<diag::loss_target_mismatch<
        Loss, diag::network_output<out>, diag::target<target>, diag::expects<expected>,
        std::conditional_t<std::is_base_of_v<loss::detail::class_index_target, Loss> && std::is_same_v<target, out>,
                           diag::fix_give_each_sample_its_class_index_as_a_shape_1_target,
                           std::conditional_t<out::dims.sequence && !target::dims.sequence, // a per-step output, a
                                                                                            // vector target
                                              diag::fix_insert_last_before_the_layers_that_predict_once_per_sequence,
                                              diag::fix_make_the_targets_the_expected_shape>>>>{};
  else
    return std::type_identity<diag::no_error>{};
}
template <class Loss>
concept applies_activation = requires {
  typename Loss::applies;
};

/// A loss that applies the activation Final (softmax before cross-entropy) is an error.
template <class Loss, class Index, class Final>
constexpr auto check_final_activation() noexcept {
  if constexpr (applies_activation<Loss>) {
    if constexpr (std::is_same_v<Final, typename Loss::applies>)
      return std::type_identity<
          diag::loss_applies_the_final_activation<Loss, Index, diag::final_layer<Final>, typename Loss::fix_applies>>{};
    else
      return std::type_identity<diag::no_error>{};
  } else {
    return std::type_identity<diag::no_error>{};
  }
}
/// The first of the diagnoses Ds that is an error, or no_error.
template <class... Ds>
constexpr auto first_error(type_list<Ds...>) noexcept {
  constexpr bool ok[] = {Ds::ok..., false};
  constexpr std::size_t i = [&] {
    std::size_t k = 0;
    while (k < sizeof...(Ds) && ok[k]) ++k;
    return k;
  }();
  if constexpr (i == sizeof...(Ds))
    return std::type_identity<diag::no_error>{};
  else
    return std::type_identity<type_at<i, Ds...>>{};
}
/// check_final_activation for head H's loss and the last layer of head H (none when the head is
/// the trunk's output itself), named inside the heads at layer Last.
template <class HeadLoss, std::size_t Last, std::size_t H, class Head>
constexpr auto check_head() noexcept {
  if constexpr (Head::layer_count < 2)
    return std::type_identity<diag::no_error>{};
  else
    return check_final_activation<
        HeadLoss,
        diag::in_block<diag::layer_index<Last>,
                       diag::in_branch<diag::branch_index<H>, diag::inner_index<Head::layer_count - 2>>>,
        typename Head::template layer<Head::layer_count - 1>>();
}
template <class Loss, std::size_t Last, class... Heads>
constexpr auto check_each_head(type_list<Heads...>) noexcept {
  return []<std::size_t... H>(std::index_sequence<H...>) {
    return first_error(type_list<typename decltype(check_head<std::tuple_element_t<H, decltype(Loss{}.losses)>, Last, H,
                                                              Heads>())::type...>{});
  }
  (std::index_sequence_for<Heads...>{});
}

/// Whether Net can be trained with Loss at all: it has parameters, and does not end in the
/// activation the loss applies itself (softmax before cross-entropy would be applied twice, and
/// PyTorch trains such a model without a word).
template <class Net, class Loss>
constexpr auto check_trainable() noexcept {
  using model = typename Net::model;
  constexpr std::size_t last = model::layer_count - 1;
  using final = typename model::template layer<last>;
  if constexpr (!model::valid) // the network's own diagnostic is the one error
    return std::type_identity<diag::no_error>{};
  else if constexpr (Net::param_count == 0)
    return std::type_identity<diag::network_has_no_parameters<diag::network_input<typename Net::input_shape>,
                                                              diag::fix_add_a_layer_with_parameters_such_as_dense>>{};
  else if constexpr (!losses_fit_heads<Net, Loss>)
    return std::type_identity<
        diag::head_count_differs_from_loss_count<diag::head_count<Net::head_count>, diag::loss_count<loss_count<Loss>>,
                                                 diag::fix_give_loss_heads_one_loss_per_head_in_order>>{};
  else if constexpr (per_head_loss<bound_loss_t<Loss, Net>>) {
    // each head's loss against the last layer of its head (heads<...>'s inner networks)
    using heads = typename final::template inner_networks<typename model::template input_of<last>>;
    return check_each_head<Loss, last>(heads{});
  } else {
    return check_final_activation<Loss, diag::layer_index<last>, final>();
  }
}

/// Whether Dataset fits Net's input and Loss's target. Holds the one static_assert for a misfit
/// (instantiated once per Dataset, however many functions use it).
template <class Net, class Loss, class Dataset>
constexpr bool dataset_fits() noexcept {
  using diagnosis = typename decltype(check_training_data<Net, Loss, Dataset>())::type;
  static_assert(diagnosis::ok, "ctnn: trainer: the dataset does not fit the network and the loss; the "
                               "failed condition names the shapes");
  return diagnosis::ok;
}

/// Throws std::invalid_argument, naming the sample, for an empty dataset, a non-finite input or a
/// target Loss cannot take: what train, resume and evaluate check before anything runs. `caller`
/// names the function ("train"), `which` the dataset ("training", "validation").
template <class Net, class UserLoss, class Dataset>
void validate_dataset(const Dataset& data, const char* caller, const char* which) {
  using T = typename Net::value_type;
  using Loss = bound_loss_t<UserLoss, Net>;
  const std::string who = std::string("ctnn::trainer::") + caller + ": ";
  if (data.empty()) throw std::invalid_argument(who + "the " + which + " dataset is empty");
  for (std::size_t i = 0; i < data.size(); ++i) {
    const T* x = data.input(i);
    for (std::size_t k = 0; k < Dataset::input_size; ++k)
      if (!std::isfinite(x[k]))
        throw std::invalid_argument(who + which + " sample " + std::to_string(i) + " has a non-finite input (" +
                                    std::to_string(double(x[k])) + " at element " + std::to_string(k) + ")");
  }
  for (std::size_t i = 0; i < data.size(); ++i)
    if (!Loss::template valid_target<T>(data.target(i), Net::output_size))
      throw std::invalid_argument(who + which + " sample " + std::to_string(i) + " has a target that " + Loss::name() +
                                  " cannot take (value " + std::to_string(double(data.target(i)[0])) + ")");
}
} // namespace detail

} // namespace CTNN_NAMESPACE
