// The stall monitor's entry points for the rest of the hook layer (the public controls are
// in weft/hook.hpp; watch_thread and note_progress are declared in mode.hpp).
#pragma once

namespace weft::hook::detail {

// In the child of fork: the monitor thread did not survive and this thread is not watched.
// Touches no lock (another thread may have held it when the process forked).
void monitor_forked() noexcept;

}  // namespace weft::hook::detail
