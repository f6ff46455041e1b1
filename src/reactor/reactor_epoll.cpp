// The epoll backend of the reactor (see reactor.hpp for the contract).
//
// Design: an fd is registered edge-triggered (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET) the
// first time a tasklet waits on it and stays registered until io_closing(). Readiness is
// handed only to tasklets that wait; an edge that arrives while nobody waits sets a ready
// bit that the next wait consumes, so the caller retries its syscall (Go's netpoll does the
// same). Rejected: EPOLLONESHOT or add/remove per wait, which costs one or two extra
// epoll_ctl calls per blocking read and made the echo benchmark a fifth slower than a plain
// epoll server. The cost of keeping the registration is nil: an idle fd raises no events.
#include "reactor/reactor.hpp"

#include "sys/real.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace weft::detail {

namespace {
constexpr std::uint64_t wake_tag = ~std::uint64_t{0};
}

reactor::reactor() {
  epfd_ = sys::real::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "weft: epoll_create1");
  wakefd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) {
    int err = errno;
    sys::real::close(epfd_);
    throw std::system_error(err, std::generic_category(), "weft: eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = wake_tag;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
}

reactor::~reactor() {
  sys::real::close(wakefd_);
  sys::real::close(epfd_);
}

reactor::fd_entry& reactor::entry(int fd) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 64);
  return fds_[static_cast<std::size_t>(fd)];
}

bool reactor::take_ready(int fd, io_event ev) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return false;
  fd_entry& e = fds_[static_cast<std::size_t>(fd)];
  bool& bit = ev == io_event::readable ? e.read_ready : e.write_ready;
  if (!bit) return false;
  bit = false;
  return true;
}

bool reactor::watch(int fd, io_event ev, waiter* w) {
  fd_entry& e = entry(fd);
  if (e.unwatchable) return false;
  if (!e.registered) {
    epoll_event pe{};
    pe.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    pe.data.u64 = static_cast<std::uint64_t>(fd);
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &pe) != 0 && errno != EEXIST) {
      // Regular files and other fds epoll refuses are always ready: the wait completes at
      // once, this time and every later time until closing().
      if (errno == EPERM) {
        e.unwatchable = true;
        return false;
      }
      throw std::system_error(errno, std::generic_category(), "weft: epoll_ctl(ADD)");
    }
    e.registered = true;
  }
  (ev == io_event::readable ? e.readers : e.writers).push_back(w);
  ++waiting_;
  return true;
}

void reactor::unwatch(int fd, io_event ev, waiter* w) noexcept {
  if (!w->linked || fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  fd_entry& e = fds_[static_cast<std::size_t>(fd)];
  (ev == io_event::readable ? e.readers : e.writers).erase(w);
  --waiting_;
}

void reactor::dispatch(int fd, std::uint32_t events, ready_fn on_ready, void* ctx) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) return;
  fd_entry& e = fds_[static_cast<std::size_t>(fd)];
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) e.hangup = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    if (e.readers.empty()) e.read_ready = true;
    while (waiter* w = e.readers.pop_front()) {
      --waiting_;
      on_ready(ctx, w, io_status::ready);
    }
  }
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
    if (e.writers.empty()) e.write_ready = true;
    while (waiter* w = e.writers.pop_front()) {
      --waiting_;
      on_ready(ctx, w, io_status::ready);
    }
  }
}

int reactor::poll(int timeout_ms, ready_fn on_ready, void* ctx) {
  epoll_event events[256];
  int n = sys::real::epoll_wait(epfd_, events, 256, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return 0;
    throw std::system_error(errno, std::generic_category(), "weft: epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == wake_tag) {
      std::uint64_t drain;
      while (sys::real::read(wakefd_, &drain, sizeof drain) > 0) {
      }
      continue;
    }
    dispatch(static_cast<int>(events[i].data.u64), events[i].events, on_ready, ctx);
  }
  return n;
}

void reactor::closing(int fd, ready_fn on_ready, void* ctx) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  fd_entry& e = fds_[static_cast<std::size_t>(fd)];
  if (e.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  e.registered = false;
  e.read_ready = e.write_ready = e.hangup = e.unwatchable = false;
  for (wait_queue* q : {&e.readers, &e.writers}) {
    while (waiter* w = q->pop_front()) {
      --waiting_;
      on_ready(ctx, w, io_status::closed);
    }
  }
}

void reactor::notify() noexcept {
  std::uint64_t one = 1;
  ssize_t r = sys::real::write(wakefd_, &one, sizeof one);
  (void)r;
}

}  // namespace weft::detail
