// Pictures of training: line and scatter panels drawn with cairo into PNG files. Optional: needs
// cairo (Debian: libcairo2-dev); ctnn.hpp does not include this header, the core keeps depending
// on xsimd only, and CMake offers it as the target ctnn::plot only when cairo is found.
//
//   ctnn::plot::save_png("curves.png", ctnn::plot::training_curves(report));   // loss and metric
//   ctnn::plot::save_png("fit.png", {{.title = "fit", .lines = {{"f(x)", xs, ys}}}});
#pragma once

#include <ctnn/io/error.hpp>
#include <ctnn/train/report.hpp>

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE::plot {

/// A polyline through (x[i], y[i]); non-finite points break it.
struct line {
  std::string label{};
  std::vector<double> x{}, y{};
  bool dashed = false;
  int color = -1; ///< index into the palette (-1: the line's position)
};
/// Dots at (x[i], y[i]).
struct points {
  std::string label{};
  std::vector<double> x{}, y{};
  double radius = 1.5;
  int color = -1;
};
/// One chart: axes with ticks, lines and dots, a legend.
struct panel {
  std::string title{}, x_label{}, y_label{};
  std::vector<line> lines{};
  std::vector<points> scatter{};
  bool log_y = false;
  bool equal_axes = false; ///< the same scale on both axes (point clouds)
  /// Where the legend's box goes in the plot area: 0 = left / top, 1 = right / bottom.
  double legend_x = 1, legend_y = 0;
};

namespace detail {
struct rgb {
  double r, g, b;
};
/// matplotlib's tab10: distinguishable, and readable by most colour-blind viewers.
inline rgb palette(int i) noexcept {
  static constexpr rgb colors[] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                                   {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                                   {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                                   {0.090, 0.745, 0.812}};
  return colors[((i % 10) + 10) % 10];
}
/// Round tick positions covering [lo, hi] (1, 2 or 5 times a power of ten apart).
inline std::vector<double> ticks(double lo, double hi, int target = 6) {
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / target, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return t;
}
/// Ticks of a log10 axis (positions in log10 units): the decades, with 2 and 5 between them
/// when fewer than three decades show.
inline std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> t;
  const bool fine = std::floor(hi) - std::ceil(lo) < 2;
  for (double d = std::floor(lo); d <= std::ceil(hi); ++d)
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !fine) continue;
      const double v = d + std::log10(m);
      if (v >= lo && v <= hi) t.push_back(v);
    }
  return t;
}
inline std::string label_of(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%g", v);
  return s;
}

/// Where a panel's data lands: the plot area in pixels and the data range it shows.
struct panel_frame {
  double left, right, top, bottom;
  double xmin, xmax, ymin, ymax;
  double px(double x) const noexcept { return left + (x - xmin) / (xmax - xmin) * (right - left); }
  double py(double y) const noexcept { return bottom - (y - ymin) / (ymax - ymin) * (bottom - top); }
};

/// y as the panel plots it (log10 on a log axis; NaN where it cannot be plotted).
inline double plotted_y(const panel& p, double y) noexcept { return p.log_y ? (y > 0 ? std::log10(y) : NAN) : y; }

/// The plot area of a panel at (x0, y0) of size w x h, and the range of its finite data (padded;
/// both axes at one scale if the panel asks for equal axes).
inline panel_frame frame_of(const panel& p, double x0, double y0, double w, double h) {
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  auto extend = [&](const std::vector<double>& xs, const std::vector<double>& ys) {
    for (std::size_t i = 0; i < std::min(xs.size(), ys.size()); ++i) {
      const double y = plotted_y(p, ys[i]);
      if (!std::isfinite(xs[i]) || !std::isfinite(y)) continue;
      xmin = std::min(xmin, xs[i]), xmax = std::max(xmax, xs[i]), ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    }
  };
  for (const auto& l : p.lines) extend(l.x, l.y);
  for (const auto& s : p.scatter) extend(s.x, s.y);
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  if (xmax == xmin) xmin -= 0.5, xmax += 0.5;
  if (ymax == ymin) ymin -= 0.5, ymax += 0.5;
  const double pad_y = 0.05 * (ymax - ymin);
  ymin -= pad_y, ymax += pad_y;
  if (!p.scatter.empty()) {
    const double pad_x = 0.05 * (xmax - xmin);
    xmin -= pad_x, xmax += pad_x;
  }
  const double left = x0 + 62, right = x0 + w - 16, top = y0 + 34, bottom = y0 + h - 46;
  if (p.equal_axes) { // widen the narrower range so that one unit is as long on both axes
    const double sx = (xmax - xmin) / (right - left), sy = (ymax - ymin) / (bottom - top), s = std::max(sx, sy);
    const double cx = (xmin + xmax) / 2, cy = (ymin + ymax) / 2;
    xmin = cx - s * (right - left) / 2, xmax = cx + s * (right - left) / 2;
    ymin = cy - s * (bottom - top) / 2, ymax = cy + s * (bottom - top) / 2;
  }
  return {left, right, top, bottom, xmin, xmax, ymin, ymax};
}

