// Receives the kernel performs for a tasklet (io_uring: socket::recv_into hands a receive that
// would block to the reactor). The buffer belongs to the kernel until the receive ends, so a
// kill, a timeout or a close must wait for that end, and nothing received may be lost.
// Under WEFT_REACTOR=epoll the same tests check the ordinary path gives the same outcomes.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <atomic>
#include <thread>
#include <tuple>
#include <vector>

#include "reactor/reactor.hpp"
#include "unit/net_test.hpp"

using namespace net_test;
using weft::detail::reactor_backend_name;
using weft::detail::reactor_recvs_started;

namespace {

bool kernel_receives() {
  warm_up_reactor();
  return std::strcmp(reactor_backend_name(), "uring") == 0;
}

// A receive that would block is handed to the kernel under io_uring, and to nobody under
// epoll; `before` is the counter read before it.
void expect_kernel_received(std::uint64_t before) {
  if (std::strcmp(reactor_backend_name(), "uring") == 0)
    EXPECT_GT(reactor_recvs_started(), before) << "the receive did not go to the kernel";
  else
    EXPECT_EQ(reactor_recvs_started(), before);
}

std::string pattern(std::size_t n, std::size_t seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

}  // namespace

// Messages of many sizes arrive intact and in order while the reader keeps waiting in the
// kernel between them.
TEST(NetRecvByKernel, EveryByteArrivesInOrder) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  const std::uint64_t before = reactor_recvs_started();
  std::string sent, got;
  weft::spawn([&, &a = a] {
    for (std::size_t i = 0, n = 1; i < 40; ++i, n = n * 3 % 70001 + 1) {
      std::string m = pattern(n, i);
      a.sendall(m);
      sent += m;
      weft::sleep_for(1ms);  // the reader drains and waits again
    }
    a.shutdown(net::shutdown_how::write);
  });
  weft::spawn([&, &b = b] {
    char buf[4096];
    for (std::size_t n; (n = b.recv_into(std::as_writable_bytes(std::span(buf)))) > 0;) got.append(buf, n);
  });
  weft::run();
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "the bytes received differ from the bytes sent";
  expect_kernel_received(before);
}

// The thread's main tasklet may wait in the kernel too: the thread runs other tasklets.
TEST(NetRecvByKernel, MainTaskletReceives) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  const std::uint64_t before = reactor_recvs_started();
  weft::spawn([&, &a = a] {
    weft::sleep_for(5ms);
    a.sendall("from a tasklet");
  });
  char buf[64];
  std::size_t n = b.recv_into(std::as_writable_bytes(std::span(buf)));
  EXPECT_EQ(std::string(buf, n), "from a tasklet");
  expect_kernel_received(before);
  weft::run();
}

// A timeout cancels the receive; data sent afterwards is read by the next call.
TEST(NetRecvByKernel, TimeoutCancelsAndLosesNothing) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  b.set_timeout(30ms);
  const std::uint64_t before = reactor_recvs_started();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of([&, &b = b] { b.recv(16); }), std::errc::timed_out);
  EXPECT_GE(ms_since(t0), 25.0);
  expect_kernel_received(before);
  a.sendall("after the timeout");
  EXPECT_EQ(b.recv(64), "after the timeout");
}

// A reader killed while the kernel holds its buffer unwinds (its destructors run), and the
// data sent after the kill is still in the socket for the next reader.
TEST(NetRecvByKernel, KillWhileWaitingUnwindsAndLosesNothing) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  bool unwound = false;
  struct on_unwind {
    bool* flag;
    ~on_unwind() { *flag = true; }
  };
  weft::tasklet reader = weft::spawn([&, &b = b] {
    on_unwind guard{&unwound};
    b.recv(64);
    ADD_FAILURE() << "the killed reader received data";
  });
  weft::sleep_for(5ms);  // the reader is waiting in the kernel
  reader.kill();
  EXPECT_TRUE(unwound);
  EXPECT_FALSE(reader.alive());
  a.sendall("still here");
  EXPECT_EQ(b.recv(64), "still here");
}

