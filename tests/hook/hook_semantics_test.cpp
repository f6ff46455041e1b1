// What the interposed calls return: errno and results exactly as libc's, in a tasklet and
// outside one.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>

#include "hook_test.hpp"
#include "sys/real.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

using namespace hook_test;

namespace {

// Runs f in a tasklet while a second tasklet exists (so the calls are weft's to handle),
// and returns once both finished.
template <class F>
void in_tasklet(F f) {
  weft::spawn([&] { f(); });
  weft::spawn([] { ::usleep(1000); });
  weft::run();
}

bool really_nonblocking(int fd) { return weft::sys::real::fcntl(fd, F_GETFL, 0) & O_NONBLOCK; }

}  // namespace

TEST(HookSemantics, ProgramNonBlockingDescriptorsSayEagain) {
  weft::hook::reset_counts();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::fcntl(p[0], F_SETFL, ::fcntl(p[0], F_GETFL) | O_NONBLOCK), 0);
  int q[2];
  ASSERT_EQ(::pipe(q), 0);
  int on = 1;
  ASSERT_EQ(::ioctl(q[0], FIONBIO, &on), 0);
  in_tasklet([&] {
    char b;
    errno = 0;
    EXPECT_EQ(::recv(sv[0], &b, 1, 0), -1);
    EXPECT_EQ(errno, EAGAIN);
    errno = 0;
    EXPECT_EQ(::read(p[0], &b, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
    errno = 0;
    EXPECT_EQ(::read(q[0], &b, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
  });
  EXPECT_NE(::fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
  // Back to blocking as the program sees it; non-blocking underneath all along.
  ASSERT_EQ(::fcntl(p[0], F_SETFL, ::fcntl(p[0], F_GETFL) & ~O_NONBLOCK), 0);
  EXPECT_EQ(::fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
  EXPECT_TRUE(really_nonblocking(p[0]));
  EXPECT_TRUE(really_nonblocking(p[1]));
  EXPECT_EQ(handled("recv"), 0u);
  EXPECT_EQ(handled("read"), 0u);
  for (int fd : {sv[0], sv[1], p[0], p[1], q[0], q[1]}) ::close(fd);
}

TEST(HookSemantics, ReceiveTimeoutGivesEagainInATasklet) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  timeval tv{0, 100'000};
  ASSERT_EQ(::setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  timeval back{};
  socklen_t len = sizeof back;
  ASSERT_EQ(::getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
  EXPECT_EQ(back.tv_usec, 100'000);
  ssize_t r = 0;
  int err = 0, ticks = 0;
  long long took = 0;
  weft::spawn([&] {
    char b;
    auto t0 = clock::now();
    r = ::recv(sv[0], &b, 1, 0);
    err = errno;
    took = ms_since(t0);
  });
  weft::spawn([&] {
    for (int i = 0; i < 5; ++i, ++ticks) ::usleep(10'000);
  });
  weft::run();
  EXPECT_EQ(r, -1);
  EXPECT_EQ(err, EAGAIN);
  EXPECT_GE(took, 100);
  EXPECT_LT(took, 1000);
  EXPECT_EQ(ticks, 5);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(HookSemantics, ReceiveTimeoutOnAPlainThread) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  timeval tv{0, 80'000};
  ASSERT_EQ(::setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  ssize_t r = 0;
  int err = 0;
  long long took = 0;
  std::thread([&] {
    char b;
    auto t0 = clock::now();
    r = ::recv(sv[0], &b, 1, 0);
    err = errno;
    took = ms_since(t0);
  }).join();
  EXPECT_EQ(r, -1);
  EXPECT_EQ(err, EAGAIN);
  EXPECT_GE(took, 80);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(HookSemantics, PlainThreadBlocksAsLibcDoes) {
  weft::hook::reset_counts();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::string got;
  std::thread reader([&] {
    char buf[8];
    ssize_t n = ::recv(sv[0], buf, sizeof buf, 0);
    got.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  });
  ::usleep(50'000);  // main tasklet alone: a plain sleep
  ASSERT_EQ(::send(sv[1], "late", 4, 0), 4);
  reader.join();
  EXPECT_EQ(got, "late");
  EXPECT_EQ(handled("recv"), 0u);
  EXPECT_EQ(handled("usleep"), 0u);
  ::close(sv[0]);
  ::close(sv[1]);
}

namespace {
std::atomic<int> g_signals{0};
void count_signal(int) { g_signals.fetch_add(1); }

// Blocks in recv on a plain thread, sends it SIGUSR1 after 50 ms, then data after 100 ms.
std::pair<ssize_t, int> recv_with_signal(bool restart) {
  struct sigaction sa {}, old{};
  sa.sa_handler = count_signal;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGUSR1, &sa, &old);
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ssize_t r = 0;
  int err = 0;
  std::atomic<bool> started{false};
  std::thread t([&] {
    started = true;
    char b;
    r = ::recv(sv[0], &b, 1, 0);
    err = errno;
  });
  while (!started) std::this_thread::yield();
  ::usleep(50'000);
  ::pthread_kill(t.native_handle(), SIGUSR1);
  ::usleep(50'000);
  (void)!::send(sv[1], "x", 1, 0);
  t.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  ::close(sv[0]);
  ::close(sv[1]);
  return {r, err};
}
}  // namespace

TEST(HookSemantics, SignalInterruptsABlockingCallWithoutSaRestart) {
  auto [r, err] = recv_with_signal(false);
  EXPECT_EQ(r, -1);
  EXPECT_EQ(err, EINTR);
}

TEST(HookSemantics, SignalWithSaRestartRestartsTheCall) {
  auto [r, err] = recv_with_signal(true);
  EXPECT_EQ(r, 1);
}

TEST(HookSemantics, ClosedDescriptorsSayEbadf) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ::close(sv[0]);
  in_tasklet([&] {
    char b;
    errno = 0;
    EXPECT_EQ(::recv(sv[0], &b, 1, 0), -1);
    EXPECT_EQ(errno, EBADF);
    errno = 0;
    EXPECT_EQ(::read(sv[0], &b, 1), -1);
    EXPECT_EQ(errno, EBADF);
  });
  ::close(sv[1]);
}

TEST(HookSemantics, CloseWakesABlockedReader) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  safety_timeout(sv[0]);
  ssize_t r = 0;
  int err = 0;
  long long took = 0;
  weft::spawn([&] {
    char b;
    auto t0 = clock::now();
    r = ::recv(sv[0], &b, 1, 0);
    err = errno;
    took = ms_since(t0);
  });
  weft::spawn([&] {
    ::usleep(20'000);
    EXPECT_EQ(::close(sv[0]), 0);
  });
  weft::run();
  EXPECT_EQ(r, -1);
  EXPECT_EQ(err, EBADF);
  EXPECT_LT(took, 1000);
  ::close(sv[1]);
}

TEST(HookSemantics, ConnectRefusedIsExact) {
  listener l;
  sockaddr_in a = l.address();
  ::close(l.fd);
  l.fd = ::socket(AF_INET, SOCK_STREAM, 0);  // the port now has no listener
  in_tasklet([&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), -1);
    EXPECT_EQ(errno, ECONNREFUSED);
    ::close(fd);
  });
}

TEST(HookSemantics, RegularFilesGoStraightToLibc) {
  weft::hook::reset_counts();
  char path[] = "/tmp/weft_hook_fileXXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  in_tasklet([&] {
    EXPECT_EQ(::write(fd, "hello", 5), 5);
    char buf[8] = {};
    EXPECT_EQ(::pread(fd, buf, 5, 0), 5);
    EXPECT_EQ(std::string(buf), "hello");
    EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
    EXPECT_EQ(::read(fd, buf, 8), 5);
    pollfd p{fd, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 1000), 1);  // a regular file is always ready
  });
  EXPECT_EQ(handled("read"), 0u);
  EXPECT_EQ(handled("write"), 0u);
  EXPECT_EQ(handled("pread"), 0u);
  ::close(fd);
}

TEST(HookSemantics, MainTaskletAloneBehavesAsLibc) {
  weft::hook::reset_counts();
  (void)weft::current();  // this thread has a scheduler, and main is its only tasklet
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::thread writer([&] {
    ::usleep(50'000);
    (void)!::send(sv[1], "m", 1, 0);
  });
  char b = 0;
  EXPECT_EQ(::recv(sv[0], &b, 1, 0), 1);
  EXPECT_EQ(b, 'm');
  writer.join();
  EXPECT_EQ(handled("recv"), 0u);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(HookSemantics, ForkChildStartsClean) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  pid_t child = -1;
  in_tasklet([&] {
    weft::hook::reset_counts();
    ::usleep(1);
    child = ::fork();
    if (child == 0) {
      // The child: counters start at zero, its calls are libc's (it blocks on the pipe).
      std::uint64_t any = 0;
      for (const auto& c : weft::hook::counts()) any += c.interposed;
      char b = 0;
      ssize_t n = ::read(p[0], &b, 1);
      std::_Exit(any == 0 && n == 1 && b == 'c' && weft::hook::counts().front().interposed == 0 ? 0 : 1);
    }
  });
  ASSERT_GT(child, 0);
  ::usleep(30'000);
  ASSERT_EQ(::write(p[1], "c", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(HookSemantics, ForkChildClosingADescriptorLeavesTheParentsWaits) {
  // The child shares the parent's epoll instance: its close must not unregister the
  // descriptor the parent's tasklet waits on.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  int ready = -1;
  weft::spawn([&] {
    pollfd fd{p[0], POLLIN, 0};
    ready = ::poll(&fd, 1, 3000);
  });
  weft::spawn([&] {
    ::usleep(10'000);
    pid_t child = ::fork();
    if (child == 0) {
      ::close(p[0]);
      std::_Exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_EQ(::write(p[1], "x", 1), 1);
  });
  weft::run();
  EXPECT_EQ(ready, 1);
  ::close(p[0]);
  ::close(p[1]);
}
