// TCP basics (test_socket's BasicTCPTest): connect/accept, the data calls, addresses,
// options, and errors that name the operation and the address.
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <vector>

#include "unit/net_test.hpp"

using namespace net_test;

TEST(NetTcp, ConnectAcceptSendRecvInOrder) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  const net::address where = l.local_address();
  EXPECT_NE(where.port(), 0);
  std::vector<std::string> log;
  weft::spawn([&] {
    net::address peer;
    net::socket s = l.accept(&peer);
    log.push_back("accepted");
    EXPECT_EQ(peer, s.peer_address());
    EXPECT_EQ(s.local_address(), where);
    EXPECT_EQ(s.recv(1024), "ping");
    log.push_back("server got ping");
    s.sendall("pong");
  });
  weft::spawn([&] {
    net::socket c = net::socket::open(AF_INET, SOCK_STREAM);
    c.connect(where);
    log.push_back("connected");
    EXPECT_EQ(c.peer_address(), where);
    EXPECT_EQ(c.send("ping"), 4u);
    char buf[16];
    std::size_t n = c.recv_into(std::span(buf));
    EXPECT_EQ(std::string(buf, n), "pong");
    log.push_back("client got pong");
    EXPECT_EQ(c.recv(16), "");  // the server closed: end of stream
  });
  weft::run();
  // connect and accept finish in either order (both wait on the same handshake); the data
  // then flows strictly in turn.
  ASSERT_EQ(log.size(), 4u);
  EXPECT_TRUE((log[0] == "connected" && log[1] == "accepted") || (log[0] == "accepted" && log[1] == "connected"));
  EXPECT_EQ(log[2], "server got ping");
  EXPECT_EQ(log[3], "client got pong");
}

TEST(NetTcp, RecvWaitsOnlyTheCallingTasklet) {
  auto [a, b] = tcp_pair();
  std::vector<int> order;
  weft::spawn([&, &a = a] {
    order.push_back(1);
    EXPECT_EQ(a.recv(8), "x");  // waits: nothing sent yet
    order.push_back(4);
  });
  weft::spawn([&, &b = b] {
    order.push_back(2);
    weft::sleep_for(20ms);
    order.push_back(3);
    b.sendall("x");
  });
  weft::run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(NetTcp, SendallMovesMegabytesThroughAFullSocketBuffer) {
  auto [a, b] = tcp_pair();
  std::string data(4 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
  std::string got;
  weft::spawn([&, &a = a] {
    a.sendall(data);
    a.shutdown(net::shutdown_how::write);
  });
  weft::spawn([&, &b = b] {
    for (std::string chunk; !(chunk = b.recv(65536)).empty();) got += chunk;
  });
  weft::run();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST(NetTcp, Ipv6Loopback) {
  std::error_code ec;
  net::socket probe = net::socket::open(AF_INET6, SOCK_STREAM, 0, ec);
  if (!ec) probe.bind(net::address::loopback_v6(0), ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback here: " << ec.message();
  net::listener l = net::tcp_listen(net::address::loopback_v6(0));
  weft::spawn([&] { l.accept().sendall("six"); });
  std::string got;
  weft::spawn([&] {
    net::socket c = net::tcp_connect(l.local_address());
    EXPECT_EQ(c.peer_address().host(), "::1");
    got = c.recv(8);
  });
  weft::run();
  EXPECT_EQ(got, "six");
}

TEST(NetTcp, UnixStreamSockets) {
  std::string name = "@weft-net-test-" + std::to_string(getpid());
  net::listener l = net::unix_listen(name);
  EXPECT_EQ(l.local_address().to_string(), "unix:" + name);
  std::string got;
  weft::spawn([&] { l.accept().sendall("over unix"); });
  weft::spawn([&] { got = net::unix_connect(name).recv(64); });
  weft::run();
  EXPECT_EQ(got, "over unix");

  auto [x, y] = net::socket::pair();
  x.sendall("pair");
  EXPECT_EQ(y.recv(8), "pair");
}

TEST(NetTcp, ConnectRefusedNamesTheAddress) {
  // A port that was just free: bound and closed without listening.
  net::address where;
  {
    net::socket s = net::socket::open(AF_INET, SOCK_STREAM);
    s.bind(net::address::loopback_v4(0));
    where = s.local_address();
  }
  net::socket c = net::socket::open(AF_INET, SOCK_STREAM);
  std::error_code ec;
  c.connect(where, ec);
  EXPECT_EQ(ec, std::errc::connection_refused);
  try {
    net::tcp_connect(where);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_refused);
    EXPECT_EQ(std::string(e.what()), "connect to " + where.to_string() + ": Connection refused");
  }
}

TEST(NetTcp, OptionsAndAddresses) {
  auto [a, b] = tcp_pair();
  a.set_no_delay(true);
  EXPECT_NE(a.get_option(IPPROTO_TCP, TCP_NODELAY), 0);
  a.set_no_delay(false);
  EXPECT_EQ(a.get_option(IPPROTO_TCP, TCP_NODELAY), 0);
  a.set_option(SOL_SOCKET, SO_KEEPALIVE, 1);
  EXPECT_EQ(a.get_option(SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(a.get_option(SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(a.local_address(), b.peer_address());
  EXPECT_EQ(a.peer_address(), b.local_address());
  EXPECT_EQ(a.describe(), b.local_address().to_string());

  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  EXPECT_EQ(l.sock().get_option(SOL_SOCKET, SO_REUSEADDR), 1);
  EXPECT_EQ(l.sock().get_option(SOL_SOCKET, SO_ACCEPTCONN), 1);
  // An unconnected socket has no peer.
  net::socket u = net::socket::open(AF_INET, SOCK_STREAM);
  EXPECT_EQ(code_of([&] { u.peer_address(); }), std::errc::not_connected);
  // Binding a port in use names it.
  net::socket dup = net::socket::open(AF_INET, SOCK_STREAM);
  auto what = what_of([&] { dup.bind(l.local_address()); });
  EXPECT_EQ(what, "bind to " + l.local_address().to_string() + ": Address already in use");
}

TEST(NetTcp, SocketsMoveAndCloseOnce) {
  warm_up_reactor();
  int before = open_fds();
  {
    auto [a, b] = tcp_pair();
    net::socket moved = std::move(a);
    EXPECT_FALSE(a.is_open());
    EXPECT_TRUE(moved.is_open());
    net::socket other;
    other = std::move(moved);
    other.sendall("m");
    EXPECT_EQ(b.recv(1), "m");
    EXPECT_EQ(open_fds(), before + 2);
  }
  EXPECT_EQ(open_fds(), before);
}
