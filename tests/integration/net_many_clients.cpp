// Many concurrent clients (test_socket's ThreadedTCPSocketTest at scale): 500 tasklets
// connect to one echo server tasklet-per-connection, all in one thread.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "unit/net_test.hpp"

using namespace net_test;

TEST(NetManyClients, FiveHundredEchoClientsAtOnce) {
  constexpr int clients = 500;
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2 * clients + 64) {
    rlimit want = rl;
    want.rlim_cur = std::min<rlim_t>(rl.rlim_max, 2 * clients + 64);
    setrlimit(RLIMIT_NOFILE, &want);
  }
  net::listener l = net::tcp_listen(net::address::loopback_v4(0), 1024);
  int served = 0;
  weft::spawn([&] {
    for (int i = 0; i < clients; ++i) {
      weft::spawn([&served](net::socket s) {
        net::stream io(s);
        for (std::string line; !(line = io.read_line()).empty();) {
          io.write(line);
          io.flush();
        }
        ++served;
      }, l.accept());
    }
  });
  int ok = 0;
  for (int i = 0; i < clients; ++i) {
    weft::spawn([&, i] {
      net::socket c = net::tcp_connect(l.local_address(), 10s);
      net::stream io(c);
      for (int round = 0; round < 3; ++round) {
        std::string msg = "client " + std::to_string(i) + " round " + std::to_string(round) + "\n";
        io.write(msg);
        io.flush();
        EXPECT_EQ(io.read_line(), msg);
        weft::sleep_for(1ms);  // let the others interleave
      }
      c.shutdown(net::shutdown_how::write);
      EXPECT_EQ(io.read_line(), "");
      ++ok;
    });
  }
  weft::run();
  setrlimit(RLIMIT_NOFILE, &rl);
  EXPECT_EQ(ok, clients);
  EXPECT_EQ(served, clients);
}
