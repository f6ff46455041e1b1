// Non-blocking mode (test_socket's NonBlockingTCPTests): a call that would block fails at
// once with the would-block code, as the real API does, and never suspends the tasklet.
#include <gtest/gtest.h>

#include "unit/net_test.hpp"

using namespace net_test;

TEST(NetNonblocking, RecvAndAcceptReportWouldBlock) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  l.sock().set_blocking(false);
  std::error_code ec;
  net::socket none = l.accept(nullptr, ec);
  EXPECT_EQ(ec, std::errc::operation_would_block);
  EXPECT_FALSE(none.is_open());
  EXPECT_EQ(code_of([&] { l.accept(); }), std::errc::operation_would_block);

  net::socket c = net::tcp_connect(l.local_address());
  net::socket s;
  for (int i = 0; i < 100 && !s.is_open(); ++i) {  // the handshake may take a moment
    s = l.accept(nullptr, ec);
    if (!s.is_open()) weft::sleep_for(1ms);
  }
  ASSERT_TRUE(s.is_open());
  s.set_blocking(false);
  std::byte buf[8];
  EXPECT_EQ(s.recv_into(buf, 0, ec), 0u);
  EXPECT_EQ(ec, std::errc::operation_would_block);
  auto what = what_of([&] { s.recv(8); });
  EXPECT_EQ(what, "recv from " + c.local_address().to_string() + ": Resource temporarily unavailable");

  c.sendall("ready");
  std::string got;
  for (int i = 0; i < 100 && got.empty(); ++i) {
    got = s.recv(8, 0);  // throws would-block until the bytes arrive; they are on loopback
  }
  EXPECT_EQ(got, "ready");
}

TEST(NetNonblocking, SendFillsTheBufferThenReportsWouldBlock) {
  auto [a, b] = tcp_pair();
  a.set_blocking(false);
  std::string chunk(65536, 'q');
  std::error_code ec;
  std::size_t total = 0;
  for (int i = 0; i < 100000; ++i) {
    std::size_t n = a.send(std::as_bytes(std::span(chunk)), 0, ec);
    total += n;
    if (ec) break;
  }
  EXPECT_EQ(ec, std::errc::operation_would_block);
  EXPECT_GT(total, 0u);
  // The peer gets exactly what was accepted.
  b.set_timeout(200ms);
  std::size_t got = 0;
  std::byte buf[65536];
  while (got < total) got += b.recv_into(buf);
  EXPECT_EQ(got, total);
}

TEST(NetNonblocking, ConnectReportsInProgressThenCompletes) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  net::socket c = net::socket::open(AF_INET, SOCK_STREAM);
  c.set_blocking(false);
  std::error_code ec;
  c.connect(l.local_address(), ec);
  EXPECT_TRUE(!ec || ec == std::errc::operation_in_progress) << ec.message();
  net::socket s = l.accept();
  c.set_blocking(true);
  s.sendall("hi");
  EXPECT_EQ(c.recv(2), "hi");
}
