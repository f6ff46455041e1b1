// What every C++ benchmark program shares: a clock, best-of-N timing, RSS, and the one
// output format (`name value unit` on stdout, nothing else there).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unistd.h>

namespace bench {

inline double now_ns() {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// The machine is shared and noisy: run `body` `reps` times and keep the fastest, which is
// the run least disturbed by others. `body` returns the figure (e.g. ns per operation).
template <class F>
double best_of(int reps, F&& body) {
  double best = 0;
  for (int i = 0; i < reps; ++i) {
    double v = body();
    if (i == 0 || v < best) best = v;
  }
  return best;
}

inline void print_figure(std::string_view name, double value, std::string_view unit) {
  std::printf("%.*s %.1f %.*s\n", static_cast<int>(name.size()), name.data(), value,
              static_cast<int>(unit.size()), unit.data());
  std::fflush(stdout);
}

// Resident set size of this process, in bytes, from /proc/self/statm (second field, pages).
inline long rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * sysconf(_SC_PAGESIZE) : -1;
}

// `--flag value` from argv, or `fallback`.
inline long arg_long(int argc, char** argv, const char* flag, long fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  return fallback;
}
inline const char* arg_str(int argc, char** argv, const char* flag, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return argv[i + 1];
  return fallback;
}

}  // namespace bench
