// channel<T>: Stackless's rendezvous channel, typed, with an optional buffer.
//
// Invariants (all under lock_):
//  - Tasklets wait in FIFO order; senders_ and receivers_ are never both non-empty, and a
//    buffered channel has waiting receivers only when the buffer is empty and waiting
//    senders only when it is full.
//  - A waiting sender's payload (and a waiting receiver's destination) lives off the
//    waiter's stack whenever that stack is the shared dense one (value_slot).
//  - A waiter is completed (result set, value moved) by whoever unlinks it; it is woken
//    only after lock_ is released.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

#include "weft/callbacks.hpp"
#include "weft/detail/hot_path.hpp"
#include "weft/detail/wait.hpp"
#include "weft/error.hpp"
#include "weft/tasklet.hpp"

namespace weft {

template <class T>
class channel;

namespace detail {

// What travels through a channel: a value, or an exception the receiver rethrows.
// The error is boxed: std::exception_ptr's copy and destructor are out-of-line library
// calls, and the value path must not pay for them.
template <class T>
struct payload {
  std::optional<T> value;
  std::unique_ptr<std::exception_ptr> error;
};

// A payload that is on the stack for guarded tasklets and on the heap for dense ones.
template <class T>
class value_slot {
 public:
  value_slot() : value_slot(this_core()) {}
  // `s`: the calling thread's scheduler (or null), when the caller has it at hand.
  explicit value_slot(scheduler_core* s) : heap_(on_shared_stack_hot(s) ? new payload<T> : nullptr) {}
  value_slot(const value_slot&) = delete;
  value_slot& operator=(const value_slot&) = delete;
  payload<T>* get() noexcept { return heap_ ? heap_.get() : &local_; }

 private:
  payload<T> local_;
  std::unique_ptr<payload<T>> heap_;
};

enum : std::uint8_t { wait_pending = 0, wait_done = 1, wait_closed = 2 };

tasklet tasklet_of(waiter* w);
struct select_access;

}  // namespace detail

template <class T>
class channel {
 public:
  using value_type = T;
  using duration = std::chrono::steady_clock::duration;

  // capacity 0 (the default) is Stackless's rendezvous channel; a larger capacity lets that
  // many values wait in the channel without a receiver.
  explicit channel(std::size_t capacity = 0)
      : cap_(capacity), buf_(capacity ? new detail::payload<T>[capacity] : nullptr) {}
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;
  // Tasklets still blocked on the channel, select cases included, are woken with
  // channel_closed.
  ~channel() {
    detail::lock_guard g(lock_);
    for (detail::wait_queue* q : {&senders_, &receivers_}) {
      while (detail::waiter* w = q->pop_front()) {
        detail::wake_token tok;
        bool mine = detail::claim(w);
        if (mine) {
          w->result = detail::wait_closed;
          tok = detail::prepare_wake(w);
        }
        // Last: once marked, the select may free the node.
        if (w->sel) w->owner_gone.store(true, std::memory_order_release);
        if (!mine) continue;
        g.unlock();
        detail::wake(tok, detail::wake_mode::append);
        g.relock();
      }
    }
  }

  // Blocks until a receiver takes the value (or, buffered, until there is room). Throws
  // channel_closed if the channel is closing, deadlock_error if nothing could ever receive
  // it. A kill before a receiver took the value unwinds from here with the value not
  // delivered; a kill after it was taken lets send() return and lands at the next switch
  // point (docs/scheduler.md, "A kill and an operation that completed").
  WEFT_HOT void send(T v) {
    report(true);
    send_value(std::move(v), detail::forever);
  }
  // Like send(), but throws timeout_error if nobody took the value within `d`.
  void send_for(T v, duration d) {
    report(true);
    send_value(std::move(v), std::chrono::steady_clock::now() + d);
  }
  // Sends without blocking: true if a receiver was waiting or the buffer had room.
  bool try_send(T& v) {
    detail::lock_guard g(lock_);
    if (closing_) throw channel_closed();
    detail::payload<T> p = make(std::move(v));
    if (deliver(g, p)) return true;
    v = std::move(*p.value);
    return false;
  }

