// UDP (test_socket's BasicUDPTest): datagrams keep their boundaries and their senders.
#include <gtest/gtest.h>

#include <cstring>

#include "unit/net_test.hpp"

using namespace net_test;

TEST(NetUdp, SendtoRecvfromKeepsBoundariesAndSender) {
  net::socket server = net::udp_bind(net::address::loopback_v4(0));
  net::socket client = net::udp_bind(net::address::loopback_v4(0));
  const net::address to = server.local_address();
  std::vector<std::string> got;
  weft::spawn([&] {
    for (int i = 0; i < 3; ++i) {
      auto [data, from] = server.recvfrom(1024);
      EXPECT_EQ(from, client.local_address());
      got.push_back(data);
      server.sendto("ack " + data, from);
    }
  });
  weft::spawn([&] {
    for (const char* m : {"one", "two", "three"}) {
      EXPECT_EQ(client.sendto(m, to), std::strlen(m));
      net::address from;
      std::byte buf[64];
      std::size_t n = client.recvfrom_into(buf, from);
      EXPECT_EQ(from, to);
      EXPECT_EQ(as_string({buf, n}), std::string("ack ") + m);
    }
  });
  weft::run();
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
}

TEST(NetUdp, ConnectedDatagramSocketsAndEmptyDatagrams) {
  net::socket a = net::udp_bind(net::address::loopback_v4(0));
  net::socket b = net::udp_bind(net::address::loopback_v4(0));
  a.connect(b.local_address());
  b.connect(a.local_address());
  a.send("");
  a.send("x");
  EXPECT_EQ(b.recv(10), "");  // an empty datagram is a datagram, not an end of stream
  EXPECT_EQ(b.recv(10), "x");
  // A datagram larger than the buffer is truncated to it.
  a.send(std::string(100, 'y'));
  EXPECT_EQ(b.recv(10), std::string(10, 'y'));
}

TEST(NetUdp, RecvfromTimesOut) {
  net::socket s = net::udp_bind(net::address::loopback_v4(0));
  s.set_timeout(50ms);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(s.recvfrom(16), weft::timeout_error);
  EXPECT_GE(ms_since(t0), 45);
}

// A datagram that arrives while recv waits comes whole, however large (up to the buffer):
// a receive the kernel makes for a waiting tasklet (io_uring) must not cut it to the size
// of its own buffers.
TEST(NetUdp, ALargeDatagramAfterAWaitComesWhole) {
  net::socket a = net::udp_bind(net::address::loopback_v4(0));
  net::socket b = net::udp_bind(net::address::loopback_v4(0));
  a.connect(b.local_address());
  b.connect(a.local_address());
  const std::string big(9000, 'd');
  weft::spawn([&] {
    weft::sleep_for(5ms);
    a.send(big);
  });
  EXPECT_EQ(b.recv(65536), big);
  weft::run();
}
