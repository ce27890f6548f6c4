// expect: net::layer<I>\(\): layer I has no parameters \(layers such as dense and conv2d have\)
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<2>, ctnn::relu>;

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
#ifdef CTNN_PASSING_TWIN
  return static_cast<int>(net.layer<1>().weight(0, 0) > 1.0f);
#else
  return static_cast<int>(net.layer<2>().weight(0, 0) > 1.0f);
#endif
}
