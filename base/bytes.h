// Sizes in messages: "812.4 GiB", "1 MiB", "300 bytes" (binary units, as free(1) and
// /proc/meminfo count), so a memory or file-size error reads at a glance.
#pragma once
#include <string>

namespace qkv {

inline constexpr double kKiB = 1024.0, kMiB = kKiB * 1024, kGiB = kMiB * 1024, kTiB = kGiB * 1024;

// The largest unit the size reaches, one decimal ("1.5 KiB"), none when whole ("1 MiB").
std::string format_bytes(double bytes);

}  // namespace qkv
