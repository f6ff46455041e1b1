// The waiting part shared by the sync primitives.
#include <string>

#include "weft/detail/wait.hpp"
#include "weft/error.hpp"
#include "weft/sync.hpp"

namespace weft::detail {

bool cancel_site(void* owner, waiter* w) noexcept {
  auto* site = static_cast<wait_site*>(owner);
  lock_guard g(site->lock);
  if (!w->linked) return false;
  site->queue.erase(w);
  return true;
}

bool wait_site::wait(lock_guard& g, deadline until, const wait_kind& what) {
  waiter& w = own_waiter();
  queue.push_back(&w);
  return wait_queued(g, what, until);
}

bool wait_site::wait_queued(lock_guard& g, const wait_kind& what, deadline until) {
  return block(g, what, this, until) == wake_reason::signaled;
}

bool wait_site::wake_one(lock_guard& g) {
  waiter* w = queue.pop_front();
  if (!w) {
    g.unlock();
    return false;
  }
  w->result = 1;
  wake_token tok = prepare_wake(w);
  g.unlock();
  wake(tok, wake_mode::append);
  return true;
}

void wait_site::wake_all(lock_guard& g) {
  while (waiter* w = queue.pop_front()) {
    w->result = 1;
    wake_token tok = prepare_wake(w);
    g.unlock();
    wake(tok, wake_mode::append);
    g.relock();
  }
  g.unlock();
}

}  // namespace weft::detail
