// expect: embedded_int8_sums_could_overflow<ctnn::diag::layer_index<3>, ctnn::dense<1>, ctnn::diag::worst_case_sum<2147500129>
// An int8 network embedded as constexpr values (a header written by ctnn::write_embedded, edited
// here by hand): its last layer's bias plus 127 times its weights could overflow the int32 sums.
// make_embedded proves every stage from the values at compile time: one error naming the layer
// and its worst-case sum, when the network is also used as a program uses it.
#include "program.hpp" // and the network used as a program uses it: still one error

#include <ctnn/interop/embedded_int8.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<2>, ctnn::relu, ctnn::dense<1>>;

#ifdef CTNN_PASSING_TWIN
constexpr double bias = 2147000000;
#else
constexpr double bias = 2147467871; // + 127 x 127 x 2 = 2,147,500,129 > 2,147,483,647
#endif

// input scale, zero; dense<2>: weights [2][2], biases, scales, out zero, in zero; dense<1>: the same
inline constexpr ctnn::embedded_parameters<ctnn::quantized<model>, double, 18> weights{
    {0.01, 0, 127, -127, 64, 32, 100, -100, 0.5, 0.5, 3, 0, 127, -127, bias, 0.001, 0, 3}};

int main() {
  const int used = program::use<model, ctnn::shape<2>, ctnn::shape<1>>();
  const auto q = ctnn::make_embedded<weights>();
  return used + static_cast<int>(q(ctnn::tensor<float, ctnn::shape<2>>{})[0]);
}
