// PNG plots through gnuplot (gnuplot-nox): series of (x, y) points with a legend.
#pragma once

#include <string>
#include <vector>

namespace cxlsim::cli {

struct PlotSeries {
  std::string title;
  std::vector<double> x, y;
  bool points = true;  // draw point markers as well as lines
};

// Writes `png`; throws std::runtime_error when gnuplot is missing or fails.
void write_plot(const std::string& png, const std::string& title, const std::string& xlabel,
                const std::string& ylabel, const std::vector<PlotSeries>& series);

}  // namespace cxlsim::cli