  // The receiver of this value rethrows `e` instead of getting a value.
  void send_exception(std::exception_ptr e) {
    detail::payload<T> p;
    p.error = std::make_unique<std::exception_ptr>(std::move(e));
    report(true);
    send_payload(std::move(p), detail::forever, "send_exception");
  }
  template <class E, class... A>
  void send_exception(A&&... a) {
    send_exception(std::make_exception_ptr(E(std::forward<A>(a)...)));
  }
  // Sends every element in order; returns how many were sent.
  template <class R>
  std::size_t send_sequence(R&& range) {
    std::size_t n = 0;
    for (auto&& v : range) {
      send(T(std::forward<decltype(v)>(v)));
      ++n;
    }
    return n;
  }

  // Blocks until a value arrives. Throws what a sender sent with send_exception,
  // channel_closed once the channel is closed and drained, deadlock_error if nothing could
  // ever send; a kill before a value was handed over unwinds from here, a kill after it
  // lets receive() return the value and lands at the next switch point.
  WEFT_HOT T receive() {
    report(false);
    return receive_value(detail::forever);
  }
  // Like receive(), but throws timeout_error if nothing arrived within `d`.
  T receive_for(duration d) {
    report(false);
    return unwrap(receive_payload(std::chrono::steady_clock::now() + d));
  }
  // Receives without blocking: empty if no sender waits and the buffer is empty. Throws
  // channel_closed once the channel is closed and drained.
  std::optional<T> try_receive() {
    detail::lock_guard g(lock_);
    detail::payload<T> p;
    if (!take(g, p)) {
      if (closing_ && senders_.empty()) throw channel_closed();
      return std::nullopt;
    }
    return unwrap(std::move(p));
  }

  // Stops the channel from taking new values: sends throw channel_closed; receivers drain
  // what is buffered and what blocked senders hold, then get channel_closed. Receivers
  // already blocked on an empty channel are woken with channel_closed at once (Stackless
  // leaves them blocked, which its own tests call ill conceived).
  void close() {
    detail::lock_guard g(lock_);
    closing_ = true;
    if (senders_.empty() && count_ == 0)
      while (detail::waiter* w = pop(receivers_)) finish_closed(g, w);
  }
  void open() {
    detail::lock_guard g(lock_);
    closing_ = false;
  }
  bool closing() const noexcept { return closing_; }
  // Closing and nothing left to receive.
  bool closed() const noexcept { return closing_ && senders_.empty() && count_ == 0; }

  // > 0: that many senders blocked; < 0: that many receivers blocked.
  int balance() const noexcept {
    return static_cast<int>(senders_.size()) - static_cast<int>(receivers_.size());
  }
  // The first blocked tasklet, or an empty handle.
  tasklet queue() const {
    detail::waiter* w = senders_.empty() ? receivers_.front() : senders_.front();
    return w ? detail::tasklet_of(w) : tasklet();
  }
  std::size_t capacity() const noexcept { return cap_; }
  std::size_t size() const noexcept { return count_; }

  // Who runs after a rendezvous that completes at once: -1 (default) the receiver, +1 the
  // sender, 0 neither (the partner is queued and the caller continues).
  int preference() const noexcept { return preference_; }
  void set_preference(int p) noexcept {
    preference_ = p < 0 ? -1 : p > 0 ? 1 : 0;
    choose_wake_modes();
  }
  // Overrides preference: the partner is queued and the caller yields as well.
  bool schedule_all() const noexcept { return schedule_all_; }
  void set_schedule_all(bool on) noexcept {
    schedule_all_ = on;
    choose_wake_modes();
  }

