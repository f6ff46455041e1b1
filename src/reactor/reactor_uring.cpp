// The io_uring backend of the reactor (the contract is in poller.hpp; docs/reactor.md).
//
// Design:
//  - arm() queues a multishot IORING_OP_POLL_ADD (POLLIN|POLLOUT|POLLRDHUP): one SQE keeps
//    the fd armed, edge-triggered, like an EPOLLET registration. user_data packs fd and tag.
//  - Nothing is submitted per watch: queued SQEs go to the kernel once, in wait(), together
//    with the wait itself (io_uring_submit_and_wait_timeout, the timeout as an EXT_ARG, no
//    timeout SQE). With DEFER_TASKRUN and TASKRUN_FLAG the kernel posts completions only when
//    asked and flags that it has some, so a "just look" wait with nothing queued and nothing
//    flagged makes no system call at all (epoll pays an epoll_wait for it).
//  - wake() writes an eventfd that the ring itself reads (an IORING_OP_READ kept queued), so
//    a cross-thread wake-up costs the woken thread no extra read(2).
//  - disarm() cancels the poll and submits at once, flushing the deferred completion: an
//    armed poll holds a reference to the file, and close(2) must really close it (the peer
//    must see the FIN now, not at the next idle wait). IORING_OP_ASYNC_CANCEL rather than
//    POLL_REMOVE: a remove fails with -EALREADY while a wake-up of the poll is in flight,
//    which would leave the poll armed; a cancel marks it and the wake-up completes it.
//  - Completions: a multishot poll that ends without IORING_CQE_F_MORE (the kernel stops it
//    when the CQ is full) is armed again; -ECANCELED (disarmed), -EBADF (closed without
//    io_closing) and other errors end the registration (reactor::report_ended), and the next
//    wait arms again. Reports under a stale tag are dropped by the reactor.
//  - Fds the kernel cannot poll (regular files): the poll completes at once, without F_MORE.
//    The same question epoll answers with EPERM is asked then, of a probe epoll instance made
//    on first need, and the fd becomes always ready. So the first wait on such an fd lasts
//    until the next idle wait instead of none (arm() would otherwise pay two system calls
//    per new fd to ask first).
//  - The CQ holds 16384 entries, more than the connections of the echo benchmark, so even a
//    wake-up for every connection at once does not stop multishot polls; overflowed
//    completions (IORING_FEAT_NODROP) are flushed by the next system call.
//  - Receives (start_recv): a one-shot IORING_OP_RECV that picks a provided buffer (one
//    buffer ring) when data arrives, so an idle connection holds no buffer. Every receive
//    in flight has a buffer in the ring, so none fails with -ENOBUFS; released buffers wait
//    on a LIFO list and go back into the ring only as receives start, so few connections
//    keep reusing a few warm pages. Cancels are by user_data (a hash lookup in the kernel),
//    never by fd with CANCEL_ALL, which walks every request and made closing 10,000
//    connections quadratic.
// Rejected: receiving into the caller's buffer (a buffer shared by tasklets would be written
// while its users sleep); multishot recv (the kernel would read for connections nobody
// reads, holding buffers and defeating flow control).
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

#include "reactor/reactor.hpp"
#include "sys/real.hpp"

