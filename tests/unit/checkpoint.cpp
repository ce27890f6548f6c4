// Checkpoints: a run interrupted after some epochs and resumed from its checkpoint, by a new
// trainer on a new network, ends bit-identical to the uninterrupted run (weights, history, early
// stopping), with Adam, a cosine schedule, dropout masks and shuffling all in play; a checkpoint
// for another topology, optimizer or dataset, or a damaged one, is refused naming what differs,
// with nothing changed.
#define BOOST_TEST_MODULE checkpoint
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

namespace {
using model = nn::network<nn::input<nn::shape<4>>, nn::dense<32>, nn::relu, nn::dropout<1, 5>, nn::dense<3>>;
using data_t = nn::dataset<float, nn::shape<4>, nn::shape<1>>;

data_t make_data(std::size_t n, std::uint64_t seed) {
  data_t d;
  nn::rng g(seed);
  for (std::size_t i = 0; i < n; ++i) {
    nn::tensor<float, nn::shape<4>> x;
    for (auto& v : x) v = float(g.uniform(-1, 1));
    d.push_back(x, {float((x[0] + x[1] > 0) + (x[2] > 0.5f))});
  }
  return d;
}
std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ctnn-ckpt-" + std::to_string(::getpid()) + "-" + name)).string();
}
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const nn::file_error& e) {
    return e.what();
  }
  return "(no error)";
}

struct run_result {
  std::vector<float> weights;
  nn::train_report report;
};

nn::train_options<data_t> options(const data_t& val, const std::string& ckpt, std::size_t patience = 0) {
  return {.epochs = 12,
          .batch = 16,
          .validation = val,
          .early_stopping = {.patience = patience},
          .seed = 3,
          .schedule = nn::schedule::cosine{.t_max = 12, .warmup = 2},
          .log = nullptr,
          .checkpoint = {.path = ckpt}};
}
} // namespace

BOOST_AUTO_TEST_CASE(interrupted_and_resumed_equals_uninterrupted) {
  const auto train = make_data(200, 1), val = make_data(50, 2);
  for (std::size_t patience : {std::size_t(0), std::size_t(3)}) {
    // uninterrupted
    auto a = nn::make<model>(nn::init::pytorch_default{}, 7);
    nn::trainer fa{a, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 5e-3}};
    const auto whole = fa.train(train, options(val, temp("whole.ckpt"), patience));

    // interrupted after epoch 5 (on_epoch returns false), then resumed by a new trainer and network
    const auto path = temp("part.ckpt");
    auto b = nn::make<model>(nn::init::pytorch_default{}, 7);
    {
      nn::trainer fb{b, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 5e-3}};
      auto opts = options(val, path, patience);
      opts.on_epoch = [](const nn::epoch_record& e) { return e.epoch < 5; };
      const auto part = fb.train(train, opts);
      BOOST_TEST(part.stopped_by_callback == (whole.history.size() > 5));
    }
    auto c = nn::make<model>(nn::init::glorot_uniform{}, 99); // other weights: the checkpoint sets them
    nn::trainer fc{c, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 5e-3}};
    const auto resumed = fc.resume(path, train, options(val, path, patience));

    BOOST_TEST(c.export_parameters() == a.export_parameters(), "patience " << patience);
    BOOST_REQUIRE_EQUAL(resumed.history.size(), whole.history.size());
    for (std::size_t e = 0; e < whole.history.size(); ++e) {
      BOOST_TEST(resumed.history[e].train.loss == whole.history[e].train.loss);
      BOOST_TEST(resumed.history[e].validation->loss == whole.history[e].validation->loss);
      BOOST_TEST(resumed.history[e].lr == whole.history[e].lr);
    }
    BOOST_TEST(resumed.best_epoch == whole.best_epoch);
    BOOST_TEST(resumed.stopped_early == whole.stopped_early);
    BOOST_TEST(fc.steps() == fa.steps());
    std::filesystem::remove(path);
    std::filesystem::remove(temp("whole.ckpt"));
  }
}

