// Other threads: the registry of every thread's scheduler, the posts other threads make to
// a scheduler (wake, insert, run, spawn, raise, bias revocation), and the slow path of the
// biased lock. Other threads never touch a scheduler's state: they queue a remote_op under
// remote_mu_ and wake the reactor through its eventfd; the owner drains the queue at its
// next switch point. The cost on the hot path is one relaxed load of has_remote_ per switch.
//
// Invariants:
//  - A scheduler is in the registry from its construction until its destructor begins; a
//    post takes the registry mutex, so it never reaches a scheduler being destroyed.
//  - Every posted op that carries a task holds a reference to it, released once handled
//    or dropped; a revocation is always answered (done = true), even by a dying thread.
#include <algorithm>
#include <iostream>
#include <iterator>

#include "core/check.hpp"
#include "core/scheduler_impl.hpp"
#include "core/threads.hpp"
#include "weft/scheduler.hpp"

namespace weft::detail {

namespace {

// Never destroyed: channels and mutexes with static storage duration are destroyed after
// this file's statics would be, and they still reach the registry (post, create_scheduler).
std::mutex& g_registry_mu = *new std::mutex;
std::vector<scheduler_impl*>& g_registry = *new std::vector<scheduler_impl*>;

bool registered(scheduler_impl* s) {
  return std::find(g_registry.begin(), g_registry.end(), s) != g_registry.end();
}

// An op whose scheduler will never drain it: answer a revocation, release the task.
void drop(remote_op& op) noexcept {
  if (op.kind == remote_op::revoke) {
    op.lock->revoke_bias();
    op.done->store(true, std::memory_order_release);
  } else if (op.task) {
    if (op.kind == remote_op::spawn) op.task->state = tstate::dead;  // it never ran
    release(op.task);
  }
}

}  // namespace

std::mutex& registry_mutex() noexcept { return g_registry_mu; }

std::thread::id thread_of(scheduler_impl* s) {
  std::lock_guard<std::mutex> l(g_registry_mu);
  return registered(s) ? s->thread_ : std::thread::id();
}

scheduler_impl* scheduler_of(std::thread::id id) {
  std::lock_guard<std::mutex> l(g_registry_mu);
  for (scheduler_impl* s : g_registry)
    if (s->thread_ == id) return s;
  return nullptr;
}

void scheduler_impl::register_self() {
  std::lock_guard<std::mutex> l(g_registry_mu);
  g_registry.push_back(this);
}

void scheduler_impl::unregister_self() noexcept {
  std::lock_guard<std::mutex> l(g_registry_mu);
  auto it = std::find(g_registry.begin(), g_registry.end(), this);
  WEFT_CHECK(it != g_registry.end(), "a scheduler left the registry twice");
  g_registry.erase(it);
}

void scheduler_impl::discard_posts() noexcept {
  std::lock_guard<std::mutex> l(remote_mu_);
  for (auto& op : remote_) drop(op);
  remote_.clear();
}

void scheduler_impl::post(remote_op op) {
  std::lock_guard<std::mutex> reg(g_registry_mu);
  if (!registered(this) || afterlife_) {  // the thread has exited, or is exiting
    drop(op);
    return;
  }
  {
    std::lock_guard<std::mutex> l(remote_mu_);
    remote_.push_back(std::move(op));
  }
  unpark_locked();
  has_remote_.store(true, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst)) reactor_->notify();
}

void scheduler_impl::answer_revokes() {
  std::vector<remote_op> ops;
  {
    std::lock_guard<std::mutex> l(remote_mu_);
    auto revokes = std::stable_partition(remote_.begin(), remote_.end(),
                                         [](const remote_op& op) { return op.kind != remote_op::revoke; });
    ops.assign(std::make_move_iterator(revokes), std::make_move_iterator(remote_.end()));
    remote_.erase(revokes, remote_.end());
    has_remote_.store(!remote_.empty(), std::memory_order_relaxed);
  }
  for (auto& op : ops) {
    op.lock->revoke_bias();
    op.done->store(true, std::memory_order_release);
  }
}

void scheduler_impl::drain_remote() {
  std::vector<remote_op> ops;
  {
    std::lock_guard<std::mutex> l(remote_mu_);
    ops.swap(remote_);
    has_remote_.store(false, std::memory_order_relaxed);
  }
  if (dump_requested_.exchange(false)) weft::dump_tasklets(std::cerr);
  for (auto& op : ops) {
    switch (op.kind) {
      case remote_op::wake:
        if (op.task->state == tstate::blocked && op.task->wait_seq == op.seq)
          end_wait(op.task, wake_reason::signaled);
        break;
      case remote_op::insert:
        if (op.task->state == tstate::paused || op.task->state == tstate::fresh)
          make_runnable(op.task);
        break;
      case remote_op::run:
        // Stackless runs it next: after the current tasklet, or first if the thread idles.
        if (op.task->state == tstate::paused || op.task->state == tstate::fresh)
          make_runnable_next(op.task);
        break;
      case remote_op::spawn:
        adopt(op.task, op.seq);
        op.task = nullptr;  // its reference is the scheduler's own now
        break;
      case remote_op::raise:
        post_exception(op.task, op.error);
        break;
      case remote_op::revoke:
        op.lock->revoke_bias();
        op.done->store(true, std::memory_order_release);
        break;
    }
    if (op.task) release(op.task);
  }
}

void scheduler_impl::request_dump() noexcept {
  dump_requested_.store(true);
  has_remote_.store(true);
  if (reactor_) reactor_->notify();
}

// --- biased locks ---------------------------------------------------------------------------

void biased_lock::spin_lock() noexcept {
  for (;;) {
    if (!spin_.exchange(true, std::memory_order_acquire)) return;
    while (spin_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
  }
}

bool biased_lock::lock_slow() {
  scheduler_impl* me = &this_scheduler();
  const auto mine = reinterpret_cast<std::uintptr_t>(me);
  for (;;) {
    std::uintptr_t o = owner_.load(std::memory_order_acquire);
    if (o == mine) return false;
    if (o == unowned) {
      // A scheduler made after its thread's own was destroyed could never answer a
      // revocation: it makes the lock shared instead of taking the bias.
      if (me->afterlife()) {
        owner_.compare_exchange_strong(o, shared_mark, std::memory_order_acq_rel);
        continue;
      }
      if (owner_.compare_exchange_strong(o, mine, std::memory_order_acq_rel)) return false;
      continue;
    }
    if (o == shared_mark) {
      spin_lock();
      return true;
    }
    // Another thread holds the bias: ask it to give it up at its next switch point, and
    // meanwhile answer such requests addressed to us, so two threads asking each other
    // cannot wait forever.
    std::atomic<bool> done{false};
    reinterpret_cast<scheduler_impl*>(o)->post({remote_op::revoke, nullptr, 0, nullptr, this, &done});
    while (!done.load(std::memory_order_acquire)) {
      if (me->has_posts()) me->answer_revokes();
      ::sched_yield();
    }
  }
}

}  // namespace weft::detail
