// Shape rules of every layer and of whole networks, checked at compile time.
#include <ctnn/dsl/network.hpp>

#include <type_traits>

namespace {
using namespace ctnn;

// shape<>
static_assert(shape<3, 32, 32>::rank == 3 && shape<3, 32, 32>::size == 3072);
static_assert(shape<7>::dims == dims{1, {7}});
static_assert(std::is_same_v<shape_of<2, 4, 5>, shape<4, 5>>);
// sequences of frames: steps of Features x Channels values, the channels kept beside them
static_assert(sequence<10, 6, 2>::features == 12 && sequence<10, 6, 2>::size == 120);
static_assert(sequence<10, 6, 2>::dims.frame_features() == 6 && sequence<10, 6>::dims.channels == 0);
using frames = sequence<10, 6, 2>;
using steps = sequence<10, 6>;
static_assert(std::is_same_v<CTNN_SHAPE_OF(frames::dims), frames>);
static_assert(std::is_same_v<CTNN_SHAPE_OF(steps::dims), steps>);
static_assert(conv2d<3, kernel<3>, causal, stride<1, 2>, padding<0, 1>>::infer(sequence<10, 6, 2>::dims).out ==
              sequence<10, 3, 3>::dims);
static_assert(conv2d<3, kernel<3>>::infer(sequence<10, 12>::dims).error != 0);      // which frames? not said
static_assert(conv2d<3, kernel<3>, causal>::infer(dims{3, {2, 10, 6}}).error != 0); // causal: over time only
static_assert(batch_norm::infer(sequence<10, 6, 2>::dims).out == sequence<10, 6, 2>::dims);
static_assert(batch_norm::infer(sequence<10, 12>::dims).error == batch_norm::receives_a_sequence);
// frames as one of several inputs keep their frames
static_assert(std::is_same_v<network<inputs<shape<3>, sequence<6, 4, 2>>, from<1>, conv2d<3, kernel<1>>>::output_shape,
                             sequence<6, 4, 3>>);
// branches over frames joined by concat: flat steps (which frame would they be?)
static_assert(std::is_same_v<network<input<sequence<6, 4, 2>>,
                                     parallel<concat, branch<conv2d<3, kernel<1>>>, branch<relu>>>::output_shape,
                             sequence<6, 20>>);

// single-layer rules
static_assert(dense<16>::infer(dims{1, {8}}).out == dims{1, {16}});
static_assert(dense<16>::infer(dims{3, {1, 28, 28}}).error == dense<16>::expects_rank_1);
static_assert(dense<0>::infer(dims{1, {8}}).error == dense<0>::zero_units);
static_assert(flatten::infer(dims{3, {1, 28, 28}}).out == dims{1, {784}});
static_assert(relu::infer(dims{2, {3, 4}}).out == dims{2, {3, 4}});
static_assert(input<shape<0>>::infer(dims{}).error == input<shape<0>>::empty_shape);
static_assert(reshape<4, 7>::infer(dims{1, {28}}).out == dims{2, {4, 7}});
static_assert(reshape<4, 6>::infer(dims{1, {28}}).error == reshape<4, 6>::size_differs);
static_assert(LayerDescriptor<dense<4>> && LayerDescriptor<gelu> && LayerDescriptor<leaky_relu>);
static_assert(!LayerDescriptor<int> && !LayerDescriptor<shape<3>>);

// a whole network: shapes flow left to right
using mlp = network<input<shape<32>>, dense<64>, relu, dense<64>, relu, dense<1>>;
static_assert(mlp::valid);
static_assert(std::is_same_v<mlp::input_shape, shape<32>>);
static_assert(std::is_same_v<mlp::output_shape, shape<1>>);
static_assert(mlp::layer_output(1) == dims{1, {64}} && mlp::layer_output(5) == dims{1, {1}});
static_assert(std::is_same_v<mlp::layer<2>, relu>);

using image = network<input<shape<28, 28, 1>>, flatten, dense<10>, softmax>;
static_assert(image::valid && std::is_same_v<image::output_shape, shape<10>>);
static_assert(image::layer_output(1) == dims{1, {784}});

// lowering: each dense absorbs the activation that follows it; other activations stand alone
static_assert(mlp::stage_count == 3);
static_assert(mlp::stages[0].layer == 1 && mlp::stages[0].activation == 2);
static_assert(mlp::stages[2].layer == 5 && mlp::stages[2].activation == detail::npos);
using twice = network<input<shape<4>>, ctnn::tanh, dense<3>, relu, sigmoid>;
static_assert(twice::stage_count == 3);
static_assert(twice::stages[0].layer == 1 && twice::stages[0].activation == detail::npos);
static_assert(twice::stages[1].layer == 2 && twice::stages[1].activation == 3);
static_assert(twice::stages[2].layer == 4 && twice::stages[2].activation == detail::npos);
// views make no stage, and an activation after a view is not fused across it
using viewed = network<input<shape<2, 3>>, flatten, relu, dense<4>, reshape<2, 2>, ctnn::tanh>;
static_assert(viewed::valid && viewed::stage_count == 3);
static_assert(viewed::stages[0].layer == 2 && viewed::stages[1].layer == 3 &&
              viewed::stages[1].activation == detail::npos);
static_assert(std::is_same_v<viewed::output_shape, shape<2, 2>>);

// ill-formed networks are reported by the diagnosis type (compile_fail/ checks the message)
static_assert(std::is_same_v<typename decltype(detail::diagnose<input<shape<2, 2>>, dense<3>>())::type,
                             diag::layer_rejects_input_shape<diag::layer_index<1>, dense<3>,
                                                             diag::expects<diag::rank<1>>, diag::receives<shape<2, 2>>,
                                                             diag::fix_insert_flatten_before_this_layer>>);
static_assert(detail::analyze<input<shape<4>>, dense<3>, dense<0>, dense<2>>().failing == 2);
static_assert(
    std::is_same_v<typename decltype(detail::diagnose<input<shape<6>>, reshape<4, 2>>())::type,
                   diag::layer_rejects_input_shape<diag::layer_index<1>, reshape<4, 2>, diag::expects<diag::size<8>>,
                                                   diag::receives<shape<6>>, diag::fix_reshape_to_as_many_elements>>);
} // namespace
