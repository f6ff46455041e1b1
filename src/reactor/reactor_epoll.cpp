// The epoll backend of the reactor (the contract is in poller.hpp).
//
// An fd is added once, edge-triggered (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), and deleted at
// disarm(); its data word carries fd and tag. The cross-thread wake-up is an eventfd in the
// same epoll set, drained when it fires.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "reactor/reactor.hpp"
#include "sys/real.hpp"

namespace weft::detail {

namespace {

constexpr std::uint64_t wake_tag = ~std::uint64_t{0};
constexpr int max_events = 256;

std::uint32_t bits_of(std::uint32_t events) {
  std::uint32_t bits = 0;
  if (events & EPOLLIN) bits |= poll_bits::in;
  if (events & EPOLLOUT) bits |= poll_bits::out;
  if (events & EPOLLRDHUP) bits |= poll_bits::rdhup;
  if (events & (EPOLLHUP | EPOLLERR)) bits |= poll_bits::error;
  return bits;
}

class epoll_poller final : public poller {
 public:
  epoll_poller() {
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
  ~epoll_poller() override {
    sys::real::close(wakefd_);
    sys::real::close(epfd_);
  }

  const char* name() const noexcept override { return "epoll"; }

  bool arm(int fd, std::uint32_t tag) override {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = static_cast<std::uint32_t>(fd) | std::uint64_t{tag} << 32;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0) return true;
    // EEXIST: the open file is still in the set under an older fd number's registration (a
    // dup closed without io_closing); take it over.
    if (errno == EEXIST && ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0) return true;
    if (errno == EPERM) return false;  // a regular file: epoll cannot poll it
    throw std::system_error(errno, std::generic_category(), "weft: epoll_ctl(ADD)");
  }

  void disarm(int fd, std::uint32_t) noexcept override { ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

  int wait(int timeout_ms, reactor& r) override {
    epoll_event* events = events_;
    int n = sys::real::epoll_wait(epfd_, events, max_events, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) return 0;
      throw std::system_error(errno, std::generic_category(), "weft: epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      std::uint64_t data = events[i].data.u64;
      if (data == wake_tag) {
        std::uint64_t drain;
        while (sys::real::read(wakefd_, &drain, sizeof drain) > 0) {
        }
        continue;
      }
      r.report(static_cast<int>(static_cast<std::uint32_t>(data)), static_cast<std::uint32_t>(data >> 32),
               bits_of(events[i].events));
    }
    return n;
  }

  void wake() noexcept override {
    std::uint64_t one = 1;
    ssize_t r = sys::real::write(wakefd_, &one, sizeof one);
    (void)r;
  }

 private:
  int epfd_ = -1;
  int wakefd_ = -1;
  // Not on the stack: wait() runs on the stack of whichever tasklet blocked last, and 3 KiB
  // there would touch another page of many tasklets' stacks (memory per idle connection).
  epoll_event events_[max_events];
};

}  // namespace

std::unique_ptr<poller> make_epoll_poller() { return std::make_unique<epoll_poller>(); }

}  // namespace weft::detail
