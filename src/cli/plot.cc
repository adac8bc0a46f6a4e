#include "cli/plot.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "spec/error.h"

namespace cxlsim::cli {
namespace {
std::string quote(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

void write_plot(const std::string& png, const std::string& title, const std::string& xlabel,
                const std::string& ylabel, const std::vector<PlotSeries>& series) {
  char dir[] = "/tmp/cxlsim-plot-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    throw OperationError("cannot create a temporary directory for the plot");
  }
  std::string script = std::string(dir) + "/plot.gp";
  std::ofstream gp(script);
  gp << "set terminal pngcairo size 1000,650 noenhanced font 'Sans,11'\n"
     << "set output \"" << quote(png) << "\"\n"
     << "set title \"" << quote(title) << "\"\nset xlabel \"" << quote(xlabel)
     << "\"\nset ylabel \"" << quote(ylabel) << "\"\nset grid\nset key top left\n";
  gp << "plot ";
  for (size_t i = 0; i < series.size(); ++i) {
    std::string data = fmt::format("{}/s{}.dat", dir, i);
    std::ofstream d(data);
    for (size_t k = 0; k < series[i].x.size(); ++k) {
      d << series[i].x[k] << " " << series[i].y[k] << "\n";
    }
    gp << (i ? ", " : "") << "\"" << data << "\" using 1:2 with "
       << (series[i].points ? "linespoints" : "lines") << " lw 2 pt " << (i + 6) << " title \""
       << quote(series[i].title) << "\"";
  }
  gp << "\n";
  gp.close();
  std::string cmd = fmt::format("gnuplot '{}' 2>&1", script);
  int rc = std::system(cmd.c_str());
  std::string cleanup = fmt::format("rm -rf '{}'", dir);
  if (std::system(cleanup.c_str()) != 0) {
    // best effort
  }
  if (rc != 0) {
    throw OperationError(fmt::format("gnuplot failed writing '{}' (is gnuplot installed?)", png));
  }
}

}  // namespace cxlsim::cli
