// Built where oneDNN (libdnnl-dev) was not found: the oneDNN columns are reported as skipped.
#include "onednn_anchor.hpp"

namespace bench {
std::unique_ptr<onednn_model> make_onednn_cnn(const std::vector<float>&, int, std::string& why) {
  why = "oneDNN not found at build time (install libdnnl-dev)";
  return nullptr;
}
} // namespace bench