  // Range-for receives until the channel is closed and drained.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(channel* c) : ch_(c) { ++*this; }
    T& operator*() { return *cur_; }
    iterator& operator++() {
      try {
        cur_.emplace(ch_->receive());
      } catch (const channel_closed&) {
        ch_ = nullptr;
      }
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.ch_ == b.ch_; }

   private:
    channel* ch_ = nullptr;
    std::optional<T> cur_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  friend struct detail::select_access;

  // The channel callback (weft/callbacks.hpp), if any thread has one.
  void report(bool sending) {
    if (detail::channel_hooks.load(std::memory_order_relaxed) == 0) [[likely]] return;
    bool will_block;
    {
      detail::lock_guard g(lock_);
      will_block = sending ? receivers_.empty() && count_ >= cap_ : count_ == 0 && senders_.empty();
    }
    detail::notify_channel(this, sending, will_block);
  }

  static detail::payload<T> make(T&& v) {
    detail::payload<T> p;
    p.value.emplace(std::move(v));
    return p;
  }
  static T unwrap(detail::payload<T>&& p) {
    if (p.error) [[unlikely]] std::rethrow_exception(*p.error);
    return std::move(*p.value);
  }

  // Pops the first waiter that can still be completed (a select case may have lost).
  static detail::waiter* pop(detail::wait_queue& q) noexcept {
    while (detail::waiter* w = q.pop_front())
      if (detail::claim(w)) return w;
    return nullptr;
  }
  // How a completed rendezvous wakes the partner, from preference and schedule_all; kept
  // ready so that the hot path loads one byte instead of deciding.
  detail::wake_mode send_mode() const noexcept { return send_mode_; }
  detail::wake_mode receive_mode() const noexcept { return receive_mode_; }
  void choose_wake_modes() noexcept {
    using detail::wake_mode;
    send_mode_ = schedule_all_     ? wake_mode::append_and_yield
                 : preference_ < 0 ? wake_mode::switch_now
                                   : wake_mode::append;
    receive_mode_ = schedule_all_     ? wake_mode::append_and_yield
                    : preference_ > 0 ? wake_mode::switch_now
                                      : wake_mode::append;
  }
  static void finish_closed(detail::lock_guard& g, detail::waiter* w) {
    w->result = detail::wait_closed;
    auto tok = detail::prepare_wake(w);
    g.unlock();
    detail::wake(tok, detail::wake_mode::append);
    g.relock();
  }

  // The locked halves of deliver/take: they complete the operation under the lock and
  // leave the wake-up (if a blocked partner was completed) in `tok` for after unlocking.
  bool deliver_locked(detail::payload<T>& p, detail::wake_token& tok, detail::wake_mode& mode) {
    if (detail::waiter* w = pop(receivers_)) {
      *static_cast<detail::payload<T>*>(w->slot) = std::move(p);
      w->result = detail::wait_done;
      tok = detail::prepare_wake(w);
      mode = send_mode();
      return true;
    }
    if (count_ < cap_) {
      buf_[(head_ + count_) % cap_] = std::move(p);
      ++count_;
      return true;
    }
    return false;
  }
  bool take_locked(detail::payload<T>& out, detail::wake_token& tok, detail::wake_mode& mode) {
    if (count_ > 0) {
      out = std::move(buf_[head_]);
      buf_[head_] = detail::payload<T>{};
      head_ = (head_ + 1) % cap_;
      --count_;
      if (detail::waiter* w = pop(senders_)) {
        buf_[(head_ + count_) % cap_] = std::move(*static_cast<detail::payload<T>*>(w->slot));
        ++count_;
        w->result = detail::wait_done;
        tok = detail::prepare_wake(w);
        mode = receive_mode();
      }
      return true;
    }
    if (detail::waiter* w = pop(senders_)) {
      out = std::move(*static_cast<detail::payload<T>*>(w->slot));
      w->result = detail::wait_done;
      tok = detail::prepare_wake(w);
      mode = receive_mode();
      return true;
    }
    return false;
  }