namespace weft::detail {

namespace {

// user_data of the two kinds of SQE that are not fd polls; fd polls are below 2^63.
constexpr std::uint64_t wake_tag = ~std::uint64_t{0};
constexpr std::uint64_t cancel_tag = ~std::uint64_t{0} - 1;  // only a failed cancel posts one
// An op's user_data is its address with the top bit set (user-space addresses never have it).
constexpr std::uint64_t op_bit = std::uint64_t{1} << 63;
constexpr unsigned sq_entries = 256;
constexpr unsigned cq_entries = 16384;
constexpr unsigned poll_mask = POLLIN | POLLOUT | POLLRDHUP;

std::uint64_t user_data(int fd, std::uint32_t tag) {
  return static_cast<std::uint32_t>(fd) | std::uint64_t{tag} << 32;
}

std::uint32_t bits_of(int mask) {
  std::uint32_t bits = 0;
  if (mask & POLLIN) bits |= poll_bits::in;
  if (mask & POLLOUT) bits |= poll_bits::out;
  if (mask & POLLRDHUP) bits |= poll_bits::rdhup;
  if (mask & (POLLHUP | POLLERR)) bits |= poll_bits::error;
  return bits;
}

std::uint64_t user_data(const io_op* op) { return reinterpret_cast<std::uintptr_t>(op) | op_bit; }

std::string error_text(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

class uring_poller final : public poller {
 public:
  // Sets up the ring; returns an empty string, or why io_uring cannot serve here.
  std::string open() {
    // Newest first: deferred task work (6.1) needs a single issuer; cooperative task work
    // (5.19) next; then plain (SUBMIT_ALL is 5.18).
    constexpr unsigned all = IORING_SETUP_SUBMIT_ALL;
    const unsigned flag_sets[] = {
        all | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
        all | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
        0,
    };
    int rc = -EINVAL;
    bool newest = true;
    for (unsigned flags : flag_sets) {
      io_uring_params p{};
      p.flags = flags | IORING_SETUP_CQSIZE;
      p.cq_entries = cq_entries;
      rc = io_uring_queue_init_params(sq_entries, &ring_, &p);
      if (rc != -EINVAL) break;
      newest = false;
    }
    if (rc < 0) return error_text("io_uring_queue_init", -rc);
    ring_ok_ = true;
    constexpr unsigned needed = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | IORING_FEAT_CQE_SKIP;
    if ((ring_.features & needed) != needed)
      return "the kernel lacks IORING_FEAT_NODROP, EXT_ARG or CQE_SKIP (Linux 5.17 or later)";
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    if (!probe) return "io_uring_get_probe_ring failed";
    bool ops = io_uring_opcode_supported(probe, IORING_OP_POLL_ADD) &&
               io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL) &&
               io_uring_opcode_supported(probe, IORING_OP_READ);
    // Receives need IORING_RECVSEND_POLL_FIRST (5.19): on the newest set-up only.
    recv_ok_ = newest && io_uring_opcode_supported(probe, IORING_OP_RECV);
    io_uring_free_probe(probe);
    if (!ops) return "the kernel lacks IORING_OP_POLL_ADD, ASYNC_CANCEL or READ";
    // Blocking on purpose: the ring reads it, and io_uring answers -EAGAIN for an O_NONBLOCK
    // file instead of waiting.
    wakefd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wakefd_ < 0) return error_text("eventfd", errno);
    wake_buf_ = new std::uint64_t(0);
    return {};
  }

  ~uring_poller() override {
    if (wake_armed_) take_back_wake_read();
    if (!wake_armed_) delete wake_buf_;
    // The ring goes first: once it is gone, the kernel holds no receive that could write
    // into a buffer.
    if (ring_ok_) io_uring_queue_exit(&ring_);
    unmap_buffers();
    if (wakefd_ >= 0) sys::real::close(wakefd_);
    if (probe_ >= 0) sys::real::close(probe_);
  }

  const char* name() const noexcept override { return "uring"; }

  bool arm(int fd, std::uint32_t tag) override {
    queue_poll(fd, tag);
    return true;
  }

  void disarm(int fd, std::uint32_t tag) noexcept override {
    io_uring_sqe* sqe = next_sqe();
    if (!sqe) return;
    io_uring_prep_cancel64(sqe, user_data(fd, tag), 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, cancel_tag);
    io_uring_submit_and_get_events(&ring_);
  }

  bool can_recv() const noexcept override { return recv_ok_; }

  bool start_recv(io_op* op) override {
    if (!buffers_ready_ && !set_up_buffers()) return false;
    // Every receive in flight has a buffer waiting for it in the ring, so none ever fails
    // with -ENOBUFS, however many complete at once.
    if (recvs_in_flight_ >= buffer_ring_entries) return false;
    while (buffers_in_ring_ <= recvs_in_flight_) {
      if (!offer_a_buffer()) return false;
    }
    io_uring_sqe* sqe = next_sqe();
    if (!sqe) return false;
    io_uring_prep_recv(sqe, op->fd, nullptr, std::min(op->len, kernel_recv_max), op->flags);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buffer_group;
    // A receive starts after a short read or an EAGAIN: the queue is most likely empty, so
    // the kernel should wait for data before trying (it tries at once if data is there).
    sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(sqe, user_data(op));
    ++recvs_in_flight_;
    return true;
  }

  // Submitted at once: finish_op() and closing() must not wait for the next idle point.
  void cancel_op(io_op* op) noexcept override {
    io_uring_sqe* sqe = next_sqe();
    if (!sqe) return;
    io_uring_prep_cancel64(sqe, user_data(op), 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, cancel_tag);
    io_uring_submit_and_get_events(&ring_);
  }

  void release_buffer(io_op* op) noexcept override { free_buffers_.push_back(op->buffer_id); }