/// s with its anchor (ax, ay: 0 left/top .. 1 right/bottom of the text) at (x, y).
inline void draw_text(cairo_t* cr, const std::string& s, double x, double y, double ax, double ay, double size) {
  cairo_text_extents_t ext;
  cairo_set_font_size(cr, size);
  cairo_text_extents(cr, s.c_str(), &ext);
  cairo_move_to(cr, x - ax * ext.width - ext.x_bearing, y + ay * ext.height - (ext.height + ext.y_bearing));
  cairo_show_text(cr, s.c_str());
}

/// Grid, ticks and their labels, the frame, the title and the axis labels.
inline void draw_axes(cairo_t* cr, const panel& p, const panel_frame& f, double x0, double y0, double h) {
  cairo_set_line_width(cr, 1);
  for (double t : ticks(f.xmin, f.xmax)) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, f.px(t), f.top), cairo_line_to(cr, f.px(t), f.bottom), cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    draw_text(cr, label_of(t), f.px(t), f.bottom + 6, 0.5, 1, 11);
  }
  for (double t : p.log_y ? log_ticks(f.ymin, f.ymax) : ticks(f.ymin, f.ymax)) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, f.left, f.py(t)), cairo_line_to(cr, f.right, f.py(t)), cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    draw_text(cr, p.log_y ? label_of(std::pow(10.0, t)) : label_of(t), f.left - 6, f.py(t), 1, 0.5, 11);
  }
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_stroke(cr);
  draw_text(cr, p.title, (f.left + f.right) / 2, y0 + 10, 0.5, 1, 14);
  draw_text(cr, p.x_label, (f.left + f.right) / 2, y0 + h - 8, 0.5, 0, 12);
  if (!p.y_label.empty()) {
    cairo_save(cr);
    cairo_translate(cr, x0 + 14, (f.top + f.bottom) / 2);
    cairo_rotate(cr, -std::numbers::pi / 2);
    draw_text(cr, p.y_label + (p.log_y ? " (log scale)" : ""), 0, 0, 0.5, 0.5, 12);
    cairo_restore(cr);
  }
}

/// Each series' colour, once for the data and the legend: its own, or the next of the palette
/// (scatter series first, then lines).
struct series_colors {
  std::vector<rgb> scatter, lines;
  explicit series_colors(const panel& p) {
    int next = 0;
    for (const auto& sc : p.scatter) scatter.push_back(palette(sc.color >= 0 ? sc.color : next++));
    for (const auto& l : p.lines) lines.push_back(palette(l.color >= 0 ? l.color : next++));
  }
};

/// The scatter series, then the lines (broken where a value cannot be plotted), clipped to the
/// plot area.
inline void draw_series(cairo_t* cr, const panel& p, const panel_frame& f, const series_colors& colors) {
  cairo_save(cr);
  cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_clip(cr);
  for (std::size_t j = 0; j < p.scatter.size(); ++j) {
    const auto& s = p.scatter[j];
    const rgb c = colors.scatter[j];
    cairo_set_source_rgba(cr, c.r, c.g, c.b, 0.75);
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      cairo_arc(cr, f.px(s.x[i]), f.py(s.y[i]), s.radius, 0, 2 * std::numbers::pi);
      cairo_fill(cr);
    }
  }
  const double dash[] = {6, 4};
  for (std::size_t j = 0; j < p.lines.size(); ++j) {
    const auto& l = p.lines[j];
    const rgb c = colors.lines[j];
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 2);
    cairo_set_dash(cr, dash, l.dashed ? 2 : 0, 0);
    bool open = false;
    for (std::size_t i = 0; i < std::min(l.x.size(), l.y.size()); ++i) {
      const double y = plotted_y(p, l.y[i]);
      if (!std::isfinite(l.x[i]) || !std::isfinite(y)) {
        open = false;
        continue;
      }
      if (open)
        cairo_line_to(cr, f.px(l.x[i]), f.py(y));
      else
        cairo_move_to(cr, f.px(l.x[i]), f.py(y));
      open = true;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, dash, 0, 0);
  }
  cairo_restore(cr);
}