  // Hands `p` to a waiting receiver or the buffer. Unlocks g if it returns true.
  bool deliver(detail::lock_guard& g, detail::payload<T>& p) {
    detail::wake_token tok;
    detail::wake_mode mode{};
    if (!deliver_locked(p, tok, mode)) return false;
    g.unlock();
    if (tok.task) detail::wake(tok, mode);
    return true;
  }
  // Takes a buffered value or a waiting sender's. Unlocks g if it returns true.
  bool take(detail::lock_guard& g, detail::payload<T>& out) {
    detail::wake_token tok;
    detail::wake_mode mode{};
    if (!take_locked(out, tok, mode)) return false;
    g.unlock();
    if (tok.task) detail::wake(tok, mode);
    return true;
  }

  static bool cancel_wait(void* owner, detail::waiter* w) noexcept {
    auto* self = static_cast<channel*>(owner);
    detail::lock_guard g(self->lock_);
    if (!w->linked) return false;
    (w->queue_tag > 0 ? self->senders_ : self->receivers_).erase(w);
    return true;
  }

  // The value paths of send() and receive(): a value goes from the sender's argument
  // straight into the receiver's slot and out again, never through an intermediate payload
  // (copying a freshly written std::optional as one word stalls store forwarding). On a lock
  // biased to this thread (a channel only this thread has used) they run inline down to the
  // stack jump (hot_path.hpp says why) with no lock and no guard state, and the partner is
  // woken without a token, as nothing else can have touched it; otherwise the same code runs
  // out of line under a real lock.
  WEFT_HOT void send_value(T&& v, detail::deadline until) {
    detail::scheduler_impl* me = detail::tls_scheduler;
    if (lock_.biased_to(me)) [[likely]] {
      detail::bias_hold g{&lock_};
      send_held(g, detail::core(me), std::move(v), until);
    } else {
      send_locked(std::move(v), until);
    }
  }
  WEFT_HOT T receive_value(detail::deadline until) {
    detail::scheduler_impl* me = detail::tls_scheduler;
    if (lock_.biased_to(me)) [[likely]] {
      detail::bias_hold g{&lock_};
      return receive_held(g, detail::core(me), until);
    }
    return receive_locked(until);
  }

  [[gnu::noinline]] void send_locked(T&& v, detail::deadline until) {
    detail::lock_guard g(lock_);
    // Taking the lock made this thread's scheduler if it had none: load it after.
    send_held(g, detail::this_core(), std::move(v), until);
  }
  [[gnu::noinline]] T receive_locked(detail::deadline until) {
    detail::lock_guard g(lock_);
    return receive_held(g, detail::this_core(), until);
  }

  template <class Guard>
  WEFT_HOT void send_held(Guard& g, detail::scheduler_core* s, T&& v, detail::deadline until) {
    if (closing_) [[unlikely]] throw_closed();
    if (detail::waiter* w = pop(receivers_)) {
      static_cast<detail::payload<T>*>(w->slot)->value.emplace(std::move(v));
      w->result = detail::wait_done;
      if (g.biased()) [[likely]] {
        detail::wake_local(s, w->task, send_mode());
        return;
      }
      auto tok = detail::prepare_wake(w);
      g.unlock();
      detail::wake(tok, send_mode());
      return;
    }
    if (count_ < cap_) {
      buf_[(head_ + count_) % cap_].value.emplace(std::move(v));
      ++count_;
      return;
    }
    detail::value_slot<T> slot(s);
    slot.get()->value.emplace(std::move(v));
    detail::waiter& w = detail::own_waiter_hot(s);
    w.slot = slot.get();
    w.queue_tag = 1;
    senders_.push_back(&w);
    detail::wake_reason r = detail::block_hot(s, g, send_kind, this, until);
    if (r == detail::wake_reason::timed_out) [[unlikely]]
      throw timeout_error("weft::channel::send: timed out");
    if (w.result == detail::wait_closed) [[unlikely]] throw_closed();
  }

