#include "base/bytes.h"

#include <fmt/format.h>

#include <cmath>

namespace qkv {

std::string format_bytes(double bytes) {
  if (!std::isfinite(bytes)) return fmt::format("{} bytes", bytes);
  if (bytes < kKiB) return fmt::format("{:.0f} bytes", bytes);
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  double v = bytes / kKiB;
  while (v >= 1024 && u + 1 < static_cast<int>(std::size(units))) {
    v /= 1024;
    ++u;
  }
  // Whole numbers without ".0" ("1 MiB"), the rest to one decimal ("812.4 GiB").
  const double tenths = std::round(v * 10) / 10;
  return tenths == std::floor(tenths) ? fmt::format("{:.0f} {}", tenths, units[u]) : fmt::format("{:.1f} {}", tenths, units[u]);
}

}  // namespace qkv
