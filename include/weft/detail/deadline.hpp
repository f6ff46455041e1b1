// The one deadline type of weft's blocking machinery: a point on the steady clock
// (weft::clock::time_point), and `forever` for a wait without one.
#pragma once

#include <chrono>

namespace weft::detail {

using deadline = std::chrono::steady_clock::time_point;
inline constexpr deadline forever = deadline::max();

}  // namespace weft::detail
