// The non-template half of select and channels.
#include "core/scheduler_impl.hpp"
#include "weft/select.hpp"

namespace weft::detail {

void current_wait_identity(tasklet_impl** task, std::uint32_t* seq) {
  tasklet_impl* t = this_scheduler().current();
  *task = t;
  *seq = t->wait_seq;
}

// A timeout or kill withdraws the whole select, unless a case already won.
bool cancel_select(void* owner, waiter*) noexcept {
  return static_cast<select_record*>(owner)->claim(select_record::cancelled);
}

tasklet tasklet_of(waiter* w) { return tasklet(w->task); }

}  // namespace weft::detail
