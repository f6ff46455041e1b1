// The reactor's backend choice (WEFT_REACTOR) and what each backend must get right beyond
// the rest of the suite, which `make test` runs once under each backend.
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "reactor/reactor.hpp"
#include "unit/net_test.hpp"

using namespace net_test;
using weft::detail::make_poller;
using weft::detail::reactor_backend_name;

namespace {

// Sets WEFT_REACTOR for one scope and puts the old value back.
class reactor_env {
 public:
  explicit reactor_env(const char* value) {
    if (const char* old = std::getenv("WEFT_REACTOR")) old_ = old, had_ = true;
    if (value) ::setenv("WEFT_REACTOR", value, 1);
    else ::unsetenv("WEFT_REACTOR");
  }
  ~reactor_env() {
    if (had_) ::setenv("WEFT_REACTOR", old_.c_str(), 1);
    else ::unsetenv("WEFT_REACTOR");
  }
  reactor_env(const reactor_env&) = delete;
  reactor_env& operator=(const reactor_env&) = delete;

 private:
  std::string old_;
  bool had_ = false;
};

// In a fresh thread (a fresh scheduler and reactor): one wait in the reactor, then the
// backend it used, or the error its creation threw.
std::string backend_of_new_thread() {
  std::string got;
  std::thread t([&] {
    try {
      auto [a, b] = tcp_pair();
      a.set_timeout(1ms);
      std::error_code ec;
      std::byte x[1];
      a.recv_into(x, 0, ec);  // waits in the reactor, then times out
      got = ec == std::errc::timed_out ? reactor_backend_name() : "recv: " + ec.message();
    } catch (const std::exception& e) {
      got = std::string("threw: ") + e.what();
    }
  });
  t.join();
  return got;
}

}  // namespace

TEST(ReactorBackend, NamedBackendsAreThoseAsked) {
  EXPECT_STREQ(make_poller("epoll")->name(), "epoll");
  // The machines this suite runs on allow io_uring: `make test` runs everything under it.
  std::string why;
  ASSERT_NE(weft::detail::make_uring_poller(why), nullptr) << "io_uring is not usable here: " << why;
  EXPECT_STREQ(make_poller("uring")->name(), "uring");
}

TEST(ReactorBackend, DefaultIsUringWhereTheKernelAllowsIt) {
  std::string why;
  const char* expected = weft::detail::make_uring_poller(why) ? "uring" : "epoll";
  EXPECT_STREQ(make_poller(nullptr)->name(), expected) << why;
  EXPECT_STREQ(make_poller("")->name(), expected) << why;
}

TEST(ReactorBackend, UnknownValueIsAClearError) {
  try {
    make_poller("kqueue");
    FAIL() << "WEFT_REACTOR=kqueue was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "weft: WEFT_REACTOR=kqueue names no reactor backend (use epoll or uring, or leave it unset)");
  }
  EXPECT_THROW(make_poller("EPOLL"), std::invalid_argument);
}

TEST(ReactorBackend, EnvironmentPicksTheThreadsReactor) {
  for (const char* name : {"epoll", "uring"}) {
    reactor_env env(name);
    EXPECT_EQ(backend_of_new_thread(), name);
  }
  {
    reactor_env env("bogus");
    EXPECT_EQ(backend_of_new_thread(),
              "threw: weft: WEFT_REACTOR=bogus names no reactor backend (use epoll or uring, or leave it unset)");
  }
}

// A whole program with a bad WEFT_REACTOR stops at its first wait and says why.
TEST(ReactorBackend, BadValueStopsAProgramWithTheReason) {
  std::string exe = std::string(WEFT_EXAMPLES_DIR) + "/echo_server";
  int err[2];
  ASSERT_EQ(pipe(err), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  char* argv[] = {exe.data(), const_cast<char*>("--port"), const_cast<char*>("0"), nullptr};
  pid_t pid = 0;
  {
    reactor_env env("bogus");
    ASSERT_EQ(posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, environ), 0) << exe;
  }
  posix_spawn_file_actions_destroy(&fa);
  close(err[1]);
  std::string out;
  char buf[4096];
  pollfd p{err[0], POLLIN, 0};
  while (::poll(&p, 1, 10000) > 0) {
    ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(err[0]);
  // Its stderr is closed as it exits: reaping it takes a moment more.
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 1000 && (reaped = waitpid(pid, &status, WNOHANG)) == 0; ++i) ::usleep(10000);
  if (reaped == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "echo_server still runs with WEFT_REACTOR=bogus; it printed: " << out;
  }
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(out.find("WEFT_REACTOR=bogus names no reactor backend"), std::string::npos) << out;
}

// Closing a socket the reactor watches closes it at once: the peer sees end of stream while
// the closing thread does not go back to the reactor. (An io_uring poll holds a reference to
// the file; it must be gone by close(2).)
TEST(ReactorBackend, CloseReachesThePeerAtOnce) {
  auto [a, b] = tcp_pair();
  warm_up_reactor();
  a.set_timeout(1ms);
  std::error_code ec;
  std::byte x[1];
  a.recv_into(x, 0, ec);  // a is armed now
  ASSERT_EQ(ec, std::errc::timed_out);
  a.close();
  pollfd p{b.native_handle(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1) << "the peer saw nothing within 2 s of close()";
  EXPECT_EQ(::read(b.native_handle(), x, 1), 0);
}

// More fds armed in one go than the io_uring submission queue holds (256), all reported.
TEST(ReactorBackend, ManyArmsInOneBatch) {
  constexpr int n = 400;  // 800 fds: under the usual limit of 1024
  std::vector<net::socket> ends;
  int done = 0;
  {
    net::listener l = net::tcp_listen(net::address::loopback_v4(0));
    std::vector<net::socket> clients;
    for (int i = 0; i < n; ++i) {
      clients.push_back(net::socket::open(AF_INET, SOCK_STREAM));
      clients.back().connect(l.local_address());
      ends.push_back(l.accept());
    }
    for (int i = 0; i < n; ++i)
      weft::spawn([&, i] {
        ends[i].set_timeout(5s);
        if (ends[i].recv(1) == "x") ++done;
      });
    weft::spawn([&] {
      weft::schedule();  // every reader is blocked: all arms are queued, none submitted
      for (auto& c : clients) c.sendall(std::string("x"));
    });
    weft::run();
  }
  EXPECT_EQ(done, n);
}
