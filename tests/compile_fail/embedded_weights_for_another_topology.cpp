// expect: embedded_weights_for_another_topology<ctnn::diag::layer_index<2> ?, ctnn::diag::network_layer<ctnn::tanh> ?, ctnn::diag::weights_layer<ctnn::relu> ?>
#include <ctnn/ctnn.hpp>
#include <ctnn/interop/embedded.hpp>

// As an exporter-generated NAME_weights.hpp holds them: the topology beside the data.
inline constexpr ctnn::embedded_parameters<
    ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<2>, ctnn::relu, ctnn::dense<1>>, float, 9>
    embedded_weights{{0x1p-1f, -0x1p-2f, 0x1p-3f, 0x1p-1f, 0.f, 0.f, 0x1p0f, 0x1p-1f, 0.f}};

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<2>, ctnn::relu, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<2>, ctnn::tanh, ctnn::dense<1>>;
#endif

int main() {
  auto net = ctnn::make<model>(embedded_weights);
  return net(ctnn::tensor<float, ctnn::shape<2>>{1.f, 2.f})[0] > 0 ? 0 : 1;
}