/// The legend (where the panel puts it), on a white box as wide as its longest label.
inline void draw_legend(cairo_t* cr, const panel& p, const panel_frame& f, const series_colors& colors) {
  struct entry {
    std::string label;
    rgb color;
    bool dot, dashed;
  };
  std::vector<entry> entries;
  for (std::size_t j = 0; j < p.scatter.size(); ++j)
    if (!p.scatter[j].label.empty()) entries.push_back({p.scatter[j].label, colors.scatter[j], true, false});
  for (std::size_t j = 0; j < p.lines.size(); ++j)
    if (!p.lines[j].label.empty()) entries.push_back({p.lines[j].label, colors.lines[j], false, p.lines[j].dashed});
  if (entries.empty()) return;
  cairo_set_font_size(cr, 11);
  double widest = 0;
  for (const auto& e : entries) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, e.label.c_str(), &ext);
    widest = std::max(widest, ext.x_advance);
  }
  const double box_w = widest + 42, box_h = 16.0 * double(entries.size()) + 8;
  const double bx = f.left + 6 + p.legend_x * (f.right - f.left - box_w - 12);
  const double by = f.top + 6 + p.legend_y * (f.bottom - f.top - box_h - 12);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, bx, by, box_w, box_h);
  cairo_fill(cr);
  double ly = by + 12;
  const double dash[] = {6, 4};
  for (const auto& e : entries) {
    cairo_set_source_rgb(cr, e.color.r, e.color.g, e.color.b);
    if (e.dot) {
      cairo_arc(cr, bx + 18, ly, 4, 0, 2 * std::numbers::pi);
      cairo_fill(cr);
    } else {
      cairo_set_line_width(cr, 2);
      cairo_set_dash(cr, dash, e.dashed ? 2 : 0, 0);
      cairo_move_to(cr, bx + 6, ly), cairo_line_to(cr, bx + 30, ly), cairo_stroke(cr);
      cairo_set_dash(cr, dash, 0, 0);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    draw_text(cr, e.label, bx + 36, ly, 0, 0.5, 11);
    ly += 16;
  }
}

/// One panel at (x0, y0), w x h: its axes, its data and its legend.
inline void draw_panel(cairo_t* cr, const panel& p, double x0, double y0, double w, double h) {
  const panel_frame f = frame_of(p, x0, y0, w, h);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  draw_axes(cr, p, f, x0, y0, h);
  const series_colors colors(p);
  draw_series(cr, p, f, colors);
  draw_legend(cr, p, f, colors);
}

inline void write_png(cairo_surface_t* surface, const std::string& path) {
  const cairo_status_t st = cairo_surface_write_to_png(surface, path.c_str());
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS)
    throw file_error(path, "writing", "a writable PNG file", std::string("cairo: ") + cairo_status_to_string(st));
}
} // namespace detail

/// Draws the panels side by side (each panel_width x height pixels) into a PNG file. Throws
/// file_error naming the file if it cannot be written.
inline void save_png(const std::string& path, const std::vector<panel>& panels, int panel_width = 560,
                     int height = 420) {
  const int n = std::max<int>(1, int(panels.size()));
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, n * panel_width, height);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  for (int i = 0; i < int(panels.size()); ++i)
    detail::draw_panel(cr, panels[std::size_t(i)], i * panel_width, 0, panel_width, height);
  cairo_destroy(cr);
  detail::write_png(surface, path);
}

/// Grayscale images in a grid (generated samples, originals beside reconstructions): each image
/// height x width values, row-major, one after another; values from lo (black) to hi (white),
/// clamped. Rows of `columns` images, each pixel drawn as a scale x scale square, `gap` pixels
/// of grey between images, an optional title above.
struct image_grid {
  std::size_t height = 0, width = 0;
  std::size_t columns = 8;
  std::vector<float> pixels{};
  double lo = 0, hi = 1;
  int scale = 3, gap = 2;
  std::string title{};
  std::size_t count() const noexcept { return height && width ? pixels.size() / (height * width) : 0; }
  std::size_t rows() const noexcept { return (count() + columns - 1) / std::max<std::size_t>(columns, 1); }
  static constexpr int title_height = 26;
  int png_width() const noexcept { return int(columns) * (int(width) * scale + gap) + gap; }
  int png_height() const noexcept {
    return int(rows()) * (int(height) * scale + gap) + gap + (title.empty() ? 0 : title_height);
  }
};

