// echo_load: a closed-loop echo client on 127.0.0.1, one thread, level-triggered epoll.
//   --port P --conns N --size B --seconds S [--warmup W] [--name NAME]
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
#include <fcntl.h>
#include <unistd.h>

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

// A blocking connect (loopback completes at once unless the server's accept queue is full),
// then non-blocking for the event loop.
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
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
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
                 "[--name NAME] [--idle]\n");
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
  std::vector<char> buf(size);

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

  const double start = bench::now_ns();
  const double measure_from = start + warmup * 1e9;
  const double end = measure_from + seconds * 1e9;
  long done = 0;
  bool measuring = warmup <= 0;
  double now = start, counted_from = start;
  double server_cpu_from = server_pid > 0 ? cpu_ns(server_pid) : -1;
  double own_cpu_from = cpu_ns(getpid());
  std::vector<epoll_event> events(1024);
  while (now < end) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      ssize_t r = read(fd, buf.data(), size - got[fd]);
      if (r == 0) {
        std::fprintf(stderr, "echo_load: the server closed a connection\n");
        return 1;
      }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        fail("read");
      }
      if (std::memcmp(buf.data(), request.data() + got[fd], r) != 0) {
        std::fprintf(stderr, "echo_load: the echo differs from what was sent\n");
        return 1;
      }
      got[fd] += r;
      if (got[fd] == size) {
        got[fd] = 0;
        ++done;
        send_request(fd);
      }
    }
    now = bench::now_ns();
    if (!measuring && now >= measure_from) {
      measuring = true;
      done = 0;
      counted_from = now;
      if (server_pid > 0) server_cpu_from = cpu_ns(server_pid);
      own_cpu_from = cpu_ns(getpid());
    }
  }
  bench::print_figure(name, done / ((now - counted_from) / 1e9), "req/s");
  // How busy this load was: near 1.0 means it, not the server, may have set the pace.
  bench::print_figure(name + "_load_busy", 100 * (cpu_ns(getpid()) - own_cpu_from) / (now - counted_from), "%");
  if (server_pid > 0 && done > 0) {
    double server_cpu_to = cpu_ns(server_pid);
    if (server_cpu_from >= 0 && server_cpu_to >= 0)
      bench::print_figure(name + "_cpu", (server_cpu_to - server_cpu_from) / done, "ns");
  }
  return 0;
}
