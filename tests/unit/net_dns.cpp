// resolve() and run_blocking(): blocking work on the worker pool, only the caller waits.
#include <gtest/gtest.h>
#include <netdb.h>

#include <algorithm>
#include <future>
#include <thread>

#include "unit/net_test.hpp"
#include "weft/run_blocking.hpp"

using namespace net_test;

TEST(NetDns, LocalhostComesFromEtcHosts) {
  std::vector<net::address> v4 = net::resolve("localhost", 80, {.family = AF_INET});
  ASSERT_FALSE(v4.empty());
  EXPECT_EQ(v4.front().to_string(), "127.0.0.1:80");
  std::vector<net::address> all = net::resolve("localhost", 443);
  EXPECT_NE(std::find(all.begin(), all.end(), net::address::loopback_v4(443)), all.end());
  for (const auto& a : all) EXPECT_TRUE(a == net::address::loopback_v4(443) || a == net::address::loopback_v6(443));
}

TEST(NetDns, NumericAndErrors) {
  EXPECT_EQ(net::resolve("::1", 5, {.numeric_only = true}), std::vector<net::address>{net::address::loopback_v6(5)});
  EXPECT_EQ(net::resolve("10.1.2.3", 5, {.numeric_only = true}).at(0).to_string(), "10.1.2.3:5");
  std::error_code ec;
  auto none = net::resolve("not-a-number", 5, {.numeric_only = true}, ec);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(ec, std::error_code(EAI_NONAME, net::dns_category()));
  auto what = what_of([] { net::resolve("not-a-number", 5, {.numeric_only = true}); });
  EXPECT_EQ(what, std::string("resolve not-a-number: ") + gai_strerror(EAI_NONAME));
}

TEST(NetDns, ConnectByName) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::string got;
  weft::spawn([&] { l.accept().sendall("by name"); });
  weft::spawn([&] { got = net::tcp_connect("localhost", l.local_address().port(), 2s).recv(16); });
  weft::run();
  EXPECT_EQ(got, "by name");
}

TEST(NetRunBlocking, ResultComesBackWhileOthersRun) {
  // The blocking call waits until the ticker has ticked 10 times: it can only return in time
  // if the caller's thread kept running other tasklets while run_blocking was in progress.
  std::promise<void> ten_ticks;
  int ticks = 0;
  bool done = false;
  weft::spawn([&] {
    while (!done) {
      if (++ticks == 10) ten_ticks.set_value();
      weft::sleep_for(5ms);
    }
  });
  int result = 0;
  int ticks_at_return = 0;
  std::thread::id worker;
  weft::spawn([&] {
    result = weft::run_blocking([&worker, released = ten_ticks.get_future()] {
      worker = std::this_thread::get_id();
      // a truly blocking call; the generous deadline only bounds a failing run
      return released.wait_for(30s) == std::future_status::ready ? 42 : -1;
    });
    ticks_at_return = ticks;
    done = true;
  });
  weft::run();
  EXPECT_EQ(result, 42) << "the ticker did not reach 10 ticks while run_blocking waited";
  EXPECT_NE(worker, std::this_thread::get_id());
  EXPECT_GE(ticks_at_return, 10);
}

TEST(NetRunBlocking, ExceptionsAndVoidAndMoveOnlyResults) {
  EXPECT_THROW(weft::run_blocking([]() -> int { throw std::out_of_range("from the worker"); }), std::out_of_range);
  int side = 0;
  weft::run_blocking([&side] { side = 7; });
  EXPECT_EQ(side, 7);
  auto p = weft::run_blocking([] { return std::make_unique<std::string>("moved"); });
  EXPECT_EQ(*p, "moved");
}

TEST(NetRunBlocking, ManyAtOnceRunInParallel) {
  std::vector<int> results(16, -1);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 16; ++i)
    weft::spawn([&results, i] {
      results[i] = weft::run_blocking([i] {
        std::this_thread::sleep_for(100ms);
        return i * i;
      });
    });
  weft::run();
  for (int i = 0; i < 16; ++i) EXPECT_EQ(results[i], i * i);
  EXPECT_LT(ms_since(t0), 1000);  // serially this would take 1.6 s
}

TEST(NetRunBlocking, KilledCallerUnwindsAndTheJobFinishesAlone) {
  auto finished = std::make_shared<std::atomic<bool>>(false);
  bool after = false;
  weft::tasklet t = weft::spawn([&, finished] {
    weft::run_blocking([finished] {
      std::this_thread::sleep_for(50ms);
      finished->store(true);
    });
    after = true;
  });
  weft::spawn([&] {
    weft::sleep_for(5ms);
    t.kill();
    EXPECT_FALSE(t.alive());
    EXPECT_FALSE(finished->load());
  });
  weft::run();
  EXPECT_FALSE(after);
  for (int i = 0; i < 200 && !finished->load(); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(finished->load());
}
