// A minimal user program: declare, make, infer.
#include <ctnn/ctnn.hpp>

#include <cmath>
#include <cstdio>

namespace nn = ctnn;
using model = nn::network<nn::input<nn::shape<4>>, nn::dense<8>, nn::relu, nn::dense<2>, nn::softmax>;

int main() {
  const auto net = nn::make<model>(nn::init::he_uniform{}, 1);
  const auto y = net(nn::tensor<float, nn::shape<4>>{1, 2, 3, 4});
  std::printf("consumer: %f %f\n", double(y[0]), double(y[1]));
  return std::abs(y[0] + y[1] - 1.0f) < 1e-5f ? 0 : 1;
}
