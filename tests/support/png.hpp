// Reading PNG files back in tests, with libpng: the pictures ctnn writes (through cairo) are
// decoded by another library, and checked for size and content.
#pragma once

#include <png.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace ctnn::test {

struct image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb; ///< height rows of width pixels, 3 bytes each
  const unsigned char* at(int x, int y) const {
    return rgb.data() + 3 * (std::size_t(y) * std::size_t(width) + std::size_t(x));
  }
};

/// Decodes an 8-bit PNG (any colour type) into RGB.
inline image read_png(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(f);
    throw std::runtime_error(path + " is not a PNG libpng can decode");
  }
  png_init_io(png, f);
  png_read_info(png, info);
  png_set_strip_16(png);
  png_set_palette_to_rgb(png);
  png_set_gray_to_rgb(png);
  png_set_strip_alpha(png);
  png_read_update_info(png, info);
  image img;
  img.width = int(png_get_image_width(png, info));
  img.height = int(png_get_image_height(png, info));
  img.rgb.resize(std::size_t(img.width) * std::size_t(img.height) * 3);
  std::vector<png_bytep> rows(std::size_t(img.height));
  for (int y = 0; y < img.height; ++y)
    rows[std::size_t(y)] = img.rgb.data() + std::size_t(y) * std::size_t(img.width) * 3;
  png_read_image(png, rows.data());
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(f);
  return img;
}

} // namespace ctnn::test
