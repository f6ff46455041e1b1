// Name resolution on the worker pool, and the stall monitor.
#include <netdb.h>
#include <string.h>

#include <mutex>
#include <string>
#include <vector>

#include "hook_test.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

using namespace hook_test;

TEST(HookDns, GetaddrinfoFromTwentyTasklets) {
  weft::hook::reset_counts();
  int ok = 0;
  int loopback = 0;
  for (int i = 0; i < 20; ++i) {
    weft::spawn([&] {
      addrinfo hints{};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      int rc = ::getaddrinfo("localhost", "80", &hints, &res);
      EXPECT_EQ(rc, 0) << gai_strerror(rc);
      if (rc != 0) return;
      ++ok;
      auto* a = reinterpret_cast<sockaddr_in*>(res->ai_addr);
      if (a->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(a->sin_port) == 80) ++loopback;
      ::freeaddrinfo(res);
    });
  }
  weft::run();
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(loopback, 20);
  EXPECT_EQ(handled("getaddrinfo"), 20u);
}

// A literal address runs in place (no pool); the answers must be libc's own, as a plain
// thread gets them.
TEST(HookDns, LiteralAddressesAsLibcAnswersThem) {
  struct ask {
    const char* node;
    const char* service;
    int flags;
  };
  const ask asks[] = {{"127.0.0.1", "6379", 0}, {"::1", "80", 0}, {"127.0.0.1", nullptr, 0},
                      {nullptr, "8080", AI_PASSIVE}, {"10.1.2.3", "http", 0}, {"::ffff:127.0.0.1", "0", 0}};
  auto describe = [](const ask& q) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = q.flags;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(q.node, q.service, &hints, &res);
    std::string out = std::to_string(rc);
    for (addrinfo* a = res; a; a = a->ai_next) {
      char h[NI_MAXHOST], sv[NI_MAXSERV];
      ::getnameinfo(a->ai_addr, a->ai_addrlen, h, sizeof h, sv, sizeof sv, NI_NUMERICHOST | NI_NUMERICSERV);
      out += " " + std::to_string(a->ai_family) + "/" + std::to_string(a->ai_socktype) + " " + h + " " + sv;
    }
    if (res) ::freeaddrinfo(res);
    return out;
  };
  std::vector<std::string> plain, tasklets;
  for (const ask& q : asks) plain.push_back(describe(q));
  weft::hook::reset_counts();
  weft::spawn([&] {
    for (const ask& q : asks) tasklets.push_back(describe(q));
  });
  weft::spawn([] {});
  weft::run();
  EXPECT_EQ(tasklets, plain);
  EXPECT_EQ(plain[0], "0 2/1 127.0.0.1 6379");
  EXPECT_EQ(handled("getaddrinfo"), std::size(asks));
}

TEST(HookDns, ErrorsAreLibcs) {
  weft::spawn([] {
    addrinfo* res = nullptr;
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST;
    EXPECT_EQ(::getaddrinfo("not-a-number", nullptr, &hints, &res), EAI_NONAME);
  });
  weft::spawn([] {});
  weft::run();
}

TEST(HookDns, GetnameinfoAndGethostbyname) {
  weft::hook::reset_counts();
  std::string host, serv, name, addr;
  weft::spawn([&] {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(80);
    char h[NI_MAXHOST], s[NI_MAXSERV];
    EXPECT_EQ(::getnameinfo(reinterpret_cast<sockaddr*>(&a), sizeof a, h, sizeof h, s, sizeof s,
                            NI_NUMERICHOST | NI_NUMERICSERV), 0);
    host = h;
    serv = s;
    hostent ent{}, *res = nullptr;
    char buf[2048];
    int herr = 0;
    EXPECT_EQ(::gethostbyname_r("localhost", &ent, buf, sizeof buf, &res, &herr), 0);
    if (res) {
      name = res->h_name;
      char text[INET_ADDRSTRLEN];
      ::inet_ntop(AF_INET, res->h_addr_list[0], text, sizeof text);
      addr = text;
      // Every pointer lands in the caller's buffer.
      EXPECT_GE(res->h_addr_list[0], buf);
      EXPECT_LT(res->h_addr_list[0], buf + sizeof buf);
    }
    hostent* h2 = ::gethostbyname("localhost");
    ASSERT_NE(h2, nullptr);
    EXPECT_EQ(h2->h_addrtype, AF_INET);
  });
  weft::spawn([] {});
  weft::run();
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(serv, "80");
  EXPECT_EQ(name, "localhost");
  EXPECT_EQ(addr, "127.0.0.1");
  EXPECT_EQ(handled("getnameinfo"), 1u);
  EXPECT_EQ(handled("gethostbyname_r"), 1u);
  EXPECT_EQ(handled("gethostbyname"), 1u);
}

// Spins without any call weft interposes: the tasklet holds its thread.
[[gnu::noinline]] void hook_test_spin(std::chrono::milliseconds d) {
  auto until = clock::now() + d;
  volatile unsigned x = 0;
  while (clock::now() < until) x = x + 1;
}

TEST(HookStallMonitor, ReportsACpuLoopOnceByName) {
  std::mutex mu;
  std::vector<weft::hook::stall> seen;
  weft::hook::set_stall_handler([&](const weft::hook::stall& s) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(s);
  });
  weft::hook::set_stall_threshold(std::chrono::milliseconds(100));
  weft::spawn(weft::spawn_options{.name = "spinner"}, [] {
    ::usleep(1000);  // an interposed call: the monitor watches this thread from now on
    hook_test_spin(std::chrono::milliseconds(400));
  });
  weft::spawn([] { ::usleep(2000); });
  weft::run();
  ::usleep(60'000);  // the monitor's last look
  weft::hook::set_stall_handler(nullptr);
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].tasklet, "spinner");
  EXPECT_GE(seen[0].held, std::chrono::milliseconds(100));
  EXPECT_NE(seen[0].backtrace.find("hook_test_spin"), std::string::npos) << seen[0].backtrace;
}

TEST(HookStallMonitor, QuietWhileTaskletsWaitAndSwitch) {
  std::mutex mu;
  int reports = 0;
  weft::hook::set_stall_handler([&](const weft::hook::stall&) {
    std::lock_guard<std::mutex> l(mu);
    ++reports;
  });
  weft::hook::set_stall_threshold(std::chrono::milliseconds(50));
  for (int i = 0; i < 3; ++i)
    weft::spawn([] {
      for (int k = 0; k < 10; ++k) ::usleep(20'000);
    });
  weft::run();
  weft::hook::set_stall_handler(nullptr);
  weft::hook::set_stall_threshold(std::chrono::milliseconds(100));
  EXPECT_EQ(reports, 0);
}
