// Built where oneDNN (libdnnl-dev) was not found: the oneDNN columns are reported as skipped.
#include "onednn_anchor.hpp"
#include "onednn_int8.hpp"

namespace bench {
std::unique_ptr<onednn_model> make_onednn_cnn(const std::vector<float>&, int, std::string& why) {
  why = "oneDNN not found at build time (install libdnnl-dev)";
  return nullptr;
}
std::unique_ptr<onednn_model> make_onednn_graph(const std::vector<float>& p, int batch, std::string& why) {
  return make_onednn_cnn(p, batch, why);
}
std::unique_ptr<onednn_model> make_onednn_int8(const int8_network&, int batch, std::string& why) {
  return make_onednn_cnn({}, batch, why);
}
} // namespace bench
