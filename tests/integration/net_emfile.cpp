// Out of descriptors in accept: the listener neither spins nor closes, and the waiting
// connection is accepted once descriptors are free again (back-off, not the reserve-fd trick).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vector>

#include "unit/net_test.hpp"

using namespace net_test;

namespace {

double thread_cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
         ru.ru_stime.tv_usec / 1e3;
}

}  // namespace

TEST(NetEmfile, AcceptBacksOffAndKeepsTheListener) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  net::socket client = net::tcp_connect(l.local_address());  // waits in the backlog

  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(open_fds() + 16);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
  ASSERT_EQ(errno, EMFILE);

  // accept() with a timeout: it must sleep between attempts, then time out, not fail EMFILE.
  l.sock().set_timeout(300ms);
  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = thread_cpu_ms();
  std::error_code ec;
  net::socket none = l.accept(nullptr, ec);
  double wall = ms_since(t0);
  double cpu = thread_cpu_ms() - cpu0;
  EXPECT_EQ(ec, std::errc::timed_out) << ec.message();
  EXPECT_GE(wall, 290);
  EXPECT_LT(cpu, wall / 4) << "accept spun on EMFILE";

  // Non-blocking mode reports EMFILE instead of waiting.
  l.sock().set_blocking(false);
  l.accept(nullptr, ec);
  EXPECT_EQ(ec, std::errc::too_many_files_open);

  // Free descriptors while a tasklet waits in accept: it gets the queued connection.
  l.sock().set_blocking(true);
  std::string got;
  weft::spawn([&] {
    net::socket s = l.accept();
    got = s.recv(16);
  });
  weft::spawn([&] {
    weft::sleep_for(30ms);
    for (int fd : fillers) ::close(fd);
    fillers.clear();
    client.sendall("after emfile");
  });
  weft::run();
  setrlimit(RLIMIT_NOFILE, &saved);
  for (int fd : fillers) ::close(fd);
  EXPECT_EQ(got, "after emfile");
  EXPECT_TRUE(l.is_open());
}
