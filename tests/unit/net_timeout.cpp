// Timeouts (test_socket's TCPTimeoutTest, UDPTimeoutTest): each call waits at most the
// timeout, and a timeout is weft::timeout_error, a system_error with errc::timed_out.
#include <gtest/gtest.h>

#include "unit/net_test.hpp"

using namespace net_test;

TEST(NetTimeout, SetAndRead) {
  net::socket s = net::socket::open(AF_INET, SOCK_STREAM);
  EXPECT_EQ(s.timeout(), std::nullopt);
  EXPECT_TRUE(s.blocking());
  s.set_timeout(1500ms);
  EXPECT_EQ(s.timeout(), std::chrono::steady_clock::duration(1500ms));
  EXPECT_TRUE(s.blocking());
  s.set_timeout(0s);
  EXPECT_FALSE(s.blocking());
  s.set_timeout(-5s);
  EXPECT_EQ(s.timeout(), std::chrono::steady_clock::duration::zero());
  s.set_blocking(true);
  EXPECT_EQ(s.timeout(), std::nullopt);
  s.set_blocking(false);
  EXPECT_EQ(s.timeout(), std::chrono::steady_clock::duration::zero());
}

TEST(NetTimeout, RecvTimesOutAndOthersRunMeanwhile) {
  auto [a, b] = tcp_pair();
  a.set_timeout(80ms);
  int ticks = 0;
  bool done = false;
  weft::spawn([&] {
    while (!done) {
      ++ticks;
      weft::sleep_for(10ms);
    }
  });
  weft::spawn([&, &a = a] {
    auto t0 = std::chrono::steady_clock::now();
    try {
      a.recv(16);
      ADD_FAILURE() << "recv returned";
    } catch (const weft::timeout_error& e) {
      EXPECT_EQ(e.code(), std::errc::timed_out);
      EXPECT_EQ(std::string(e.what()), "recv from " + a.describe() + ": timed out");
    }
    double ms = ms_since(t0);
    EXPECT_GE(ms, 75);
    EXPECT_LT(ms, 1000);
    std::error_code ec;
    std::byte buf[4];
    EXPECT_EQ(a.recv_into(buf, 0, ec), 0u);
    EXPECT_EQ(ec, std::errc::timed_out);
    done = true;
  });
  weft::run();
  EXPECT_GE(ticks, 5);
  // The socket is still usable after a timeout.
  b.sendall("late");
  EXPECT_EQ(a.recv(16), "late");
}

TEST(NetTimeout, AcceptTimesOut) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  l.sock().set_timeout(50ms);
  auto t0 = std::chrono::steady_clock::now();
  auto what = what_of([&] { l.accept(); });
  EXPECT_GE(ms_since(t0), 45);
  EXPECT_EQ(what, "accept on " + l.local_address().to_string() + ": timed out");
}

TEST(NetTimeout, SendallTimeoutBoundsTheWholeCall) {
  auto [a, b] = tcp_pair();
  a.set_option(SOL_SOCKET, SO_SNDBUF, 4096);
  b.set_option(SOL_SOCKET, SO_RCVBUF, 4096);
  a.set_timeout(100ms);
  std::string big(64 << 20, 'z');  // far more than the socket buffers hold; nobody reads
  std::error_code ec;
  auto t0 = std::chrono::steady_clock::now();
  std::size_t sent = a.sendall(std::as_bytes(std::span(big)), 0, ec);
  double ms = ms_since(t0);
  EXPECT_EQ(ec, std::errc::timed_out);
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, big.size());
  EXPECT_GE(ms, 95);
  EXPECT_LT(ms, 1000);
}

TEST(NetTimeout, ConnectTimesOutWhenTheBacklogIsFull) {
  // A listener that never accepts, with its queue filled: further SYNs go unanswered.
  net::listener l = net::tcp_listen(net::address::loopback_v4(0), 0);
  std::vector<net::socket> fillers;
  for (int i = 0; i < 8; ++i) {
    net::socket s = net::socket::open(AF_INET, SOCK_STREAM);
    s.set_timeout(100ms);
    std::error_code ec;
    s.connect(l.local_address(), ec);
    if (ec == std::errc::timed_out) {
      auto what = what_of([&] { net::tcp_connect(l.local_address(), 50ms); });
      EXPECT_EQ(what, "connect to " + l.local_address().to_string() + ": timed out");
      return;
    }
    ASSERT_FALSE(ec) << ec.message();
    fillers.push_back(std::move(s));
  }
  GTEST_SKIP() << "this kernel accepts connections beyond the backlog";
}
