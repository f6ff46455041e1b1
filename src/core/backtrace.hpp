// Backtraces of tasklets of the calling thread, suspended ones included.
#pragma once

#include <string>
#include <vector>

namespace weft::detail {

struct scheduler_impl;
struct tasklet_impl;

// Return addresses, innermost first: the live stack for the current tasklet, a
// frame-pointer walk of the saved stack (or of a dense tasklet's saved image) for a
// suspended one, nothing for one that never ran. Owner thread only.
std::vector<void*> tasklet_frames(const scheduler_impl& s, const tasklet_impl* t, int max = 48);
// "function+0x1f (module)" per address; "0x..." where no symbol is known (a symbol of the
// executable is found only if it was linked with -rdynamic).
std::vector<std::string> symbolize(const std::vector<void*>& pcs);

}  // namespace weft::detail
