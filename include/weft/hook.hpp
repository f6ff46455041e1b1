// weft::hook: the C library's blocking calls (read, recv, connect, poll, sleep, getaddrinfo,
// ...) block only the calling tasklet, so libraries that know nothing of weft (libpq,
// hiredis, libcurl) can run in many tasklets of one thread. docs/hook.md lists what is and
// is not interposed.
//
// Two ways to get it: link the CMake target weft::hook into the executable (its definitions
// override libc's for the executable and for every library it loads, dlopen'd ones too), or
// run an unmodified program under LD_PRELOAD=libweft_preload.so (its main becomes the main
// tasklet). Outside a tasklet, from a thread's main tasklet while no other tasklet exists,
// and on descriptors the program made non-blocking itself, every call behaves as libc's.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace weft::hook {

// True when the interposition layer is part of this process (linked or preloaded).
bool linked() noexcept;

// How many calls of each interposed function came from a tasklet and were handled by weft
// (the call suspended the tasklet, or would have had the descriptor not been ready).
// Calls passed straight to libc are not counted. Process-wide; thread-safe.
struct call_count {
  const char* name;  // "recv", "poll", "getaddrinfo", ...
  std::uint64_t interposed;
};
// One entry per interposed function, in a fixed order.
std::vector<call_count> counts();
void reset_counts() noexcept;

// The stall monitor: a thread that notices a tasklet holding its thread (a CPU loop, a
// blocking call that is not interposed) for longer than the threshold, and reports it once
// per episode (until that thread switches tasklets or goes idle again).
struct stall {
  std::string tasklet;             // its name, or "tasklet <id>" when unnamed
  std::chrono::nanoseconds held;   // how long it had held the thread when reported
  std::string backtrace;           // where it was, one frame a line, innermost first
};
// Default 100 ms; 0 disables the monitor. Process-wide; any thread.
void set_stall_threshold(std::chrono::milliseconds threshold);
// Called on the monitor's own thread (not a tasklet): it must not touch the stuck thread's
// tasklets. The default (and an empty function) prints the report to stderr.
void set_stall_handler(std::function<void(const stall&)> handler);

}  // namespace weft::hook