  template <class Guard>
  WEFT_HOT T receive_held(Guard& g, detail::scheduler_core* s, detail::deadline until) {
    if (count_ != 0) [[unlikely]] {
      g.unlock();
      return unwrap(receive_payload(until));
    }
    if (detail::waiter* w = pop(senders_)) {
      auto* src = static_cast<detail::payload<T>*>(w->slot);
      if (src->error) [[unlikely]] rethrow_sent(g, w);
      T v(std::move(*src->value));
      w->result = detail::wait_done;
      if (g.biased()) [[likely]] {
        detail::wake_local(s, w->task, receive_mode());
        return v;
      }
      auto tok = detail::prepare_wake(w);
      g.unlock();
      detail::wake(tok, receive_mode());
      return v;
    }
    if (closing_) [[unlikely]] throw_closed();
    detail::value_slot<T> slot(s);
    detail::waiter& w = detail::own_waiter_hot(s);
    w.slot = slot.get();
    w.queue_tag = -1;
    receivers_.push_back(&w);
    detail::wake_reason r = detail::block_hot(s, g, receive_kind, this, until);
    if (r == detail::wake_reason::timed_out) [[unlikely]]
      throw timeout_error("weft::channel::receive: timed out");
    if (w.result == detail::wait_closed) [[unlikely]] throw_closed();
    return unwrap(std::move(*slot.get()));
  }

  [[noreturn, gnu::noinline, gnu::cold]] static void throw_closed() { throw channel_closed(); }
  // A blocked sender sent an exception: complete its wait and rethrow it here.
  template <class Guard>
  [[noreturn, gnu::noinline, gnu::cold]] void rethrow_sent(Guard& g, detail::waiter* w) {
    auto* src = static_cast<detail::payload<T>*>(w->slot);
    std::exception_ptr e = std::move(*src->error);
    w->result = detail::wait_done;
    auto tok = detail::prepare_wake(w);
    g.unlock();
    detail::wake(tok, receive_mode());
    std::rethrow_exception(e);
  }

  void send_payload(detail::payload<T>&& p, detail::deadline until, const char* op) {
    detail::lock_guard g(lock_);
    if (closing_) throw channel_closed();
    if (deliver(g, p)) return;
    detail::value_slot<T> slot;
    *slot.get() = std::move(p);
    detail::waiter& w = detail::own_waiter();
    w.slot = slot.get();
    w.queue_tag = 1;
    senders_.push_back(&w);
    if (detail::block(g, send_kind, this, until) == detail::wake_reason::timed_out)
      throw timeout_error(std::string("weft::channel::") + op + ": timed out");
    if (w.result == detail::wait_closed) throw channel_closed();
  }

  detail::payload<T> receive_payload(detail::deadline until) {
    detail::lock_guard g(lock_);
    detail::payload<T> out;
    if (take(g, out)) return out;
    if (closing_) throw channel_closed();
    detail::value_slot<T> slot;
    detail::waiter& w = detail::own_waiter();
    w.slot = slot.get();
    w.queue_tag = -1;
    receivers_.push_back(&w);
    if (detail::block(g, receive_kind, this, until) == detail::wake_reason::timed_out)
      throw timeout_error("weft::channel::receive: timed out");
    if (w.result == detail::wait_closed) throw channel_closed();
    return std::move(*slot.get());
  }

  static constexpr detail::wait_kind send_kind{&cancel_wait, "channel send", 1};
  static constexpr detail::wait_kind receive_kind{&cancel_wait, "channel receive", -1};

  mutable detail::biased_lock lock_;
  detail::wait_queue senders_;
  detail::wait_queue receivers_;
  std::size_t cap_;
  std::unique_ptr<detail::payload<T>[]> buf_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  int preference_ = -1;
  bool schedule_all_ = false;
  detail::wake_mode send_mode_ = detail::wake_mode::switch_now;  // see choose_wake_modes()
  detail::wake_mode receive_mode_ = detail::wake_mode::append;
  bool closing_ = false;
};

}  // namespace weft
