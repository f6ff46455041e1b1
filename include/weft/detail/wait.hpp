// The waiting machinery shared by channels, select, the sync primitives and the reactor:
// wait queues, the per-tasklet waiter node, and the block/wake protocol.
//
// Invariants:
//  - A waiter node never lives on a tasklet's stack (dense stacks move; see stack_kind):
//    single waits use the node in the tasklet's control block, select uses heap nodes.
//  - A waiter is linked in at most one wait_queue, and only while its tasklet is blocked.
//    Whoever unlinks it (a waker, a timeout, a kill) does so under the queue owner's lock
//    and is then the only one allowed to wake the tasklet.
//  - A waker captures a wake_token under the lock and calls wake() after unlocking:
//    wake() may switch tasklets, and nothing may switch while a lock is held.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "weft/detail/deadline.hpp"
#include "weft/detail/io_wait.hpp"

namespace weft::detail {

struct tasklet_impl;
struct scheduler_impl;
struct select_record;

// The calling thread's scheduler, or null before the thread first used weft.
extern constinit thread_local scheduler_impl* tls_scheduler __attribute__((tls_model("initial-exec")));
scheduler_impl& create_scheduler();
// The calling thread's scheduler, created on first use.
inline scheduler_impl& this_scheduler() {
  if (tls_scheduler != nullptr) [[likely]] return *tls_scheduler;
  return create_scheduler();
}

// A lock that costs nothing while only one thread uses it. The first thread to use the
// object owns the bias and skips the atomic; when a second thread comes, it asks the owner
// (through the owner's scheduler, at a switch point) to give the bias up, after which every
// user takes a real spinlock. Channels and sync primitives therefore pay for thread safety
// only once they are actually shared.
class biased_lock {
 public:
  biased_lock() noexcept = default;
  biased_lock(const biased_lock&) = delete;
  biased_lock& operator=(const biased_lock&) = delete;

  // Returns true if a real lock was taken (pass it to unlock()).
  bool lock() {
    if (biased_to(tls_scheduler)) return false;
    return lock_slow();
  }
  void unlock(bool taken) noexcept {
    if (taken) spin_.store(false, std::memory_order_release);
  }
  bool shared() const noexcept { return owner_.load(std::memory_order_acquire) == shared_mark; }
  // True if `me` (the calling thread's scheduler, null if it has none) holds the bias: the
  // object is then as good as locked until this thread's next switch point, as only the
  // owner gives it up. One compare: neither mark is a scheduler's address, nor null.
  bool biased_to(const scheduler_impl* me) const noexcept {
    return owner_.load(std::memory_order_relaxed) == reinterpret_cast<std::uintptr_t>(me);
  }

  // Scheduler side of revocation; see scheduler.cpp.
  void revoke_bias() noexcept { owner_.store(shared_mark, std::memory_order_release); }

 private:
  // What owner_ holds besides the owning scheduler's address.
  static constexpr std::uintptr_t shared_mark = 1;  // revoked: every user takes spin_
  static constexpr std::uintptr_t unowned = 2;      // no thread has used the object yet
  bool lock_slow();
  void spin_lock() noexcept;

  std::atomic<std::uintptr_t> owner_{unowned};
  std::atomic<bool> spin_{false};
};

class lock_guard {
 public:
  explicit lock_guard(biased_lock& l) : lock_(&l), taken_(l.lock()), held_(true) {}
  // For a lock the caller found biased to this thread (biased_to): held, nothing taken.
  lock_guard(biased_lock& l, std::adopt_lock_t) noexcept : lock_(&l), taken_(false), held_(true) {}
  ~lock_guard() { unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;
  void unlock() noexcept {
    if (held_) {
      held_ = false;
      lock_->unlock(taken_);
    }
  }
  // The lock is biased to this thread: no other thread has ever used the object since, so
  // everything queued on it is this thread's (see hot_path.hpp).
  bool biased() const noexcept { return !taken_; }
  void relock() {
    taken_ = lock_->lock();
    held_ = true;
  }

 private:
  biased_lock* lock_;
  bool taken_;
  bool held_;
};

// A biased lock's hold on the hot path: the caller checked biased_to() and does not switch
// while it holds this, so there is nothing to take or release and no state to keep. It has
// lock_guard's shape for code written once for both; adopt() gives the out-of-line
// functions that take a lock_guard one (block(), for instance).
struct bias_hold {
  biased_lock* lock;
  static constexpr bool biased() noexcept { return true; }
  void unlock() noexcept {}
  lock_guard adopt() const noexcept { return lock_guard(*lock, std::adopt_lock); }
};

// One tasklet waiting in one queue.
struct waiter {
  tasklet_impl* task = nullptr;
  waiter* next = nullptr;
  waiter* prev = nullptr;
  bool linked = false;
  std::uint8_t result = 0;        // set by whoever completes the wait; owner-defined meaning
  std::int8_t queue_tag = 0;      // owner-defined: which of the owner's queues holds it
  std::uint32_t seq = 0;          // the tasklet's wait sequence when it blocked
  union {
    void* slot = nullptr;         // channels: the value to send, or where to receive it
    io_event event;               // an fd wait (io_wait.cpp): the direction waited for
  };
  select_record* sel = nullptr;   // non-null for a select case
  union {
    int index = 0;                // the select case index
    int fd;                       // an fd wait (io_wait.cpp): the descriptor
  };
  // Select cases only: set (under the queue owner's lock) by a channel's destructor that
  // unlinked this case, so the select never touches that channel again.
  std::atomic<bool> owner_gone{false};
};

class wait_queue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  waiter* front() const noexcept { return head_; }
  // Branch-free link choice: a queue alternates between empty and one waiter most of the time.
  void push_back(waiter* w) noexcept {
    w->next = nullptr;
    w->prev = tail_;
    waiter** link = tail_ ? &tail_->next : &head_;
    *link = w;
    tail_ = w;
    w->linked = true;
    ++size_;
  }
  void erase(waiter* w) noexcept {
    if (!w->linked) return;
    if (w->prev) w->prev->next = w->next; else head_ = w->next;
    if (w->next) w->next->prev = w->prev; else tail_ = w->prev;
    w->next = w->prev = nullptr;
    w->linked = false;
    --size_;
  }
  waiter* pop_front() noexcept {
    waiter* w = head_;
    if (!w) return nullptr;
    waiter* next = w->next;
    head_ = next;
    waiter** back = next ? &next->prev : &tail_;
    *back = nullptr;
    w->next = nullptr;  // prev is null already: w was the head
    w->linked = false;
    --size_;
    return w;
  }

