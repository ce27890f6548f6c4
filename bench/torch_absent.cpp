// Built instead of torch_anchor.cpp when CMake finds no libtorch: the anchor reports its absence.
#include "torch_anchor.hpp"

namespace bench {
std::unique_ptr<torch_model> make_torch_model(const spec&, const std::vector<float>&, torch_optimizer,
                                              std::string& why) {
  why = "libtorch not found at configure time (Debian: apt-get install libtorch-dev): libtorch columns skipped";
  return nullptr;
}
std::unique_ptr<torch_model> make_torch_cnn(const std::vector<float>& p, torch_optimizer opt, std::string& why) {
  return make_torch_model({}, p, opt, why);
}
std::unique_ptr<torch_model> make_torch_graph(const std::vector<float>& p, std::string& why) {
  return make_torch_model({}, p, torch_optimizer::sgd, why);
}
std::unique_ptr<torch_stream_model> make_torch_recurrent(bool, int, const std::vector<float>& p, std::string& why) {
  make_torch_model({}, p, torch_optimizer::sgd, why);
  return nullptr;
}
std::unique_ptr<torch_tcn_stream> make_torch_tcn(int, const std::vector<int>&, const std::vector<float>& p,
                                                 std::string& why) {
  make_torch_model({}, p, torch_optimizer::sgd, why);
  return nullptr;
}
} // namespace bench
