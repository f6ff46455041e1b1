// select: wait on several channel operations at once and complete exactly one (Go's
// select), with an optional default (try_select) or timeout (select_for).
//
//   std::optional<int> got;
//   switch (weft::select(weft::on_receive(numbers, got), weft::on_send(words, w))) {
//     case 0: ... got holds the value (empty if `numbers` was closed)
//     case 1: ... w was sent
//   }
//
// Invariants: a select's waiters, its record and its payload slots live in heap memory owned
// by the call (never on a dense stack); the first case whose partner arrives claims the
// select_record, and every other case's waiter is unlinked before select returns or unwinds,
// except from a channel that was destroyed meanwhile (it unlinked and marked them).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "weft/channel.hpp"
#include "weft/detail/io_wait.hpp"

namespace weft {

template <class T>
struct receive_case {
  channel<T>* ch;
  std::optional<T>* out;
};
template <class T>
struct send_case {
  channel<T>* ch;
  T value;
};

// Waits for a file descriptor (a socket's native_handle()) to become readable or writable.
// A select that picks it only says the fd is ready: the next read or write will not block
// (or will report the error). If the fd is closed (socket::close) meanwhile, `closed` is set.
struct io_case {
  int fd;
  detail::io_event ev;
  bool* closed = nullptr;
};
inline io_case on_readable(int fd, bool* closed = nullptr) {
  return {fd, detail::io_event::readable, closed};
}
inline io_case on_writable(int fd, bool* closed = nullptr) {
  return {fd, detail::io_event::writable, closed};
}

// Receives into `out`; after a select that picked this case, `out` is empty iff the
// channel was closed and drained.
template <class T>
receive_case<T> on_receive(channel<T>& ch, std::optional<T>& out) {
  return {&ch, &out};
}
template <class T, class V>
send_case<T> on_send(channel<T>& ch, V&& v) {
  return {&ch, T(std::forward<V>(v))};
}

namespace detail {

struct select_access {
  template <class T>
  static biased_lock& lock(receive_case<T>& c) { return c.ch->lock_; }
  template <class T>
  static biased_lock& lock(send_case<T>& c) { return c.ch->lock_; }
  // Readiness belongs to this thread's reactor: no lock to take.
  static biased_lock& lock(io_case&) {
    static thread_local biased_lock none;
    return none;
  }

  static bool try_now(io_case& c, wake_token&, wake_mode&, std::exception_ptr&) {
    if (c.closed) *c.closed = false;
    return io_ready_now(c.fd, c.ev);
  }
  static void enqueue(io_case& c, waiter* w, void*) { io_watch(c.fd, c.ev, w); }
  static void unlink(io_case& c, waiter* w) { io_unwatch(c.fd, c.ev, w); }
  static void finish(io_case& c, waiter* w, void*) {
    if (c.closed) *c.closed = w->result == static_cast<std::uint8_t>(io_status::closed);
  }

