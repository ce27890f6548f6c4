// torchvision's resnet18 and mobilenet_v2 in ctnn, as examples/torchvision/export.py exported them
// (see there for the commands): each loads into its generated type, is checked layer by layer
// against PyTorch's activations, and runs one 3x224x224 image (net(x): its activations come from
// the thread's frames, core/frame.hpp).
#include "mobilenet_v2.hpp"
#include "resnet18.hpp"

#include <ctnn/interop/golden.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

template <class Model>
bool check(const std::string& dir, const std::string& name) {
  using net_t = ctnn::net<Model>;
  auto n = std::make_unique<net_t>(); // parameters on the heap (tens of MB)
  ctnn::load(*n, dir + "/" + name + ".ctnn");
  const auto golden = ctnn::read_golden(dir + "/" + name + ".golden");
  const auto report = ctnn::check_layers(*n, golden);
  std::printf("%-13s %s\n", name.c_str(), report.message().c_str());
  auto x = std::make_unique<typename net_t::input_type>();
  const auto in = golden.output(0, 0);
  std::copy(in.begin(), in.end(), x->begin());
  auto y = (*n)(*x);
  std::vector<double> ms;
  for (int i = 0; i < 7; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    y = (*n)(*x);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-13s %zu parameters, %.2f GMAC, peak activation bytes %zu; net(x) %.1f ms per image (median of 7, "
              "one core)\n",
              name.c_str(), std::size_t(Model::param_count), double(Model::macs) * 1e-9,
              std::size_t(net_t::peak_activation_bytes), ms[3]);
  return report.ok();
}

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "build/torchvision";
  const bool ok = check<resnet18::model>(dir, "resnet18") & check<mobilenet_v2::model>(dir, "mobilenet_v2");
  return ok ? 0 : 1;
}
