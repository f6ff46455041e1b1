// weft::atomic: a scope in which the current tasklet must not switch.
#pragma once

namespace weft {

// While an atomic scope is open, any call that would switch away from the current tasklet
// throws scheduler_error at that call, before it changes anything: schedule(),
// schedule_remove(), run() and its variants, pump(), tasklet::run/switch_to, a non-pending
// kill or throw, and every blocking call (its wait is withdrawn first). Operations that
// only hand control to a partner (a send to a waiting receiver with preference -1)
// complete and queue the partner instead of switching to it. Scopes nest. Stackless's
// `with atomic()` blocks preemption; weft never preempts, so here it marks code that must
// run without interleaving, and says so loudly when it would not.
class atomic {
 public:
  atomic();
  ~atomic();
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;
};

}  // namespace weft