 private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

// A select in progress: the first case to complete claims it.
struct select_record {
  static constexpr int open = -1;
  static constexpr int cancelled = -2;
  std::atomic<int> fired{open};
  bool claim(int index) noexcept {
    int expected = open;
    return fired.compare_exchange_strong(expected, index, std::memory_order_acq_rel);
  }
};

// Claims `w` for completion: a plain waiter always, a select case only if no other case of
// its select won first. Call under the queue's lock, after unlinking.
inline bool claim(waiter* w) noexcept { return w->sel == nullptr || w->sel->claim(w->index); }

// What kind of thing a blocked tasklet waits on, for kills, timeouts and dump_tasklets().
// One static instance per kind of wait.
struct wait_kind {
  // Unlinks `w` from `owner` if it is still queued and returns true; returns false if a
  // waker already completed it (the tasklet is then, or is about to be, woken).
  bool (*cancel)(void* owner, waiter* w) noexcept;
  const char* what;
  int direction;  // +1 sending on a channel, -1 receiving, 0 anything else
};
inline constexpr wait_kind not_waiting{nullptr, "", 0};

// What one blocked tasklet waits on: the kind, the object, and the fd for I/O waits.
struct wait_spec {
  const wait_kind* kind = &not_waiting;
  void* owner = nullptr;
  int fd = -1;
};

enum class wake_reason : std::uint8_t { signaled, timed_out };
enum class wake_mode : std::uint8_t {
  append,            // the woken tasklet goes to the end of the run queue
  switch_now,        // it runs at once; the caller stays runnable right behind it
  append_and_yield,  // Stackless's schedule_all: append it, and the caller yields too
};

// The current tasklet's own waiter node, reset for a new wait.
waiter& own_waiter() noexcept;
// True if the current tasklet runs on the shared (dense) stack: it must keep values it
// exposes to other tasklets off its stack.
bool on_shared_stack() noexcept;

// Blocks the current tasklet until woken, the deadline passes, or it is killed (then the
// exception propagates from here with the wait already cancelled). `g` is unlocked once the
// tasklet has left the run queue. Throws deadlock_error if nothing can ever wake it.
// The arguments travel in registers: a wait_spec built on the stack and copied cost a
// store-forwarding stall per blocking call.
wake_reason block(lock_guard& g, const wait_kind& kind, void* owner, deadline until = forever,
                  int fd = -1);

// Two whole words, so that copying one never splits a load across smaller stores (a
// {pointer, u32, bool} layout cost a store-forwarding stall on every rendezvous).
struct wake_token {
  tasklet_impl* task = nullptr;
  std::uint64_t bits = 0;  // low 32: the wait sequence; bit 32: the tasklet belongs to another
                           // thread (a reference is held)
  std::uint32_t seq() const noexcept { return static_cast<std::uint32_t>(bits); }
  bool remote() const noexcept { return (bits >> 32) != 0; }
};
// Call under the lock, after claiming and unlinking `w`.
wake_token prepare_wake(waiter* w) noexcept;
// Call after unlocking. May switch (wake_mode::switch_now) and so may throw a pending
// exception into the caller.
void wake(const wake_token& t, wake_mode mode);

// Stackless's block_trap and the current tasklet's preference checks.
void check_may_block();

}  // namespace weft::detail
