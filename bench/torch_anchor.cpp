// libtorch implementation of the anchors: torch::nn::Sequential of Linear/ReLU/Tanh (the MLPs) or
// Conv2d/ReLU/MaxPool2d/Flatten/Linear (mnist_cnn) with the same weights, one intra-op thread.
#include "torch_anchor.hpp"

#include <torch/torch.h>

namespace bench {
namespace {

/// Copies params[at ..] (PyTorch order) into a tensor of t's shape; advances at.
void load(torch::Tensor& t, const std::vector<float>& params, std::size_t& at) {
  torch::NoGradGuard no_grad;
  t.copy_(torch::from_blob(const_cast<float*>(params.data() + at), t.sizes()).clone());
  at += std::size_t(t.numel());
}

class torch_impl final : public torch_model {
public:
  /// seq: the layers, their parameters already loaded; sample: one sample's dimensions.
  torch_impl(torch::nn::Sequential seq, std::vector<std::int64_t> sample, int out, torch_optimizer opt)
      : sample_(std::move(sample)), out_(out), seq_(std::move(seq)) {
    torch::set_num_threads(1);
    if (opt == torch_optimizer::sgd)
      opt_ = std::make_unique<torch::optim::SGD>(seq_->parameters(), torch::optim::SGDOptions(0.01));
    else
      opt_ = std::make_unique<torch::optim::Adam>(seq_->parameters(), torch::optim::AdamOptions(1e-3));
  }

  void infer(const float* x, float* y, int n) override {
    torch::NoGradGuard no_grad;
    const auto out = seq_->forward(input(x, n));
    std::memcpy(y, out.contiguous().data_ptr<float>(), sizeof(float) * std::size_t(n) * std::size_t(out_));
  }

  float train_step(const float* x, const std::int64_t* labels, int n) override {
    opt_->zero_grad();
    const auto logits = seq_->forward(input(x, n));
    auto loss = torch::nn::functional::cross_entropy(
        logits, torch::from_blob(const_cast<std::int64_t*>(labels), {n}, torch::kLong));
    loss.backward();
    opt_->step();
    return loss.item<float>();
  }

private:
  torch::Tensor input(const float* x, int n) const {
    std::vector<std::int64_t> d{n};
    d.insert(d.end(), sample_.begin(), sample_.end());
    return torch::from_blob(const_cast<float*>(x), d);
  }