  int wait(int timeout_ms, reactor& r) override {
    if (!wake_armed_) queue_wake_read();
    int rc = 0;
    if (timeout_ms == 0) {
      unsigned flags = IO_URING_READ_ONCE(*ring_.sq.kflags);
      if (io_uring_sq_ready(&ring_) > 0 || (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)))
        rc = io_uring_submit_and_get_events(&ring_);
    } else {
      __kernel_timespec ts{};
      ts.tv_sec = timeout_ms / 1000;
      ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
      io_uring_cqe* cqe = nullptr;
      rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout_ms < 0 ? nullptr : &ts, nullptr);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
      throw std::system_error(-rc, std::generic_category(), "weft: io_uring_enter");
    return reap(r);
  }

  void wake() noexcept override {
    std::uint64_t one = 1;
    ssize_t n = sys::real::write(wakefd_, &one, sizeof one);
    (void)n;
  }

 private:
  // The next free SQE; a full SQ is submitted first.
  io_uring_sqe* next_sqe() noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void queue_poll(int fd, std::uint32_t tag) {
    io_uring_sqe* sqe = next_sqe();
    if (!sqe) throw std::system_error(EBUSY, std::generic_category(), "weft: io_uring_get_sqe");
    io_uring_prep_poll_multishot(sqe, fd, poll_mask);
    io_uring_sqe_set_data64(sqe, user_data(fd, tag));
  }

  void queue_wake_read() {
    io_uring_sqe* sqe = next_sqe();
    if (!sqe) throw std::system_error(EBUSY, std::generic_category(), "weft: io_uring_get_sqe");
    io_uring_prep_read(sqe, wakefd_, wake_buf_, sizeof *wake_buf_, 0);
    io_uring_sqe_set_data64(sqe, wake_tag);
    wake_armed_ = true;
  }

  // Hands every completion now in the CQ to the reactor; no system call (what the kernel
  // holds back is fetched by the next wait).
  int reap(reactor& r) {
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      complete(*cqe, r);
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
    return static_cast<int>(seen);
  }

  void complete(const io_uring_cqe& c, reactor& r) {
    std::uint64_t ud = c.user_data;
    if (ud == wake_tag) {
      // Re-queued by the next wait. Any failure but a cancel would make every wait return
      // at once: a broken ring, not a state to spin in.
      if (c.res < 0 && c.res != -ECANCELED && c.res != -EINTR) {
        std::fprintf(stderr, "weft: io_uring read of the wake-up eventfd failed: %s\n", std::strerror(-c.res));
        std::abort();
      }
      wake_armed_ = false;
      return;
    }
    if (ud == cancel_tag) return;  // its poll or op had ended already (-ENOENT)
    if (ud & op_bit) {
      auto* op = reinterpret_cast<io_op*>(static_cast<std::uintptr_t>(ud & ~op_bit));
      --recvs_in_flight_;
      if (c.flags & IORING_CQE_F_BUFFER) {
        --buffers_in_ring_;
        op->buffer_id = static_cast<std::uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
        op->data = buffer_address(op->buffer_id);
        op->has_buffer = true;
      }
      r.op_done(op, c.res);
      return;
    }
    int fd = static_cast<int>(static_cast<std::uint32_t>(ud));
    auto tag = static_cast<std::uint32_t>(ud >> 32);
    if (c.res < 0) {
      // -ECANCELED: disarmed (the tag is stale: dropped); -EBADF: closed behind the
      // reactor's back; anything else: the kernel would not poll it. The waiters retry.
      r.report_ended(fd, tag, false);
      return;
    }
    bool current = r.report(fd, tag, bits_of(c.res));
    if (current && !(c.flags & IORING_CQE_F_MORE)) {
      if (cannot_poll(fd)) r.report_ended(fd, tag, true);
      else queue_poll(fd, tag);
    }
  }

  // The receive buffers (io_uring "provided buffers", one group): a ring the kernel takes
  // buffers from as receives complete, and the buffers themselves, mapped in slabs on first
  // need. A buffer the owner released goes to a LIFO free list and back into the ring only
  // when a new receive needs one, so a thread with few connections keeps reusing the same
  // warm pages, and memory grows with the receives in flight, not with time.
  bool set_up_buffers() {
    const std::size_t ring_bytes = buffer_ring_entries * sizeof(io_uring_buf);
    void* mem = ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return recv_ok_ = false;
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
    reg.ring_entries = buffer_ring_entries;
    reg.bgid = buffer_group;
    if (io_uring_register_buf_ring(&ring_, &reg, 0) != 0) {
      ::munmap(mem, ring_bytes);
      return recv_ok_ = false;
    }
    buffer_ring_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(buffer_ring_);
    buffers_ready_ = true;
    return true;
  }

