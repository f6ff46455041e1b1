// echo_load: a closed-loop echo client on 127.0.0.1, one thread.
//   --port P --conns N --size B --seconds S [--warmup W] [--name NAME] [--engine uring|epoll]
// The default engine queues every send and receive on an io_uring and submits them all with
// one system call per round (uring); `--engine epoll` is a level-triggered epoll loop making
// a read and a write per echo. On a machine where a system call costs a microsecond the epoll
// loop saturates its CPU before the servers do, and then measures itself.
// Each connection sends B bytes, waits for all B to come back (checking them), and sends
// again; after W seconds of warm-up it counts completed round trips for S seconds and prints
// `NAME <round trips per second> req/s`. With --server-pid PID it also prints
// `NAME_cpu <server CPU ns per round trip> ns`, summed over the server's threads: on a
// noisy 2-core machine the throughput is often bound by wake-up latency, not by the
// server's CPU, and this figure shows what each request costs the server regardless.
// It always prints `NAME_load_busy <percent>`: its own CPU use over the measured seconds.
//   --idle: opens N connections, sends nothing, holds them S seconds and exits; the caller
// measures the server meanwhile. Prints nothing on stdout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <dirent.h>
#include <liburing.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "figure.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "echo_load: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// A blocking connect (loopback completes at once unless the server's accept queue is full).
int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<unsigned short>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) fail("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// CPU time consumed so far by every thread of `pid`, in ns (/proc/PID/task/*/schedstat,
// first field); -1 if the process is gone.
double cpu_ns(long pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  double total = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::FILE* f = std::fopen((dir + "/" + e->d_name + "/schedstat").c_str(), "r");
    if (!f) continue;  // the thread just exited
    unsigned long long on_cpu = 0;
    if (std::fscanf(f, "%llu", &on_cpu) == 1) total += static_cast<double>(on_cpu);
    std::fclose(f);
  }
  closedir(d);
  return total;
}

// What a run measured: round trips in the counted window, and where that window started.
struct counts {
  long done = 0;
  double now = 0, counted_from = 0;
  double own_cpu_from = 0, server_cpu_from = -1;
};

// The warm-up then the counted window: call tick() after each batch of completions.
class window {
 public:
  window(double warmup, double seconds, long server_pid) : server_pid_(server_pid) {
    c.now = c.counted_from = bench::now_ns();
    measure_from_ = c.now + warmup * 1e9;
    end_ = measure_from_ + seconds * 1e9;
    measuring_ = warmup <= 0;
    c.server_cpu_from = server_pid > 0 ? cpu_ns(server_pid) : -1;
    c.own_cpu_from = cpu_ns(getpid());
  }
  bool open() const { return c.now < end_; }
  void tick() {
    c.now = bench::now_ns();
    if (!measuring_ && c.now >= measure_from_) {
      measuring_ = true;
      c.done = 0;
      c.counted_from = c.now;
      if (server_pid_ > 0) c.server_cpu_from = cpu_ns(server_pid_);
      c.own_cpu_from = cpu_ns(getpid());
    }
  }
  counts c;

 private:
  long server_pid_;
  double measure_from_ = 0, end_ = 0;
  bool measuring_ = false;
};

void check_echo(const char* got, const char* sent, long n) {
  if (std::memcmp(got, sent, static_cast<std::size_t>(n)) != 0) {
    std::fprintf(stderr, "echo_load: the echo differs from what was sent\n");
    std::exit(1);
  }
}

[[noreturn]] void server_closed() {
  std::fprintf(stderr, "echo_load: the server closed a connection\n");
  std::exit(1);
}

counts run_epoll(const std::vector<int>& fds, const std::vector<char>& request, double warmup,
                 double seconds, long server_pid) {
  const long size = static_cast<long>(request.size());
  std::vector<char> buf(size);
  for (int fd : fds) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fail("epoll_create1");
  int max_fd = 0;
  for (int fd : fds) max_fd = fd > max_fd ? fd : max_fd;
  std::vector<long> got(max_fd + 1, 0);  // bytes of the current echo received, by fd

  auto send_request = [&](int fd) {
    // At most one request is in flight per connection, so the send buffer always has room.
    ssize_t w = write(fd, request.data(), size);
    if (w != size) {
      if (w >= 0) errno = EAGAIN;
      fail("write");
    }
  };
  for (int fd : fds) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) fail("epoll_ctl");
    send_request(fd);
  }

  window w(warmup, seconds, server_pid);
  std::vector<epoll_event> events(1024);
  while (w.open()) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      ssize_t r = read(fd, buf.data(), size - got[fd]);
      if (r == 0) server_closed();
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        fail("read");
      }
      check_echo(buf.data(), request.data() + got[fd], r);
      got[fd] += r;
      if (got[fd] == size) {
        got[fd] = 0;
        ++w.c.done;
        send_request(fd);
      }
    }
    w.tick();
  }
  close(ep);
  return w.c;
}

