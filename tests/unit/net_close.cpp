// Shutdown and close (test_socket's close and shutdown tests), resets, and what happens to
// tasklets waiting on a socket that goes away.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <vector>

#include "unit/net_test.hpp"

using namespace net_test;

TEST(NetClose, HalfCloseDeliversEofOneWayOnly) {
  auto [a, b] = tcp_pair();
  a.sendall("request");
  a.shutdown(net::shutdown_how::write);
  std::string got;
  for (std::string c; !(c = b.recv(3)).empty();) got += c;
  EXPECT_EQ(got, "request");
  EXPECT_EQ(b.recv(3), "");  // stays at end of stream
  b.sendall("response after EOF");
  b.close();
  EXPECT_EQ(a.recv(64), "response after EOF");
  EXPECT_EQ(a.recv(64), "");
  EXPECT_EQ(code_of([&, &a = a] { a.send("x"); }), std::errc::broken_pipe);
}

TEST(NetClose, PeerResetIsConnectionReset) {
  auto [a, b] = tcp_pair();
  linger lg{1, 0};  // close with RST instead of FIN
  std::error_code ec;
  a.set_option(SOL_SOCKET, SO_LINGER, &lg, sizeof lg, ec);
  ASSERT_FALSE(ec);
  const std::string peer = a.local_address().to_string();
  a.close();
  weft::sleep_for(20ms);
  auto what = what_of([&, &b = b] { b.recv(8); });
  EXPECT_EQ(what, "recv from " + peer + ": Connection reset by peer");
  // The reset is reported once; then the stream reads as ended, and sending fails with
  // EPIPE (never a signal).
  EXPECT_EQ(b.recv(8), "");
  EXPECT_EQ(code_of([&, &b = b] { b.send("x"); }), std::errc::broken_pipe);
}

TEST(NetClose, NoSigpipeOnSendToAClosedPeer) {
  struct sigaction old {};
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, &old);  // default action: a SIGPIPE would kill the test binary
  {
    auto [a, b] = tcp_pair();
    b.close();
    std::error_code ec;
    std::string data(1 << 16, 'p');
    for (int i = 0; i < 50 && !ec; ++i) a.send(std::as_bytes(std::span(data)), 0, ec);
    EXPECT_TRUE(ec == std::errc::broken_pipe || ec == std::errc::connection_reset) << ec.message();
  }
  sigaction(SIGPIPE, &old, nullptr);
}

TEST(NetClose, CloseWakesEveryWaiterWithOperationCanceled) {
  auto [a, b] = tcp_pair();
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::vector<std::string> log;
  weft::spawn([&, &a = a] {
    std::error_code ec;
    std::byte buf[8];
    a.recv_into(buf, 0, ec);
    log.push_back("reader: " + ec.message());
  });
  weft::spawn([&] {
    try {
      l.accept();
    } catch (const std::system_error& e) {
      log.push_back(std::string("acceptor: ") + e.what());
    }
  });
  weft::spawn([&, &a = a] {
    weft::sleep_for(10ms);
    log.push_back("closing");
    a.close();
    l.close();
    log.push_back("closed");
  });
  weft::run();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0], "closing");
  EXPECT_EQ(log[1], "closed");
  EXPECT_EQ(log[2], "reader: " + std::make_error_code(std::errc::operation_canceled).message());
  EXPECT_EQ(log[3], "acceptor: accept on closed socket: " +
                        std::make_error_code(std::errc::operation_canceled).message());
  // And later calls on the closed socket are EBADF.
  EXPECT_EQ(code_of([&, &a = a] { a.recv(1); }), std::errc::bad_file_descriptor);
  EXPECT_EQ(code_of([&, &a = a] { a.send("x"); }), std::errc::bad_file_descriptor);
  EXPECT_FALSE(a.is_open());
  a.close();  // closing twice is harmless
}

TEST(NetClose, KillDuringRecvUnwindsAndLeaksNothing) {
  warm_up_reactor();
  int before = open_fds();
  bool unwound = false;
  bool returned = false;
  struct flag_on_exit {
    bool* f;
    ~flag_on_exit() { *f = true; }
  };
  weft::tasklet t = weft::spawn([&] {
    flag_on_exit guard{&unwound};
    auto [a, b] = tcp_pair();
    a.recv(16);  // nobody sends
    returned = true;
  });
  weft::spawn([&] {
    weft::sleep_for(10ms);
    EXPECT_TRUE(t.alive());
    EXPECT_NE(t.waiting_on().find("readable"), std::string::npos) << t.waiting_on();
    t.kill();
    EXPECT_FALSE(t.alive());
  });
  weft::run();
  EXPECT_TRUE(unwound);
  EXPECT_FALSE(returned);
  EXPECT_EQ(open_fds(), before);
}

TEST(NetClose, KilledTaskletInAcceptLeavesTheListenerWorking) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  weft::tasklet t = weft::spawn([&] { l.accept(); });
  weft::spawn([&] {
    weft::sleep_for(5ms);
    t.kill();
  });
  weft::run();
  std::string got;
  weft::spawn([&] { l.accept().sendall("still here"); });
  weft::spawn([&] { got = net::tcp_connect(l.local_address()).recv(32); });
  weft::run();
  EXPECT_EQ(got, "still here");
}

TEST(NetClose, ReleasedFdLeavesNoRegistrationBehind) {
  auto [a, b] = net::socket::pair();
  a.set_timeout(5ms);
  EXPECT_EQ(code_of([&, &a = a] { a.recv(1); }), std::errc::timed_out);  // a's fd is now watched
  const int fd = a.release();
  EXPECT_FALSE(a.is_open());
  ASSERT_EQ(::close(fd), 0);  // the new owner closes it without telling weft
  // The file is really closed: no registration holds it open, so the peer sees the end.
  b.set_timeout(2s);
  EXPECT_EQ(b.recv(8), "");
  // A new socket given the same number is watched afresh: its wait ends when data arrives.
  auto [c, d] = net::socket::pair();
  ASSERT_EQ(c.native_handle(), fd);
  c.set_timeout(2s);
  std::string got;
  weft::spawn([&, &c = c] { got = c.recv(8); });
  weft::spawn([&, &d = d] {
    weft::sleep_for(10ms);
    d.sendall("fresh");
  });
  weft::run();
  EXPECT_EQ(got, "fresh");
}

TEST(NetClose, ReleaseWakesWaitersAsCloseDoes) {
  auto [a, b] = tcp_pair();
  a.set_timeout(2s);  // a waiter that release() failed to wake ends with timed_out
  std::error_code ec;
  weft::spawn([&, &a = a] {
    std::byte buf[8];
    a.recv_into(buf, 0, ec);
  });
  int fd = -1;
  weft::spawn([&, &a = a] {
    weft::sleep_for(10ms);
    fd = a.release();
  });
  weft::run();
  EXPECT_EQ(ec, std::errc::operation_canceled);
  ASSERT_GE(fd, 0);
  net::socket again = net::socket::adopt(fd);  // the fd still works for its new owner
  again.set_timeout(2s);
  b.sendall("ok");
  EXPECT_EQ(again.recv(8), "ok");
}