  // Puts one free buffer (a new one if none is free) at the ring's tail.
  bool offer_a_buffer() noexcept {
    if (free_buffers_.empty() && !map_a_slab()) return false;
    std::uint16_t id = free_buffers_.back();
    free_buffers_.pop_back();
    io_uring_buf_ring_add(buffer_ring_, buffer_address(id), kernel_recv_max, id,
                          io_uring_buf_ring_mask(buffer_ring_entries), 0);
    io_uring_buf_ring_advance(buffer_ring_, 1);
    ++buffers_in_ring_;
    return true;
  }

  bool map_a_slab() noexcept {
    if (slabs_.size() * buffers_per_slab >= buffer_ring_entries) return false;
    void* mem = ::mmap(nullptr, buffers_per_slab * kernel_recv_max, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return false;
    try {
      slabs_.push_back(static_cast<std::byte*>(mem));
      free_buffers_.reserve(slabs_.size() * buffers_per_slab);
    } catch (...) {
      ::munmap(mem, buffers_per_slab * kernel_recv_max);
      return false;
    }
    // Highest id first: the LIFO list hands out the slab in address order.
    auto first = static_cast<std::uint16_t>((slabs_.size() - 1) * buffers_per_slab);
    for (std::size_t i = buffers_per_slab; i-- > 0;)
      free_buffers_.push_back(static_cast<std::uint16_t>(first + i));
    return true;
  }

  std::byte* buffer_address(std::uint16_t id) const noexcept {
    return slabs_[id / buffers_per_slab] + (id % buffers_per_slab) * kernel_recv_max;
  }

  void unmap_buffers() noexcept {
    if (buffer_ring_) ::munmap(buffer_ring_, buffer_ring_entries * sizeof(io_uring_buf));
    for (std::byte* slab : slabs_) ::munmap(slab, buffers_per_slab * kernel_recv_max);
  }

  // Whether the kernel has no poll method for fd (what epoll_ctl reports with EPERM).
  bool cannot_poll(int fd) {
    if (probe_ < 0) probe_ = sys::real::epoll_create1(EPOLL_CLOEXEC);
    if (probe_ < 0) return false;
    epoll_event ev{};
    if (::epoll_ctl(probe_, EPOLL_CTL_ADD, fd, &ev) == 0) {
      ::epoll_ctl(probe_, EPOLL_CTL_DEL, fd, nullptr);
      return false;
    }
    return errno == EPERM;
  }

  // The kernel writes *wake_buf_ when the read completes: the read must be gone before the
  // buffer is. Where it cannot be taken back (another thread tears the ring down), the
  // eight bytes are left to the kernel.
  void take_back_wake_read() noexcept {
    io_uring_sqe* sqe = next_sqe();
    if (!sqe) return;
    io_uring_prep_cancel64(sqe, wake_tag, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, cancel_tag);
    for (int i = 0; i < 100 && wake_armed_; ++i) {
      __kernel_timespec ts{0, 10000000};
      io_uring_cqe* cqe = nullptr;
      int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      if (rc < 0 && rc != -ETIME && rc != -EINTR) return;
      unsigned head;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        if (cqe->user_data == wake_tag) wake_armed_ = false;
        ++seen;
      }
      io_uring_cq_advance(&ring_, seen);
    }
  }

  io_uring ring_{};
  bool ring_ok_ = false;
  int wakefd_ = -1;
  int probe_ = -1;                     // epoll instance for cannot_poll(), made on first need
  std::uint64_t* wake_buf_ = nullptr;  // where the ring reads the eventfd's counter
  bool wake_armed_ = false;            // that read is queued or in flight
  bool recv_ok_ = false;               // the kernel has IORING_OP_RECV, and buffer rings

  static constexpr unsigned buffer_ring_entries = 16384;  // the most receives in flight
  static constexpr std::size_t buffers_per_slab = 256;     // 1 MiB of address space
  static constexpr int buffer_group = 0;
  bool buffers_ready_ = false;
  io_uring_buf_ring* buffer_ring_ = nullptr;
  std::vector<std::byte*> slabs_;
  std::vector<std::uint16_t> free_buffers_;  // LIFO: the warmest first
  unsigned buffers_in_ring_ = 0;             // offered to the kernel and not yet taken
  unsigned recvs_in_flight_ = 0;             // started and not yet reported
};

}  // namespace

std::unique_ptr<poller> make_uring_poller(std::string& why) {
  auto p = std::make_unique<uring_poller>();
  why = p->open();
  if (!why.empty()) return nullptr;
  return p;
}

}  // namespace weft::detail
