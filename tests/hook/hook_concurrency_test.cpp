// Two tasklets on one thread, each in a plain blocking call: the one that waits lets the
// other run. The order of events proves it: the waker runs while the waiter is inside the
// call, and the waiter returns with what the waker sent.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#include <string>

#include "hook_test.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

using namespace hook_test;

namespace {

// Runs `waiter` and `waker` as two tasklets (waiter first) and returns the log they wrote.
template <class Waiter, class Waker>
std::vector<std::string> run_pair(Waiter waiter, Waker waker) {
  std::vector<std::string> log;
  weft::spawn([&] { waiter(log); });
  weft::spawn([&] { waker(log); });
  weft::run();
  return log;
}

const std::vector<std::string> waker_first = {"waker ran", "waiter returned"};

}  // namespace

TEST(HookConcurrency, RecvLetsTheOtherTaskletRun) {
  weft::hook::reset_counts();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  safety_timeout(sv[0]);
  std::string got;
  auto log = run_pair(
      [&](auto& log) {
        char buf[16];
        ssize_t n = ::recv(sv[0], buf, sizeof buf, 0);
        got.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        log.push_back("waiter returned");
      },
      [&](auto& log) {
        log.push_back("waker ran");
        ASSERT_EQ(::send(sv[1], "ping", 4, 0), 4);
      });
  EXPECT_EQ(log, waker_first);
  EXPECT_EQ(got, "ping");
  EXPECT_EQ(handled("recv"), 1u);
  EXPECT_EQ(handled("send"), 1u);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(HookConcurrency, ReadOnAPipeLetsTheOtherTaskletRun) {
  weft::hook::reset_counts();
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string got;
  auto log = run_pair(
      [&](auto& log) {
        char buf[16];
        ssize_t n = ::read(p[0], buf, sizeof buf);
        got.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        log.push_back("waiter returned");
      },
      [&](auto& log) {
        log.push_back("waker ran");
        ASSERT_EQ(::write(p[1], "data", 4), 4);
      });
  EXPECT_EQ(log, waker_first);
  EXPECT_EQ(got, "data");
  EXPECT_EQ(handled("read"), 1u);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(HookConcurrency, AcceptAndConnectOnOneThread) {
  weft::hook::reset_counts();
  listener l;
  int accepted = -1, connected = -1;
  auto log = run_pair(
      [&](auto& log) {
        accepted = ::accept(l.fd, nullptr, nullptr);
        log.push_back("waiter returned");
      },
      [&](auto& log) {
        log.push_back("waker ran");
        connected = connect_to(l.address());
      });
  EXPECT_EQ(log, waker_first);
  ASSERT_GE(accepted, 0);
  ASSERT_GE(connected, 0);
  // The accepted socket is blocking as the program sees it.
  EXPECT_EQ(::fcntl(accepted, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(handled("accept"), 1u);
  EXPECT_EQ(handled("connect"), 1u);
  ::close(accepted);
  ::close(connected);
}

TEST(HookConcurrency, PollLetsTheOtherTaskletRun) {
  weft::hook::reset_counts();
  int p[2], q[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::pipe(q), 0);
  int ready = -1;
  short revents = 0;
  auto log = run_pair(
      [&](auto& log) {
        pollfd fds[2] = {{p[0], POLLIN, 0}, {q[0], POLLIN, 0}};
        ready = ::poll(fds, 2, 5000);
        revents = fds[1].revents;
        log.push_back("waiter returned");
      },
      [&](auto& log) {
        log.push_back("waker ran");
        ASSERT_EQ(::write(q[1], "x", 1), 1);
      });
  EXPECT_EQ(log, waker_first);
  EXPECT_EQ(ready, 1);
  EXPECT_EQ(revents, POLLIN);
  EXPECT_EQ(handled("poll"), 1u);
  for (int fd : {p[0], p[1], q[0], q[1]}) ::close(fd);
}

TEST(HookConcurrency, PollTimesOutWhileOthersRun) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  int ticks = 0, ready = -1;
  long long took = 0;
  weft::spawn([&] {
    pollfd fd{p[0], POLLIN, 0};
    auto t0 = clock::now();
    ready = ::poll(&fd, 1, 100);
    took = ms_since(t0);
  });
  weft::spawn([&] {
    for (int i = 0; i < 5; ++i) {
      ::usleep(10'000);
      ++ticks;
    }
  });
  weft::run();
  EXPECT_EQ(ready, 0);
  EXPECT_GE(took, 100);
  EXPECT_EQ(ticks, 5);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(HookConcurrency, SelectLetsTheOtherTaskletRun) {
  weft::hook::reset_counts();
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  int ready = -1;
  bool set = false;
  auto log = run_pair(
      [&](auto& log) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(p[0], &r);
        timeval tv{5, 0};
        ready = ::select(p[0] + 1, &r, nullptr, nullptr, &tv);
        set = FD_ISSET(p[0], &r);
        log.push_back("waiter returned");
      },
      [&](auto& log) {
        log.push_back("waker ran");
        ASSERT_EQ(::write(p[1], "x", 1), 1);
      });
  EXPECT_EQ(log, waker_first);
  EXPECT_EQ(ready, 1);
  EXPECT_TRUE(set);
  EXPECT_EQ(handled("select"), 1u);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(HookConcurrency, EpollWaitLetsTheOtherTaskletRun) {
  weft::hook::reset_counts();
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = 42;
  ASSERT_EQ(::epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e), 0);
  int ready = -1;
  std::uint64_t tag = 0;
  auto log = run_pair(
      [&](auto& log) {
        epoll_event out[4];
        ready = ::epoll_wait(ep, out, 4, 5000);
        if (ready > 0) tag = out[0].data.u64;
        log.push_back("waiter returned");
      },
      [&](auto& log) {
        log.push_back("waker ran");
        ASSERT_EQ(::write(p[1], "x", 1), 1);
      });
  EXPECT_EQ(log, waker_first);
  EXPECT_EQ(ready, 1);
  EXPECT_EQ(tag, 42u);
  EXPECT_EQ(handled("epoll_wait"), 1u);
  ::close(ep);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(HookConcurrency, SleepsOverlap) {
  weft::hook::reset_counts();
  auto t0 = clock::now();
  std::vector<int> order;
  weft::spawn([&] {
    timespec ts{0, 150'000'000};
    EXPECT_EQ(::nanosleep(&ts, nullptr), 0);
    order.push_back(1);
  });
  weft::spawn([&] {
    EXPECT_EQ(::usleep(50'000), 0);
    order.push_back(2);
  });
  weft::spawn([&] {
    timespec ts{0, 100'000'000};
    EXPECT_EQ(::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr), 0);
    order.push_back(3);
  });
  weft::run();
  long long took = ms_since(t0);
  EXPECT_EQ(order, (std::vector<int>{2, 3, 1}));
  EXPECT_GE(took, 150);
  EXPECT_LT(took, 290) << "the three sleeps ran one after another";
  EXPECT_EQ(handled("nanosleep"), 1u);
  EXPECT_EQ(handled("usleep"), 1u);
  EXPECT_EQ(handled("clock_nanosleep"), 1u);
}

TEST(HookConcurrency, BlockingWriteSendsEverything) {
  // A blocking write on a stream returns only once every byte went, while the reader runs.
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  const std::string big(4 << 20, 'w');
  ssize_t wrote = -1;
  std::size_t read_total = 0;
  weft::spawn([&] { wrote = ::write(sv[1], big.data(), big.size()); });
  weft::spawn([&] {
    std::vector<char> buf(65536);
    while (read_total < big.size()) {
      ssize_t n = ::read(sv[0], buf.data(), buf.size());
      if (n <= 0) break;
      read_total += static_cast<std::size_t>(n);
    }
  });
  weft::run();
  EXPECT_EQ(wrote, static_cast<ssize_t>(big.size()));
  EXPECT_EQ(read_total, big.size());
  ::close(sv[0]);
  ::close(sv[1]);
}