BOOST_AUTO_TEST_CASE(a_foreign_or_damaged_checkpoint_is_refused_and_changes_nothing) {
  const auto train = make_data(64, 1);
  const auto path = temp("ref.ckpt");
  {
    auto n = nn::make<model>(nn::init::pytorch_default{}, 7);
    nn::trainer f{n, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
    (void)f.train(train, {.epochs = 2, .batch = 16, .log = nullptr, .checkpoint = {.path = path}});
  }
  // another topology: names the first differing layer
  using other = nn::network<nn::input<nn::shape<4>>, nn::dense<16>, nn::relu, nn::dropout<1, 5>, nn::dense<3>>;
  auto o = nn::make<other>(nn::init::pytorch_default{}, 1);
  const auto before_o = o.export_parameters();
  nn::trainer fo{o, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
  const auto e1 = error_of([&] { (void)fo.resume(path, train, {.epochs = 3, .batch = 16, .log = nullptr}); });
  BOOST_TEST(e1.find("fingerprint, layer 1") != std::string::npos, e1);
  BOOST_TEST(e1.find("dense<16>") != std::string::npos, e1);
  BOOST_TEST(o.export_parameters() == before_o);
  BOOST_TEST(fo.steps() == 0);
  // another optimizer
  auto n = nn::make<model>(nn::init::pytorch_default{}, 1);
  const auto before = n.export_parameters();
  nn::trainer fs{n, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{}};
  const auto e2 = error_of([&] { (void)fs.resume(path, train, {.epochs = 3, .batch = 16, .log = nullptr}); });
  BOOST_TEST(e2.find("optimizer: expected 'sgd'") != std::string::npos, e2);
  BOOST_TEST(e2.find("'adam' (in the checkpoint)") != std::string::npos, e2);
  BOOST_TEST(n.export_parameters() == before);
  // another dataset size
  nn::trainer fa{n, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
  const auto e3 =
      error_of([&] { (void)fa.resume(path, make_data(65, 1), {.epochs = 3, .batch = 16, .log = nullptr}); });
  BOOST_TEST(e3.find("65 samples") != std::string::npos, e3);
  BOOST_TEST(n.export_parameters() == before);
  // a damaged file
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() / 2] ^= 0x40;
  const auto bad = temp("bad.ckpt");
  std::ofstream(bad, std::ios::binary) << bytes;
  const auto e4 = error_of([&] { (void)fa.resume(bad, train, {.epochs = 3, .batch = 16, .log = nullptr}); });
  BOOST_TEST(e4.find("corrupt") != std::string::npos, e4);
  BOOST_TEST(n.export_parameters() == before);
  BOOST_TEST(fa.steps() == 0);
  for (const auto& p : {path, bad}) std::filesystem::remove(p);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_with_values_no_run_has_or_other_options_is_refused) {
  const auto train = make_data(64, 1);
  const auto path = temp("values.ckpt");
  {
    auto n = nn::make<model>(nn::init::pytorch_default{}, 7);
    nn::trainer f{n, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
    (void)f.train(train, {.epochs = 2, .batch = 16, .log = nullptr, .checkpoint = {.path = path}});
  }
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  // resuming with early stopping that the checkpointed run did not use: refused, nothing changed
  // (it once installed never-trained weights, all zero, when no resumed epoch beat the best)
  auto n = nn::make<model>(nn::init::pytorch_default{}, 1);
  const auto before = n.export_parameters();
  nn::trainer fa{n, nn::loss::softmax_cross_entropy{}, nn::optim::adam{}};
  try {
    (void)fa.resume(path, train,
                    {.epochs = 3, .batch = 16, .validation = train, .early_stopping = {.patience = 1}, .log = nullptr});
    BOOST_FAIL("a resume with other early-stopping options was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("early_stopping.patience 0") != std::string::npos, e.what());
  }
  BOOST_TEST(n.export_parameters() == before);

  // a non-finite value with a valid checksum (a file written by other code): refused by name
  const std::string loss = nn::loss::softmax_cross_entropy::name();
  const std::size_t first_value = bytes.find(loss) + loss.size() + 8; // after the loss, the value count
  std::string nan_bytes = bytes;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan_bytes.data() + first_value + 4 * sizeof(float), &nan, sizeof nan);
  const std::uint64_t sum =
      nn::weights_format::fnv1a(reinterpret_cast<const unsigned char*>(nan_bytes.data()), nan_bytes.size() - 8);
  std::memcpy(nan_bytes.data() + nan_bytes.size() - 8, &sum, 8);
  const auto bad = temp("nan.ckpt");
  std::ofstream(bad, std::ios::binary) << nan_bytes;
  const auto e = error_of([&] { (void)fa.resume(bad, train, {.epochs = 3, .batch = 16, .log = nullptr}); });
  BOOST_TEST(e.find("parameters and buffers, value 4") != std::string::npos, e);
  BOOST_TEST(e.find("expected a finite number, found nan") != std::string::npos, e);
  BOOST_TEST(n.export_parameters() == before);
  BOOST_TEST(fa.steps() == 0);
  for (const auto& p : {path, bad}) std::filesystem::remove(p);
}
