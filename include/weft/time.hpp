// Sleeping and deadlines for tasklets.
#pragma once

#include <chrono>

#include "weft/error.hpp"

namespace weft {

using clock = std::chrono::steady_clock;

// Suspends only the calling tasklet. A kill meanwhile unwinds from here.
void sleep_until(clock::time_point when);
inline void sleep_for(clock::duration d) { sleep_until(clock::now() + d); }

}  // namespace weft
