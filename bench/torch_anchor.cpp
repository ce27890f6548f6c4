// libtorch implementation of the anchor: torch::nn::Sequential of Linear/ReLU/Tanh with the same
// weights, one intra-op thread.
#include "torch_anchor.hpp"

#include <torch/torch.h>

namespace bench {
namespace {

class torch_impl final : public torch_model {
public:
  torch_impl(const spec& s, const std::vector<float>& params, torch_optimizer opt)
      : in_(s.front().in), out_(s.back().out) {
    torch::set_num_threads(1);
    std::size_t at = 0;
    for (const auto& l : s) {
      auto lin = torch::nn::Linear(l.in, l.out);
      torch::NoGradGuard no_grad;
      lin->weight.copy_(torch::from_blob(const_cast<float*>(params.data() + at), {l.out, l.in}).clone());
      at += std::size_t(l.in) * l.out;
      lin->bias.copy_(torch::from_blob(const_cast<float*>(params.data() + at), {l.out}).clone());
      at += std::size_t(l.out);
      seq_->push_back(lin);
      if (l.activation == act::relu) seq_->push_back(torch::nn::ReLU());
      if (l.activation == act::tanh) seq_->push_back(torch::nn::Tanh());
    }
    if (opt == torch_optimizer::sgd)
      opt_ = std::make_unique<torch::optim::SGD>(seq_->parameters(), torch::optim::SGDOptions(0.01));
    else
      opt_ = std::make_unique<torch::optim::Adam>(seq_->parameters(), torch::optim::AdamOptions(1e-3));
  }

  void infer(const float* x, float* y, int n) override {
    torch::NoGradGuard no_grad;
    const auto out = seq_->forward(torch::from_blob(const_cast<float*>(x), {n, in_}));
    std::memcpy(y, out.data_ptr<float>(), sizeof(float) * std::size_t(n) * std::size_t(out_));
  }

  float train_step(const float* x, const std::int64_t* labels, int n) override {
    opt_->zero_grad();
    const auto logits = seq_->forward(torch::from_blob(const_cast<float*>(x), {n, in_}));
    auto loss = torch::nn::functional::cross_entropy(
        logits, torch::from_blob(const_cast<std::int64_t*>(labels), {n}, torch::kLong));
    loss.backward();
    opt_->step();
    return loss.item<float>();
  }

private:
  int in_, out_;
  torch::nn::Sequential seq_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
};

} // namespace

std::unique_ptr<torch_model> make_torch_model(const spec& s, const std::vector<float>& params, torch_optimizer opt,
                                              std::string&) {
  return std::make_unique<torch_impl>(s, params, opt);
}

} // namespace bench