// The data arrives and the kernel completes the receive, but the kill reaches the reader
// before it runs again: the reader returns the data, and the kill is raised at its next
// call. Every byte is either received by the reader or still in the socket.
TEST(NetRecvByKernel, KillRacingDataLosesNothing) {
  kernel_receives();
  for (int round = 0; round < 20; ++round) {
    auto [a, b] = tcp_pair();
    std::string got;
    bool killed = false;
    weft::tasklet reader = weft::spawn([&, &b = b] {
      try {
        char buf[256];
        for (;;) got.append(buf, b.recv_into(std::as_writable_bytes(std::span(buf))));
      } catch (const weft::tasklet_exit&) {
        killed = true;
        throw;
      }
    });
    weft::sleep_for(2ms);
    const std::string m = pattern(100, static_cast<std::size_t>(round));
    a.sendall(m);
    // Give the data time to arrive without letting the reader run (no switch point here).
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200 * (round % 5));
    while (std::chrono::steady_clock::now() < until) {
    }
    reader.kill();
    EXPECT_TRUE(killed);
    EXPECT_FALSE(reader.alive());
    b.set_timeout(0ms);
    std::error_code ec;
    char rest[256];
    std::size_t n = b.recv_into(std::as_writable_bytes(std::span(rest)), 0, ec);
    if (!ec) got.append(rest, n);
    EXPECT_EQ(got, m) << "round " << round << ": bytes were lost or duplicated";
  }
}

// Closing the socket from another tasklet ends the receive at once with a clear error, and
// the peer sees the close at once: the receive holds no reference that keeps the file open.
TEST(NetRecvByKernel, CloseFromAnotherTaskletEndsTheReceive) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  std::error_code ec;
  weft::spawn([&, &b = b] {
    char buf[16];
    b.recv_into(std::as_writable_bytes(std::span(buf)), 0, ec);
  });
  weft::spawn([&, &b = b] {
    weft::sleep_for(5ms);
    b.close();
  });
  weft::spawn([&, &a = a] {
    a.set_timeout(2s);
    EXPECT_EQ(a.recv(8), "") << "the peer did not see the close";
  });
  weft::run();
  EXPECT_EQ(ec, std::errc::operation_canceled) << ec.message();
}

// A tasklet on the shared (dense) stack never lends its buffer to the kernel (the buffer
// moves when the tasklet is switched out): it waits for readiness instead.
TEST(NetRecvByKernel, DenseTaskletsWaitForReadiness) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  const std::uint64_t before = reactor_recvs_started();
  std::string got;
  weft::spawn(weft::spawn_options{.stack = weft::stack_kind::dense}, [&, &b = b] {
    char buf[64];
    got.assign(buf, b.recv_into(std::as_writable_bytes(std::span(buf))));
  });
  weft::spawn([&, &a = a] {
    weft::sleep_for(5ms);
    a.sendall("dense");
  });
  weft::run();
  EXPECT_EQ(got, "dense");
  EXPECT_EQ(reactor_recvs_started(), before);
}

// Two readers of one socket: the second waits for readiness (one receive per fd in the
// kernel); both get data, none is lost.
TEST(NetRecvByKernel, TwoReadersShareTheData) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  std::string got1, got2;
  auto reader = [&, &b = b](std::string& got) {
    char buf[64];
    got.assign(buf, b.recv_into(std::as_writable_bytes(std::span(buf))));
  };
  weft::spawn([&] { reader(got1); });
  weft::spawn([&] { reader(got2); });
  weft::spawn([&, &a = a] {
    weft::sleep_for(5ms);
    a.sendall("first");
    weft::sleep_for(5ms);
    a.sendall("second");
  });
  weft::run();
  EXPECT_EQ(got1 + got2 == "firstsecond" || got1 + got2 == "secondfirst", true) << got1 << "|" << got2;
}