// The uring engine: each connection always has one receive queued (into its own slice of a
// buffer) and, after each complete echo, a send; everything queued goes to the kernel in the
// one io_uring_enter that also waits for the next completions. The sockets stay blocking:
// io_uring answers -EAGAIN on an O_NONBLOCK socket instead of waiting for it.
counts run_uring(const std::vector<int>& fds, const std::vector<char>& request, double warmup,
                 double seconds, long server_pid) {
  const long size = static_cast<long>(request.size());
  const unsigned conns = static_cast<unsigned>(fds.size());
  io_uring ring;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  // A send and a receive per connection, twice over; never fewer than the SQ's entries.
  p.cq_entries = std::max(4 * conns + 64, 8192u);
  int rc = io_uring_queue_init_params(4096, &ring, &p);
  if (rc < 0) {
    errno = -rc;
    fail("io_uring_queue_init_params");
  }
  std::vector<char> bufs(static_cast<std::size_t>(size) * conns);
  std::vector<long> got(conns, 0);  // bytes of the current echo received, by connection
  constexpr std::uint64_t send_bit = std::uint64_t{1} << 32;

  auto sqe = [&] {
    io_uring_sqe* e = io_uring_get_sqe(&ring);
    if (!e) {
      io_uring_submit(&ring);
      e = io_uring_get_sqe(&ring);
      if (!e) fail("io_uring_get_sqe");
    }
    return e;
  };
  auto queue_recv = [&](unsigned i) {
    io_uring_sqe* e = sqe();
    io_uring_prep_recv(e, fds[i], bufs.data() + static_cast<std::size_t>(i) * size + got[i],
                       static_cast<std::size_t>(size - got[i]), 0);
    io_uring_sqe_set_data64(e, i);
  };
  auto queue_send = [&](unsigned i) {
    io_uring_sqe* e = sqe();
    io_uring_prep_send(e, fds[i], request.data(), static_cast<std::size_t>(size), 0);
    io_uring_sqe_set_data64(e, send_bit | i);
  };
  for (unsigned i = 0; i < conns; ++i) {
    queue_send(i);
    queue_recv(i);
  }

  window w(warmup, seconds, server_pid);
  while (w.open()) {
    __kernel_timespec ts{0, 50000000};
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR) {
      errno = -rc;
      fail("io_uring_submit_and_wait_timeout");
    }
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      auto i = static_cast<unsigned>(cqe->user_data);
      int res = cqe->res;
      if (cqe->user_data & send_bit) {
        if (res == size) continue;
        errno = res < 0 ? -res : EAGAIN;  // a short send of a request that fits the buffer
        fail("send");
      }
      if (res == 0) server_closed();
      if (res < 0) {
        errno = -res;
        fail("recv");
      }
      char* slice = bufs.data() + static_cast<std::size_t>(i) * size;
      check_echo(slice + got[i], request.data() + got[i], res);
      got[i] += res;
      if (got[i] == size) {
        got[i] = 0;
        ++w.c.done;
        queue_send(i);
      }
      queue_recv(i);
    }
    io_uring_cq_advance(&ring, seen);
    w.tick();
  }
  io_uring_queue_exit(&ring);
  return w.c;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = static_cast<int>(bench::arg_long(argc, argv, "--port", 0));
  const long conns = bench::arg_long(argc, argv, "--conns", 100);
  const long size = bench::arg_long(argc, argv, "--size", 64);
  const double seconds = std::atof(bench::arg_str(argc, argv, "--seconds", "5"));
  const double warmup = std::atof(bench::arg_str(argc, argv, "--warmup", "1"));
  const std::string name = bench::arg_str(argc, argv, "--name", "echo");
  const long server_pid = bench::arg_long(argc, argv, "--server-pid", 0);
  bool idle = false;
  for (int i = 1; i < argc; ++i) idle |= std::strcmp(argv[i], "--idle") == 0;
  if (port <= 0 || conns <= 0 || size <= 0 || size > 65536 || seconds <= 0) {
    std::fprintf(stderr,
                 "usage: echo_load --port P --conns N --size B --seconds S [--warmup W] "
                 "[--name NAME] [--engine uring|epoll] [--idle]\n");
    return 2;
  }
  const std::string engine = bench::arg_str(argc, argv, "--engine", "uring");
  if (engine != "uring" && engine != "epoll") {
    std::fprintf(stderr, "echo_load: --engine %s: use uring or epoll\n", engine.c_str());
    return 2;
  }
  raise_fd_limit();

  std::vector<int> fds;
  fds.reserve(conns);
  for (long i = 0; i < conns; ++i) fds.push_back(connect_to(port));
  std::fprintf(stderr, "echo_load: %ld connections open\n", conns);

  if (idle) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return 0;
  }

  std::vector<char> request(size);
  for (long i = 0; i < size; ++i) request[i] = static_cast<char>('a' + i % 26);
  counts c = engine == "uring" ? run_uring(fds, request, warmup, seconds, server_pid)
                               : run_epoll(fds, request, warmup, seconds, server_pid);
  const long done = c.done;
  const double now = c.now, counted_from = c.counted_from;
  const double own_cpu_from = c.own_cpu_from, server_cpu_from = c.server_cpu_from;
  bench::print_figure(name, done / ((now - counted_from) / 1e9), "req/s");
  // How busy this load was, in percent: near 100 means it, not the server, may have set the pace.
  bench::print_figure(name + "_load_busy", 100 * (cpu_ns(getpid()) - own_cpu_from) / (now - counted_from), "%");
  if (server_pid > 0 && done > 0) {
    double server_cpu_to = cpu_ns(server_pid);
    if (server_cpu_from >= 0 && server_cpu_to >= 0)
      bench::print_figure(name + "_cpu", (server_cpu_to - server_cpu_from) / done, "ns");
  }
  return 0;
}