  // Each returns true if the case completed at once (under the locks); a partner to
  // wake is left in tok/mode.
  template <class T>
  static bool try_now(receive_case<T>& c, wake_token& tok, wake_mode& mode, std::exception_ptr& err) {
    payload<T> p;
    if (c.ch->take_locked(p, tok, mode)) {
      if (p.error) err = *p.error;
      else *c.out = std::move(p.value);
      return true;
    }
    if (c.ch->closing_ && c.ch->senders_.empty()) {
      c.out->reset();
      return true;
    }
    return false;
  }
  template <class T>
  static bool try_now(send_case<T>& c, wake_token& tok, wake_mode& mode, std::exception_ptr& err) {
    if (c.ch->closing_) {
      err = std::make_exception_ptr(channel_closed());
      return true;
    }
    payload<T> p;
    p.value.emplace(std::move(c.value));
    if (c.ch->deliver_locked(p, tok, mode)) return true;
    c.value = std::move(*p.value);
    return false;
  }
  template <class T>
  static void enqueue(receive_case<T>& c, waiter* w, payload<T>* slot) {
    w->slot = slot;
    c.ch->receivers_.push_back(w);
  }
  template <class T>
  static void enqueue(send_case<T>& c, waiter* w, payload<T>* slot) {
    slot->value.emplace(std::move(c.value));
    w->slot = slot;
    c.ch->senders_.push_back(w);
  }
  template <class T>
  static void unlink(receive_case<T>& c, waiter* w) {
    c.ch->receivers_.erase(w);
  }
  template <class T>
  static void unlink(send_case<T>& c, waiter* w) {
    c.ch->senders_.erase(w);
  }
  template <class T>
  static void finish(receive_case<T>& c, waiter* w, payload<T>* slot) {
    if (w->result == wait_closed) {
      c.out->reset();
      return;
    }
    if (slot->error) std::rethrow_exception(*slot->error);
    *c.out = std::move(slot->value);
  }
  template <class T>
  static void finish(send_case<T>&, waiter* w, payload<T>*) {
    if (w->result == wait_closed) throw channel_closed();
  }
};

template <class C>
struct case_payload;
template <class T>
struct case_payload<receive_case<T>> {
  using type = payload<T>;
};
template <class T>
struct case_payload<send_case<T>> {
  using type = payload<T>;
};
template <>
struct case_payload<io_case> {
  struct type {};
};

// The current tasklet and its wait sequence, for the select's own waiter nodes.
void current_wait_identity(tasklet_impl** task, std::uint32_t* seq);
bool cancel_select(void* owner, waiter* w) noexcept;
void select_yield_if_needed();

template <class... C>
int select_impl(deadline until, bool may_block, C&... cases) {
  constexpr std::size_t n = sizeof...(C);
  auto locks = std::array<biased_lock*, n>{&select_access::lock(cases)...};
  // Touch each lock alone first, so that any bias revocation happens while no other
  // lock of this select is held.
  for (biased_lock* l : locks) {
    lock_guard g(*l);
  }
  // Lock every channel (address order, each once), then try the cases in order.
  auto order = locks;
  std::sort(order.begin(), order.end());
  auto last = std::unique(order.begin(), order.end());
  struct multi_lock {
    biased_lock** b;
    biased_lock** e;
    std::array<bool, n> taken = {};
    bool held = false;
    void lock() {
      for (auto** p = b; p != e; ++p) taken[p - b] = (*p)->lock();
      held = true;
    }
    void unlock() noexcept {
      if (!held) return;
      for (auto** p = b; p != e; ++p) (*p)->unlock(taken[p - b]);
      held = false;
    }
    ~multi_lock() { unlock(); }
  } ml{order.data(), last};
  ml.lock();
  {
    int i = 0;
    int done = -1;
    wake_token tok;
    wake_mode mode{};
    std::exception_ptr err;
    auto try_one = [&](auto& c) {
      if (done < 0 && select_access::try_now(c, tok, mode, err)) done = i;
      ++i;
    };
    (try_one(cases), ...);
    if (done >= 0 || !may_block) {
      ml.unlock();
      if (tok.task) wake(tok, mode);
      if (err) std::rethrow_exception(err);
      return done;
    }
  }

  // Everything a partner may touch while this tasklet is switched out lives on the heap:
  // on a dense stack, this frame is elsewhere (or overwritten) until the tasklet resumes.
  struct state {
    select_record rec;
    waiter nodes[n];
    std::tuple<typename case_payload<C>::type...> slots;
  };
  auto st = std::make_unique<state>();
  waiter* nodes = st->nodes;
  tasklet_impl* self = nullptr;
  std::uint32_t seq = 0;
  current_wait_identity(&self, &seq);
  {
    std::size_t i = 0;
    auto setup = [&](auto& c, auto& slot) {
      waiter& w = nodes[i];
      w.task = self;
      w.seq = seq;
      w.sel = &st->rec;
      w.index = static_cast<int>(i);
      select_access::enqueue(c, &w, &slot);
      ++i;
    };
    std::apply([&](auto&... s) { (setup(cases, s), ...); }, st->slots);
  }
  struct cleanup {
    const std::array<biased_lock*, n>& locks;
    std::tuple<C&...> cs;
    waiter* nodes;
    // Unlinks every case still queued. A channel destroyed meanwhile has unlinked its
    // cases and marked them: its lock is gone too, so it is left out.
    ~cleanup() {
      std::array<biased_lock*, n> live{};
      std::size_t k = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (!nodes[i].owner_gone.load(std::memory_order_acquire)) live[k++] = locks[i];
      std::sort(live.begin(), live.begin() + k);
      multi_lock ml{live.data(), std::unique(live.begin(), live.begin() + k)};
      ml.lock();
      std::size_t i = 0;
      auto one = [&](auto& c) {
        if (!nodes[i].owner_gone.load(std::memory_order_acquire)) select_access::unlink(c, &nodes[i]);
        ++i;
      };
      std::apply([&](auto&... c) { (one(c), ...); }, cs);
      ml.unlock();
    }
  } tidy{locks, std::tuple<C&...>(cases...), nodes};

  // A dummy guard: the channel locks are released just before blocking.
  static constexpr wait_kind select_kind{&cancel_select, "select", 0};
  lock_guard g = [&]() -> lock_guard {
    static thread_local biased_lock none;
    return lock_guard(none);
  }();
  ml.unlock();
  wake_reason why = block(g, select_kind, &st->rec, until);
  int fired = st->rec.fired.load(std::memory_order_acquire);
  if (why == wake_reason::timed_out || fired < 0) return -1;
  {
    std::size_t i = 0;
    auto fin = [&](auto& c, auto& slot) {
      if (static_cast<int>(i) == fired) select_access::finish(c, &nodes[i], &slot);
      ++i;
    };
    std::apply([&](auto&... s) { (fin(cases, s), ...); }, st->slots);
  }
  return fired;
}

}  // namespace detail

// Blocks until one case completes and returns its index (cases are tried in order when
// several are ready at once). A kill meanwhile unwinds from here with every case withdrawn.
template <class... C>
int select(C... cases) {
  return detail::select_impl(detail::forever, true, cases...);
}
// Completes a ready case, or returns -1 at once (Go's `default:`).
template <class... C>
int try_select(C... cases) {
  return detail::select_impl(detail::forever, false, cases...);
}

// As select(), but returns -1 if no case completed within `d`.
template <class... C>
int select_for(std::chrono::steady_clock::duration d, C... cases) {
  return detail::select_impl(std::chrono::steady_clock::now() + d, true, cases...);
}

}  // namespace weft