// A peek waits in the kernel like a receive and leaves the data for the next receive.
TEST(NetRecvByKernel, PeekLeavesTheData) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  weft::spawn([&, &a = a] {
    weft::sleep_for(5ms);
    a.sendall("peeked");
  });
  EXPECT_EQ(b.recv(64, MSG_PEEK), "peeked");
  EXPECT_EQ(b.recv(64), "peeked");
  weft::run();
}

// A thread that ends while one of its tasklets waits in the kernel unwinds that tasklet
// (its destructors run) before the thread's reactor goes away.
TEST(NetRecvByKernel, ThreadExitUnwindsAReceivingTasklet) {
  auto [a, b] = tcp_pair();
  int fd = b.native_handle();
  bool unwound = false;
  std::thread t([&] {
    struct on_unwind {
      bool* flag;
      ~on_unwind() { *flag = true; }
    };
    net::socket mine = net::socket::adopt(::dup(fd));
    weft::spawn([&] {
      on_unwind guard{&unwound};
      mine.recv(16);
    });
    weft::schedule();  // the tasklet starts and waits; then the thread ends
  });
  t.join();
  EXPECT_TRUE(unwound);
  a.sendall("kept");
  EXPECT_EQ(b.recv(16), "kept");
}

// Many readers share one buffer, each using it only while it runs (the echo server's
// pattern): the kernel never writes into it while a reader sleeps, so none sees another's
// data.
TEST(NetRecvByKernel, ReadersMayShareOneBuffer) {
  kernel_receives();
  static char shared[256];
  constexpr int readers = 20;
  std::vector<std::pair<net::socket, net::socket>> pairs;
  for (int i = 0; i < readers; ++i) pairs.push_back(tcp_pair());
  std::vector<std::string> got(readers);
  for (int i = 0; i < readers; ++i)
    weft::spawn([&, i] {
      for (std::size_t n; (n = pairs[i].second.recv_into(std::as_writable_bytes(std::span(shared)))) > 0;)
        got[i].append(shared, n);
    });
  weft::spawn([&] {
    for (int round = 0; round < 5; ++round) {
      for (int i = 0; i < readers; ++i) pairs[i].first.sendall(pattern(50, static_cast<std::size_t>(i)));
      weft::sleep_for(2ms);  // every reader is woken in the same idle wait
    }
    for (auto& p : pairs) p.first.shutdown(net::shutdown_how::write);
  });
  weft::run();
  for (int i = 0; i < readers; ++i) {
    std::string want;
    for (int round = 0; round < 5; ++round) want += pattern(50, static_cast<std::size_t>(i));
    EXPECT_EQ(got[i], want) << "reader " << i;
  }
}

// A large message that arrives while the reader waits comes in pieces of at most the
// kernel-side buffer, and the reader then reads the rest without waiting again.
TEST(NetRecvByKernel, LargeMessagesAfterAWait) {
  kernel_receives();
  auto [a, b] = tcp_pair();
  const std::string m = pattern(300000, 3);
  weft::spawn([&, &a = a] {
    weft::sleep_for(5ms);
    a.sendall(m);
    a.shutdown(net::shutdown_how::write);
  });
  std::string got;
  std::vector<char> buf(65536);
  for (std::size_t n; (n = b.recv_into(std::as_writable_bytes(std::span(buf)))) > 0;) got.append(buf.data(), n);
  EXPECT_TRUE(got == m) << got.size() << " bytes received of " << m.size();
  weft::run();
}