  std::vector<std::int64_t> sample_;
  int out_;
  torch::nn::Sequential seq_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
};

class torch_recurrent final : public torch_stream_model {
public:
  torch_recurrent(bool lstm, int hidden, const std::vector<float>& params) : lstm_(lstm), hidden_(hidden) {
    torch::set_num_threads(1);
    std::size_t at = 0;
    if (lstm) {
      lstm_cell_ = torch::nn::LSTM(torch::nn::LSTMOptions(1, hidden).batch_first(true));
      for (auto& p : lstm_cell_->parameters()) load(p, params, at);
    } else {
      gru_cell_ = torch::nn::GRU(torch::nn::GRUOptions(1, hidden).batch_first(true));
      for (auto& p : gru_cell_->parameters()) load(p, params, at);
    }
    head_ = torch::nn::Linear(hidden, 1);
    load(head_->weight, params, at);
    load(head_->bias, params, at);
    std::vector<torch::Tensor> all = lstm ? lstm_cell_->parameters() : gru_cell_->parameters();
    for (auto& p : head_->parameters()) all.push_back(p);
    opt_ = std::make_unique<torch::optim::Adam>(all, torch::optim::AdamOptions(1e-3));
    reset(1);
  }
  void reset(int streams) override {
    h_ = torch::zeros({1, streams, hidden_});
    c_ = torch::zeros({1, streams, hidden_});
  }
  void step(const float* x, float* y, int streams) override {
    torch::NoGradGuard no_grad;
    const auto in = torch::from_blob(const_cast<float*>(x), {streams, 1, 1});
    torch::Tensor out;
    if (lstm_) {
      auto r = lstm_cell_->forward(in, std::make_tuple(h_, c_));
      out = std::get<0>(r);
      h_ = std::get<0>(std::get<1>(r));
      c_ = std::get<1>(std::get<1>(r));
    } else {
      auto r = gru_cell_->forward(in, h_);
      out = std::get<0>(r);
      h_ = std::get<1>(r);
    }
    const auto yt = head_->forward(out.reshape({streams, hidden_}));
    std::memcpy(y, yt.contiguous().data_ptr<float>(), sizeof(float) * std::size_t(streams));
  }
  float train_step(const float* x, const float* target, int n, int steps) override {
    opt_->zero_grad();
    const auto in = torch::from_blob(const_cast<float*>(x), {n, steps, 1});
    const auto out = lstm_ ? std::get<0>(lstm_cell_->forward(in)) : std::get<0>(gru_cell_->forward(in));
    const auto pred = head_->forward(out.select(1, steps - 1));
    auto loss = torch::mse_loss(pred, torch::from_blob(const_cast<float*>(target), {n, 1}));
    loss.backward();
    opt_->step();
    return loss.item<float>();
  }

private:
  bool lstm_;
  int hidden_;
  torch::nn::LSTM lstm_cell_{nullptr};
  torch::nn::GRU gru_cell_{nullptr};
  torch::nn::Linear head_{nullptr};
  torch::Tensor h_, c_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
};

} // namespace

std::unique_ptr<torch_stream_model> make_torch_recurrent(bool lstm, int hidden, const std::vector<float>& params,
                                                         std::string&) {
  return std::make_unique<torch_recurrent>(lstm, hidden, params);
}

std::unique_ptr<torch_model> make_torch_model(const spec& s, const std::vector<float>& params, torch_optimizer opt,
                                              std::string&) {
  torch::nn::Sequential seq;
  std::size_t at = 0;
  for (const auto& l : s) {
    auto lin = torch::nn::Linear(l.in, l.out);
    load(lin->weight, params, at);
    load(lin->bias, params, at);
    seq->push_back(lin);
    if (l.activation == act::relu) seq->push_back(torch::nn::ReLU());
    if (l.activation == act::tanh) seq->push_back(torch::nn::Tanh());
  }
  return std::make_unique<torch_impl>(seq, std::vector<std::int64_t>{s.front().in}, s.back().out, opt);
}

std::unique_ptr<torch_model> make_torch_cnn(const std::vector<float>& params, torch_optimizer opt, std::string&) {
  auto conv1 = torch::nn::Conv2d(torch::nn::Conv2dOptions(1, cnn::c1, 3));
  auto conv2 = torch::nn::Conv2d(torch::nn::Conv2dOptions(cnn::c1, cnn::c2, 3));
  auto fc = torch::nn::Linear(cnn::flat, cnn::classes);
  std::size_t at = 0;
  for (auto* t : {&conv1->weight, &conv1->bias, &conv2->weight, &conv2->bias, &fc->weight, &fc->bias})
    load(*t, params, at);
  torch::nn::Sequential seq(conv1, torch::nn::ReLU(), torch::nn::MaxPool2d(2), conv2, torch::nn::ReLU(),
                            torch::nn::MaxPool2d(2), torch::nn::Flatten(), fc);
  return std::make_unique<torch_impl>(seq, std::vector<std::int64_t>{1, cnn::h0, cnn::h0}, cnn::classes, opt);
}

namespace {
/// graph_cnn: conv 3->16 3x3 relu; x + conv(relu(conv(x))), relu; maxpool 2; concat of conv 1x1,
/// conv 1x1 relu conv 3x3, maxpool 3/1/1 conv 1x1; relu; mean over the map; linear 48->10.
class torch_graph final : public torch_model {
public:
  explicit torch_graph(const std::vector<float>& params) {
    torch::set_num_threads(1);
    const std::vector<std::vector<std::int64_t>> shapes = {
        {16, 3, 3, 3},  {16}, {16, 16, 3, 3}, {16}, {16, 16, 3, 3}, {16},                       // stem, residual
        {16, 16, 1, 1}, {16}, {16, 16, 1, 1}, {16}, {16, 16, 3, 3}, {16}, {16, 16, 1, 1}, {16}, // Inception
        {10, 48},       {10}};
    std::size_t at = 0;
    for (const auto& s : shapes) {
      auto t = torch::empty(s);
      load(t, params, at);
      p_.push_back(t);
    }
  }
  void infer(const float* x, float* y, int n) override {
    torch::NoGradGuard no_grad;
    namespace F = torch::nn::functional;
    auto t = torch::from_blob(const_cast<float*>(x), {n, 3, 32, 32});
    t = torch::relu(torch::conv2d(t, p_[0], p_[1], 1, 1));
    const auto r = torch::conv2d(torch::relu(torch::conv2d(t, p_[2], p_[3], 1, 1)), p_[4], p_[5], 1, 1);
    t = torch::max_pool2d(torch::relu(t + r), 2);
    const auto a = torch::conv2d(t, p_[6], p_[7]);
    const auto b = torch::conv2d(torch::relu(torch::conv2d(t, p_[8], p_[9])), p_[10], p_[11], 1, 1);
    const auto c = torch::conv2d(torch::max_pool2d(t, 3, 1, 1), p_[12], p_[13]);
    t = torch::relu(torch::cat({a, b, c}, 1)).mean({2, 3});
    const auto out = torch::linear(t, p_[14], p_[15]);
    std::memcpy(y, out.contiguous().data_ptr<float>(), sizeof(float) * std::size_t(n) * 10);
  }
  float train_step(const float*, const std::int64_t*, int) override { return 0; }

private:
  std::vector<torch::Tensor> p_;
};
} // namespace

std::unique_ptr<torch_model> make_torch_graph(const std::vector<float>& params, std::string&) {
  return std::make_unique<torch_graph>(params);
}

} // namespace bench

