// The per-function counters behind weft::hook::counts(), and the process-wide flags.
#include <atomic>

#include "hook/mode.hpp"
#include "weft/hook.hpp"

// Tells weft's sys layer (sys/real_linux.cpp) that the hooks are in the process.
extern "C" void weft_hook_present() {}

namespace weft::hook {

namespace detail {

constinit std::atomic<std::uint64_t> g_counts[static_cast<int>(call::count_)] = {};
constinit std::atomic<bool> g_forked_child{false};

namespace {
constexpr const char* names[] = {
#define WEFT_HOOK_NAME(name) #name,
    WEFT_HOOK_COUNTED(WEFT_HOOK_NAME)
#undef WEFT_HOOK_NAME
};
static_assert(std::size(names) == static_cast<std::size_t>(call::count_));
}  // namespace

}  // namespace detail

bool linked() noexcept { return true; }

std::vector<call_count> counts() {
  std::vector<call_count> out;
  for (std::size_t i = 0; i < std::size(detail::names); ++i)
    out.push_back({detail::names[i], detail::g_counts[i].load(std::memory_order_relaxed)});
  return out;
}

void reset_counts() noexcept {
  for (auto& c : detail::g_counts) c.store(0, std::memory_order_relaxed);
}

}  // namespace weft::hook
