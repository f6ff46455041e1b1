// What the scheduler's own files share about other threads: the registry of schedulers
// (cross_thread.cpp) and the holds that mark wake-ups still to come from elsewhere
// (deadlock.cpp). Private to src/core/.
#pragma once

#include <mutex>

namespace weft::detail {

// Guards the registry of live schedulers and every scheduler's parked_ flag. A post to
// another thread takes it, so a scheduler cannot go away, or park, during the post.
std::mutex& registry_mutex() noexcept;

// True while an external_wakeup_hold is alive anywhere in the process.
bool external_wakeup_held() noexcept;

}  // namespace weft::detail
