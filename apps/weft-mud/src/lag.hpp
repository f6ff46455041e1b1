// lag: command latency over the last minute, for @lag and the benchmark.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

#include "weft/time.hpp"

namespace mud {

class lag_stats {
 public:
  void record(weft::clock::duration took);
  struct summary {
    std::size_t count = 0;
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
  };
  summary last_minute();
  std::uint64_t total() const noexcept { return total_; }

 private:
  void expire(weft::clock::time_point now);
  struct sample {
    weft::clock::time_point at;
    std::int64_t us;
  };
  std::deque<sample> samples_;
  std::uint64_t total_ = 0;
};

}  // namespace mud
