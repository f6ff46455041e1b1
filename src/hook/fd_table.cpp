// The table of managed descriptors (see fd_table.hpp): 1024 pages of 1024 entries,
// allocated on first use.
#include "hook/fd_table.hpp"

#include <cstdlib>
#include <new>

namespace weft::hook::detail {

namespace {

constexpr int page_bits = 10;
constexpr int page_size = 1 << page_bits;
constexpr int page_count = max_fds / page_size;

constinit std::atomic<fd_state*> g_pages[page_count] = {};

fd_state* page_for(int fd, bool create) noexcept {
  if (fd < 0 || fd >= max_fds) return nullptr;
  std::atomic<fd_state*>& slot = g_pages[fd >> page_bits];
  fd_state* page = slot.load(std::memory_order_acquire);
  if (page || !create) return page;
  // calloc, not new: hooks may run before the C++ runtime is initialised. Zeroed memory is
  // a valid array of unmanaged entries (every member is a lock-free atomic integer).
  auto* fresh = static_cast<fd_state*>(std::calloc(page_size, sizeof(fd_state)));
  if (!fresh) return nullptr;
  if (slot.compare_exchange_strong(page, fresh, std::memory_order_acq_rel)) return fresh;
  std::free(fresh);
  return page;
}

fd_state* entry(int fd, bool create) noexcept {
  fd_state* page = page_for(fd, create);
  return page ? &page[fd & (page_size - 1)] : nullptr;
}

}  // namespace

fd_state* fd_find(int fd) noexcept {
  fd_state* e = entry(fd, false);
  return e && e->flags.load(std::memory_order_relaxed) != 0 ? e : nullptr;
}

bool fd_manage(int fd, bool user_nonblock, bool stream) noexcept {
  fd_state* e = entry(fd, true);
  if (!e) return false;
  e->recv_timeout_ns.store(0, std::memory_order_relaxed);
  e->send_timeout_ns.store(0, std::memory_order_relaxed);
  e->read_drained.store(false, std::memory_order_relaxed);
  e->read_lags.store(false, std::memory_order_relaxed);
  e->flags.store(static_cast<std::uint8_t>(fd_state::managed | (user_nonblock ? fd_state::user_nonblock : 0) |
                                           (stream ? fd_state::stream : 0)),
                 std::memory_order_release);
  return true;
}

void fd_copy(int from, int to) noexcept {
  fd_state* src = fd_find(from);
  if (!src) {
    fd_forget(to);
    return;
  }
  fd_state* dst = entry(to, true);
  if (!dst) return;
  dst->recv_timeout_ns.store(src->recv_timeout_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->send_timeout_ns.store(src->send_timeout_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->read_drained.store(false, std::memory_order_relaxed);  // the new number's reactor entry is fresh
  dst->read_lags.store(src->read_lags.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->flags.store(src->flags.load(std::memory_order_relaxed), std::memory_order_release);
}

void fd_each_managed(void (*fn)(int fd, fd_state& st, void* ctx), void* ctx) noexcept {
  for (int p = 0; p < page_count; ++p) {
    fd_state* page = g_pages[p].load(std::memory_order_acquire);
    if (!page) continue;
    for (int i = 0; i < page_size; ++i)
      if (page[i].flags.load(std::memory_order_relaxed) != 0) fn(p * page_size + i, page[i], ctx);
  }
}

void fd_forget(int fd) noexcept {
  if (fd_state* e = entry(fd, false)) e->flags.store(0, std::memory_order_relaxed);
}

}  // namespace weft::hook::detail