namespace bench {
namespace {
class torch_tcn final : public torch_tcn_stream {
public:
  torch_tcn(int channels, const std::vector<int>& dilations, const std::vector<float>& params) : dilations_(dilations) {
    torch::set_num_threads(1);
    std::size_t at = 0;
    auto take = [&](std::vector<std::int64_t> shape) {
      auto t = torch::empty(shape);
      load(t, params, at);
      return t;
    };
    for (std::size_t l = 0; l < dilations.size(); ++l) {
      const int in = l == 0 ? 1 : channels;
      weights_.push_back(take({channels, in, 3}));
      biases_.push_back(take({channels}));
      sizes_.push_back({1, in, 2 * dilations[l] + 1});
    }
    w_out_ = take({1, channels});
    b_out_ = take({1});
    reset();
  }
  void reset() override {
    buffers_.clear();
    for (const auto& s : sizes_) buffers_.push_back(torch::zeros(s));
  }
  float step(float x) override {
    c10::InferenceMode inference; // lighter than NoGradGuard: no version counters, no autograd state
    auto h = torch::full({1, 1, 1}, x);
    for (std::size_t l = 0; l < buffers_.size(); ++l) {
      auto& b = buffers_[l];
      b = torch::cat({b.narrow(2, 1, b.size(2) - 1), h}, 2); // the window slides by one step
      h = torch::tanh(torch::conv1d(b, weights_[l], biases_[l], torch::IntArrayRef{1}, torch::IntArrayRef{0},
                                    torch::IntArrayRef{std::int64_t(dilations_[l])}));
    }
    return torch::linear(h.reshape({1, -1}), w_out_, b_out_).item<float>();
  }

private:
  std::vector<int> dilations_;
  std::vector<torch::Tensor> weights_, biases_, buffers_;
  std::vector<std::vector<std::int64_t>> sizes_;
  torch::Tensor w_out_, b_out_;
};
} // namespace

std::unique_ptr<torch_tcn_stream> make_torch_tcn(int channels, const std::vector<int>& dilations,
                                                 const std::vector<float>& params, std::string&) {
  return std::make_unique<torch_tcn>(channels, dilations, params);
}
} // namespace bench
