// The generic half of the reactor: per-fd state and waiters (see reactor.hpp), and the
// choice of backend (WEFT_REACTOR).
#include "reactor/reactor.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace weft::detail {

namespace {
// The calling thread's reactor, for reactor_backend_name(); the core owns it.
thread_local reactor* tls_reactor = nullptr;
}  // namespace

std::unique_ptr<poller> make_poller(const char* weft_reactor) {
  std::string want = weft_reactor ? weft_reactor : "";
  if (want == "epoll") return make_epoll_poller();
  std::string why;
  if (want.empty()) {
    if (auto p = make_uring_poller(why)) return p;
    return make_epoll_poller();
  }
  if (want == "uring") {
    if (auto p = make_uring_poller(why)) return p;
    throw std::system_error(std::make_error_code(std::errc::function_not_supported),
                            "weft: WEFT_REACTOR=uring, but io_uring cannot be used here: " + why);
  }
  throw std::invalid_argument("weft: WEFT_REACTOR=" + want +
                              " names no reactor backend (use epoll or uring, or leave it unset)");
}

reactor::reactor() : reactor(make_poller(std::getenv("WEFT_REACTOR"))) {}

reactor::reactor(std::unique_ptr<poller> backend) : backend_(std::move(backend)) {
  tls_reactor = this;
}

reactor::~reactor() {
  if (tls_reactor == this) tls_reactor = nullptr;
}

const char* reactor_backend_name() noexcept { return tls_reactor ? tls_reactor->backend_name() : nullptr; }

std::uint64_t reactor_recvs_started() noexcept { return tls_reactor ? tls_reactor->recvs_started() : 0; }

reactor::fd_entry& reactor::entry(int fd) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 64);
  return fds_[static_cast<std::size_t>(fd)];
}

bool reactor::watch(int fd, io_event ev, waiter* w) {
  fd_entry& e = entry(fd);
  if (e.unwatchable) return false;
  if (!e.armed) {
    // Regular files and other fds the kernel cannot poll are always ready: the wait
    // completes at once, this time and every later time until closing().
    if (!backend_->arm(fd, e.tag)) {
      e.unwatchable = true;
      return false;
    }
    e.armed = true;
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

void reactor::wake_all(wait_queue& q, io_status status) {
  while (waiter* w = q.pop_front()) {
    --waiting_;
    on_ready_(ready_ctx_, w, status);
  }
}

bool reactor::report(int fd, std::uint32_t tag, std::uint32_t bits) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return false;
  fd_entry& e = fds_[static_cast<std::size_t>(fd)];
  if (!e.armed || e.tag != tag) return false;
  if (bits & (poll_bits::rdhup | poll_bits::error)) e.hangup = true;
  if (bits & (poll_bits::in | poll_bits::rdhup | poll_bits::error)) {
    if (e.readers.empty()) e.read_ready = true;
    else wake_all(e.readers, io_status::ready);
  }
  if (bits & (poll_bits::out | poll_bits::error)) {
    if (e.writers.empty()) e.write_ready = true;
    else wake_all(e.writers, io_status::ready);
  }
  return true;
}

void reactor::report_ended(int fd, std::uint32_t tag, bool always_ready) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  fd_entry& e = fds_[static_cast<std::size_t>(fd)];
  if (!e.armed || e.tag != tag) return;
  e.armed = false;
  e.unwatchable = always_ready;
  wake_all(e.readers, io_status::ready);
  wake_all(e.writers, io_status::ready);
}

bool reactor::start_recv(io_op* op) {
  if (!backend_->can_recv() || op->fd < 0) return false;
  auto i = static_cast<std::size_t>(op->fd);
  if (i >= ops_.size()) ops_.resize(i + 64, nullptr);
  if (ops_[i] || !backend_->start_recv(op)) return false;
  ops_[i] = op;
  ++waiting_;
  ++recvs_started_;
  // The op reads whatever is there when it runs: a readiness edge seen before is used up.
  if (i < fds_.size()) fds_[i].read_ready = false;
  return true;
}

void reactor::finish_op(io_op* op, ready_fn on_ready, void* ctx) {
  if (!op->cancelling) {
    op->cancelling = true;
    backend_->cancel_op(op);
  }
  on_ready_ = on_ready;
  ready_ctx_ = ctx;
  // A cancel of a receive the kernel holds completes it in the same system call; the loop
  // is for reports that come first.
  while (!op->done) backend_->wait(-1, *this);
}

void reactor::finish_op_quietly(io_op* op, ready_fn on_ready, void* ctx) noexcept {
  try {
    finish_op(op, on_ready, ctx);
  } catch (...) {
    // The ring failed: the op ends with the ring, and its owner wakes when it is reported.
  }
}

void reactor::op_done(io_op* op, int result) {
  auto i = static_cast<std::size_t>(op->fd);
  if (i < ops_.size() && ops_[i] == op) ops_[i] = nullptr;
  --waiting_;
  op->result = result;
  op->done = true;
  if (waiter* w = std::exchange(op->w, nullptr))
    on_ready_(ready_ctx_, w, op->closed ? io_status::closed : io_status::ready);
}

int reactor::poll(int timeout_ms, ready_fn on_ready, void* ctx) {
  on_ready_ = on_ready;
  ready_ctx_ = ctx;
  return backend_->wait(timeout_ms, *this);
}

void reactor::closing(int fd, ready_fn on_ready, void* ctx) noexcept {
  if (fd < 0) return;
  if (static_cast<std::size_t>(fd) < ops_.size()) {
    if (io_op* op = ops_[static_cast<std::size_t>(fd)]) {
      // The op holds the file: it must end before close(2), or the peer would not see the
      // close. Its owner wakes now with io_status::closed, in order with the other waiters.
      op->closed = true;
      finish_op_quietly(op, on_ready, ctx);
    }
  }
  if (static_cast<std::size_t>(fd) >= fds_.size()) return;
  fd_entry& e = fds_[static_cast<std::size_t>(fd)];
  if (e.armed) backend_->disarm(fd, e.tag);
  e.armed = false;
  e.tag = (e.tag + 1) & tag_mask;
  e.read_ready = e.write_ready = e.hangup = e.unwatchable = false;
  on_ready_ = on_ready;
  ready_ctx_ = ctx;
  wake_all(e.readers, io_status::closed);
  wake_all(e.writers, io_status::closed);
}

}  // namespace weft::detail