// Many connections, each with a stream of numbered bytes, and readers that are killed at
// random, time out at random and are replaced: every stream arrives whole and in order,
// each byte once.
TEST(NetRecvByKernel, RandomKillsAndTimeoutsLoseNothing) {
  kernel_receives();
  constexpr int conns = 40;
  constexpr int messages = 60;
  struct side {
    net::socket writer, reader_end;
    std::string sent, got;
    bool eof = false;
    weft::tasklet reader;
  };
  std::vector<side> sides(conns);
  for (auto& s : sides) {
    std::tie(s.writer, s.reader_end) = tcp_pair();
    s.reader_end.set_timeout(std::chrono::microseconds(700));
  }
  std::uint32_t rng = 12345;
  auto next = [&] { return rng = rng * 1664525u + 1013904223u, rng >> 8; };
  auto read_on = [&](side& s) {
    char buf[512];
    for (;;) {
      std::error_code ec;
      std::size_t n = s.reader_end.recv_into(std::as_writable_bytes(std::span(buf)), 0, ec);
      if (ec == std::errc::timed_out) continue;
      ASSERT_FALSE(ec) << ec.message();
      if (n == 0) {
        s.eof = true;
        return;
      }
      s.got.append(buf, n);
    }
  };
  for (auto& s : sides) s.reader = weft::spawn([&] { read_on(s); });
  int writers_left = conns;
  for (int i = 0; i < conns; ++i)
    weft::spawn([&, i] {
      side& s = sides[i];
      for (int m = 0; m < messages; ++m) {
        std::string chunk = pattern(1 + next() % 700, s.sent.size());
        s.writer.sendall(chunk);
        s.sent += chunk;
        weft::sleep_for(std::chrono::microseconds(next() % 1500));
      }
      s.writer.shutdown(net::shutdown_how::write);
      --writers_left;
    });
  int kills = 0;
  weft::spawn([&] {
    while (writers_left > 0) {
      side& s = sides[next() % conns];
      if (s.reader.alive()) {
        s.reader.kill();
        ++kills;
        s.reader = weft::spawn([&] { read_on(s); });
      }
      weft::sleep_for(std::chrono::microseconds(200 + next() % 300));
    }
  });
  weft::run();
  EXPECT_GT(kills, 20);
  for (int i = 0; i < conns; ++i) {
    EXPECT_TRUE(sides[i].eof) << "connection " << i;
    EXPECT_EQ(sides[i].got.size(), sides[i].sent.size()) << "connection " << i;
    EXPECT_TRUE(sides[i].got == sides[i].sent) << "connection " << i << ": bytes lost, duplicated or reordered";
  }
}

// A kill from another thread reaches a tasklet whose receive the kernel holds: it unwinds
// on its own thread, the receive is cancelled first, and nothing is consumed.
TEST(NetRecvByKernel, KillFromAnotherThreadEndsTheReceive) {
  const bool uring = kernel_receives();
  auto [a, b] = tcp_pair();
  int fd = ::dup(b.native_handle());
  std::atomic<bool> receiving{false};
  std::atomic<std::uint64_t> started{0};
  bool unwound = false;
  weft::tasklet reader;
  std::atomic<bool> have_reader{false};
  std::thread t([&] {
    struct on_unwind {
      bool* flag;
      ~on_unwind() { *flag = true; }
    };
    net::socket mine = net::socket::adopt(fd);
    reader = weft::spawn([&] {
      on_unwind guard{&unwound};
      receiving = true;
      mine.recv(16);
      ADD_FAILURE() << "the killed reader received data";
    });
    have_reader = true;
    weft::spawn([&] {
      while (!unwound) weft::sleep_for(1ms);  // keeps the thread's scheduler going
      started = reactor_recvs_started();
    });
    weft::run();
  });
  while (!have_reader || !receiving) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);  // the reader now waits in its thread's reactor
  reader.kill();
  t.join();
  EXPECT_TRUE(unwound);
  if (uring) EXPECT_GT(started.load(), 0u) << "the reader's receive did not go to the kernel";
  else EXPECT_EQ(started.load(), 0u);
  a.sendall("kept");
  EXPECT_EQ(b.recv(16), "kept");
}
