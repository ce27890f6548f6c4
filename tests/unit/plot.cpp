// The plotting component (ctnn/plot/plot.hpp, cairo): PNGs of training curves and point clouds,
// decoded with libpng and checked for size and content; the history CSV parsed back.
#define BOOST_TEST_MODULE plot
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>
#include <ctnn/plot/plot.hpp>

#include "../support/png.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace nn = ctnn;

namespace {
std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ctnn-plot-" + std::to_string(::getpid()) + "-" + name)).string();
}
/// Pixels close to colour c (the palette's first colour, tab10 blue: 31, 119, 180).
std::size_t count_near(const nn::test::image& img, int r, int g, int b) {
  std::size_t n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const auto* p = img.at(x, y);
      n += std::abs(p[0] - r) < 24 && std::abs(p[1] - g) < 24 && std::abs(p[2] - b) < 24;
    }
  return n;
}
std::size_t count_not_white(const nn::test::image& img) {
  std::size_t n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += img.at(x, y)[0] < 250 || img.at(x, y)[1] < 250 || img.at(x, y)[2] < 250;
  return n;
}

nn::train_report a_training_run() {
  using model = nn::network<nn::input<nn::shape<2>>, nn::dense<8>, nn::tanh, nn::dense<1>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::dataset<float, nn::shape<2>, nn::shape<1>> train, val;
  nn::rng g(2);
  for (int i = 0; i < 200; ++i) {
    const float a = float(g.uniform(-1, 1)), b = float(g.uniform(-1, 1));
    (i < 150 ? train : val).push_back({a, b}, {a * b});
  }
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 1e-2}};
  return fit.train(train, {.epochs = 30, .batch = 16, .validation = val, .log = nullptr});
}
} // namespace

BOOST_AUTO_TEST_CASE(training_curves_are_a_png_of_two_panels) {
  const auto report = a_training_run();
  const auto path = temp("curves.png");
  nn::plot::save_png(path, nn::plot::training_curves(report), 500, 380);
  const auto img = nn::test::read_png(path);
  BOOST_TEST(img.width == 1000);
  BOOST_TEST(img.height == 380);
  const std::size_t ink = count_not_white(img);
  BOOST_TEST(ink > 5000u, "drawn pixels: " << ink); // axes, ticks, text and four curves
  BOOST_TEST(ink < std::size_t(img.width * img.height / 2), "mostly background");
  BOOST_TEST(count_near(img, 31, 119, 180) > 300u, "the curves' colour appears"); // tab10 blue
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(a_scatter_panel_draws_its_points) {
  nn::plot::points cloud{"ring", {}, {}, 2.0};
  for (int i = 0; i < 400; ++i) {
    cloud.x.push_back(std::cos(i * 0.0157 * 4));
    cloud.y.push_back(std::sin(i * 0.0157 * 4));
  }
  const auto path = temp("scatter.png");
  nn::plot::save_png(path, {{.title = "ring", .x_label = "x", .y_label = "y", .scatter = {cloud}, .equal_axes = true}},
                     420, 420);
  const auto img = nn::test::read_png(path);
  BOOST_TEST(img.width == 420);
  BOOST_TEST(img.height == 420);
  BOOST_TEST(count_near(img, 31, 119, 180) > 500u);
  // the centre of the ring is empty, its top is not
  int centre = 0;
  for (int dy = -10; dy <= 10; ++dy)
    for (int dx = -10; dx <= 10; ++dx) centre += img.at(210 + dx, 210 + dy)[0] < 200;
  BOOST_TEST(centre == 0);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(an_image_grid_puts_each_pixel_where_it_belongs) {
  // 10 images of 4 x 5 in rows of 4: image k has value k / 9 everywhere but a black top-left pixel
  nn::plot::image_grid g{.height = 4, .width = 5, .columns = 4, .scale = 3, .gap = 2, .title = "ten images"};
  for (std::size_t k = 0; k < 10; ++k)
    for (std::size_t p = 0; p < 20; ++p) g.pixels.push_back(p == 0 ? 0.f : float(k) / 9.f);
  BOOST_TEST(g.count() == 10u);
  BOOST_TEST(g.rows() == 3u);
  const auto path = temp("grid.png");
  nn::plot::save_png(path, g);
  const auto img = nn::test::read_png(path);
  BOOST_TEST(img.width == 4 * (5 * 3 + 2) + 2);
  BOOST_TEST(img.height == 3 * (4 * 3 + 2) + 2 + nn::plot::image_grid::title_height);
  BOOST_TEST(img.width == g.png_width());
  BOOST_TEST(img.height == g.png_height());
  for (std::size_t k = 0; k < 10; ++k) {
    const int x0 = 2 + int(k % 4) * 17, y0 = nn::plot::image_grid::title_height + 2 + int(k / 4) * 14;
    const int want = int(std::lround(255.0 * double(k) / 9.0));
    BOOST_TEST(int(img.at(x0 + 7, y0 + 7)[0]) == want, "image " << k); // inside the image
    BOOST_TEST(int(img.at(x0 + 1, y0 + 1)[1]) == 0, "image " << k);    // its black first pixel
  }
  BOOST_TEST(int(img.at(1, nn::plot::image_grid::title_height + 1)[0]) == 153); // the grey gap (0.6)
  std::filesystem::remove(path);
  g.pixels.pop_back(); // not whole images
  BOOST_CHECK_THROW(nn::plot::save_png(path, g), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(an_unwritable_path_is_a_file_error) {
  BOOST_CHECK_THROW(nn::plot::save_png("/nonexistent-dir/x.png", {nn::plot::panel{.title = "t"}}), nn::file_error);
}

BOOST_AUTO_TEST_CASE(the_history_csv_parses_back) {
  const auto report = a_training_run();
  const auto path = temp("history.csv");
  report.write_csv(path);
  std::ifstream f(path);
  std::string header;
  std::getline(f, header);
  BOOST_TEST(header == "epoch,loss,rmse,val_loss,val_rmse,lr,samples_per_second");
  const auto table = nn::read_csv(path, {.skip_lines = 1}); // ctnn's own CSV reader parses it back
  BOOST_TEST(table.rows == report.history.size());
  BOOST_TEST(table.cols == 7u);
  for (std::size_t e = 0; e < table.rows; ++e) {
    BOOST_TEST(table(e, 0) == double(e + 1));
    BOOST_TEST(std::abs(table(e, 1) - report.history[e].train.loss) <= 1e-7 * report.history[e].train.loss);
    BOOST_TEST(std::abs(table(e, 3) - report.history[e].validation->loss) <= 1e-7 * report.history[e].validation->loss);
    BOOST_TEST(table(e, 5) == 0.01);
  }
  std::filesystem::remove(path);
}