/// Draws the grid into a PNG file of g.png_width() x g.png_height() pixels. Throws
/// std::invalid_argument for an empty grid or pixels that are not whole images, file_error if
/// the file cannot be written.
inline void save_png(const std::string& path, const image_grid& g) {
  if (g.height == 0 || g.width == 0 || g.columns == 0 || g.pixels.empty() || g.pixels.size() % (g.height * g.width))
    throw std::invalid_argument("ctnn::plot::save_png(image_grid): " + std::to_string(g.pixels.size()) +
                                " values are not whole images of " + std::to_string(g.height) + " x " +
                                std::to_string(g.width));
  const int W = g.png_width(), H = g.png_height(), top = g.title.empty() ? 0 : image_grid::title_height;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
  cairo_rectangle(cr, 0, top, W, H - top);
  cairo_fill(cr);
  if (!g.title.empty()) {
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 13);
    cairo_move_to(cr, 6, 18);
    cairo_show_text(cr, g.title.c_str());
  }
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  const std::size_t size = g.height * g.width;
  for (std::size_t k = 0; k < g.count(); ++k) {
    const int x0 = g.gap + int(k % g.columns) * (int(g.width) * g.scale + g.gap);
    const int y0 = top + g.gap + int(k / g.columns) * (int(g.height) * g.scale + g.gap);
    for (std::size_t i = 0; i < g.height; ++i)
      for (std::size_t j = 0; j < g.width; ++j) {
        const double v = std::clamp((double(g.pixels[k * size + i * g.width + j]) - g.lo) / (g.hi - g.lo), 0.0, 1.0);
        const std::uint32_t grey = std::uint32_t(std::lround(255 * (std::isfinite(v) ? v : 0.0)));
        const std::uint32_t pixel = grey << 16 | grey << 8 | grey;
        for (int dy = 0; dy < g.scale; ++dy) {
          auto* row = reinterpret_cast<std::uint32_t*>(data + std::ptrdiff_t(y0 + int(i) * g.scale + dy) * stride);
          for (int dx = 0; dx < g.scale; ++dx) row[x0 + int(j) * g.scale + dx] = pixel;
        }
      }
  }
  cairo_surface_mark_dirty(surface);
  detail::write_png(surface, path);
}

/// The loss and metric curves of a training run, training and validation: two panels (the loss on
/// a log scale). `name` prefixes the legend entries, to draw several runs in the same panels
/// (see append_training_curves).
inline std::vector<panel> training_curves(const train_report& r, const std::string& name = "") {
  std::vector<panel> p(2);
  // legends halfway down on the right, where curves that fall (loss) or rise (accuracy) are not
  p[0] = {.title = "loss", .x_label = "epoch", .y_label = "loss", .log_y = true, .legend_y = 0.5};
  p[1] = {.title = r.metric_name, .x_label = "epoch", .y_label = r.metric_name, .legend_y = 0.6};
  const std::string pre = name.empty() ? "" : name + ", ";
  line loss{pre + "training", {}, {}}, val_loss{pre + "validation", {}, {}, true};
  line metric{pre + "training", {}, {}}, val_metric{pre + "validation", {}, {}, true};
  for (const auto& e : r.history) {
    loss.x.push_back(double(e.epoch)), loss.y.push_back(e.train.loss);
    metric.x.push_back(double(e.epoch)), metric.y.push_back(e.train.metric);
    if (e.validation) {
      val_loss.x.push_back(double(e.epoch)), val_loss.y.push_back(e.validation->loss);
      val_metric.x.push_back(double(e.epoch)), val_metric.y.push_back(e.validation->metric);
    }
  }
  p[0].lines = {loss};
  p[1].lines = {metric};
  if (!val_loss.x.empty()) {
    val_loss.color = val_metric.color = 0; // the same colour as the training line, dashed
    p[0].lines.push_back(val_loss);
    p[1].lines.push_back(val_metric);
  }
  return p;
}

/// Adds run r's curves to panels made by training_curves (one colour per run).
inline void append_training_curves(std::vector<panel>& panels, const train_report& r, const std::string& name) {
  const auto more = training_curves(r, name);
  const int color = int(panels[0].lines.size() / 2);
  for (std::size_t i = 0; i < 2; ++i)
    for (auto l : more[i].lines) {
      l.color = color;
      panels[i].lines.push_back(l);
    }
}

} // namespace CTNN_NAMESPACE::plot
