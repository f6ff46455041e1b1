#include "lag.hpp"

#include <algorithm>
#include <vector>

namespace mud {

void lag_stats::expire(weft::clock::time_point now) {
  while (!samples_.empty() && now - samples_.front().at > std::chrono::minutes(1)) samples_.pop_front();
}

void lag_stats::record(weft::clock::duration took) {
  auto now = weft::clock::now();
  expire(now);
  samples_.push_back({now, std::chrono::duration_cast<std::chrono::microseconds>(took).count()});
  ++total_;
}

lag_stats::summary lag_stats::last_minute() {
  expire(weft::clock::now());
  summary s;
  s.count = samples_.size();
  if (samples_.empty()) return s;
  std::vector<std::int64_t> v;
  v.reserve(samples_.size());
  for (const auto& x : samples_) v.push_back(x.us);
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return static_cast<double>(v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]) / 1000.0; };
  s.p50_ms = at(0.50);
  s.p99_ms = at(0.99);
  s.max_ms = static_cast<double>(v.back()) / 1000.0;
  return s;
}

}  // namespace mud
