// png_check FILE WIDTH HEIGHT: decodes a PNG an example wrote (with libpng, not cairo which wrote
// it) and checks its size and that it is not blank: at least 1% of its pixels differ from the
// background (the top-left pixel's colour) and it has at least 8 distinct colours.
#include "png.hpp"

#include <cstdio>
#include <exception>
#include <set>
#include <string>

int main(int argc, char** argv) try {
  if (argc != 4) {
    std::fprintf(stderr, "usage: png_check FILE WIDTH HEIGHT\n");
    return 1;
  }
  const auto img = ctnn::test::read_png(argv[1]);
  const int w = std::stoi(argv[2]), h = std::stoi(argv[3]);
  if (img.width != w || img.height != h) {
    std::fprintf(stderr, "%s: %dx%d pixels, expected %dx%d\n", argv[1], img.width, img.height, w, h);
    return 1;
  }
  const unsigned char* bg = img.at(0, 0);
  std::size_t differ = 0;
  std::set<unsigned> colours;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const unsigned char* p = img.at(x, y);
      differ += p[0] != bg[0] || p[1] != bg[1] || p[2] != bg[2];
      colours.insert(unsigned(p[0]) << 16 | unsigned(p[1]) << 8 | p[2]);
    }
  const double share = double(differ) / (double(img.width) * double(img.height));
  std::printf("%s: %dx%d, %.1f%% of pixels drawn, %zu colours\n", argv[1], img.width, img.height, 100 * share,
              colours.size());
  if (share < 0.01 || colours.size() < 8) {
    std::fprintf(stderr, "%s looks blank\n", argv[1]);
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "png_check: %s\n", e.what());
  return 1;
}
