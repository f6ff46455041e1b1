// A tasklet whose peer always has data ready never has to wait. It must still not hold the
// thread: timers fire and other tasklets run while it reads (one flooding client must not
// stall a server's other players).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <span>
#include <thread>
#include <vector>

#include "unit/net_test.hpp"

using namespace net_test;

namespace {

// A plain thread (no scheduler) that sends as fast as it can until `stop`, so the reader
// finds its receive queue full at every call.
std::thread flood(std::uint16_t port, std::atomic<bool>& stop) {
  return std::thread([port, &stop] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
      std::vector<char> chunk(1 << 16, 'f');
      while (!stop.load() && ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
      }
    }
    ::close(fd);
  });
}

}  // namespace

TEST(NetFairness, ABusyReaderLetsTimersAndOtherTaskletsRun) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::atomic<bool> stop{false};
  std::thread flooder = flood(l.local_address().port(), stop);
  net::socket s = l.accept();

  bool slept = false, ran = false;
  weft::tasklet sleeper = weft::spawn([&] {
    weft::sleep_for(10ms);
    slept = true;
  });
  weft::tasklet other = weft::spawn([&] { ran = true; });

  // Small reads: each finds data already queued, so this loop never waits on its own.
  const auto start = weft::clock::now();
  std::byte buf[16];
  std::size_t total = 0;
  while (!(slept && ran) && weft::clock::now() - start < 5s) total += s.recv_into(buf);
  const auto took = weft::clock::now() - start;
  stop = true;
  s.close();
  flooder.join();

  EXPECT_TRUE(ran) << "another runnable tasklet never ran while the reader was busy";
  EXPECT_TRUE(slept) << "a 10 ms sleep did not end within 5 s while the reader was busy";
  EXPECT_LT(took, 2s);
  EXPECT_GT(total, 0u);
}

// A pending kill (what a server does to drop a client) is raised in a reader that never
// waits: at the start of its next call, before that call takes any data.
TEST(NetFairness, APendingKillReachesABusyReader) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::atomic<bool> stop{false};
  std::thread flooder = flood(l.local_address().port(), stop);
  net::socket s = l.accept();

  bool unwound = false;
  const auto start = weft::clock::now();
  weft::tasklet reader = weft::spawn([&] {
    struct on_exit {
      bool& flag;
      ~on_exit() { flag = true; }
    } mark{unwound};
    std::byte buf[16];
    while (weft::clock::now() - start < 5s) s.recv_into(buf);
  });
  weft::sleep_for(20ms);  // returns only because the reader yields
  reader.kill(true);
  while (reader.alive() && weft::clock::now() - start < 5s) weft::sleep_for(1ms);
  const auto took = weft::clock::now() - start;
  stop = true;
  s.close();
  flooder.join();

  EXPECT_TRUE(unwound);
  EXPECT_FALSE(reader.alive());
  EXPECT_LT(took, 2s) << "the kill was raised only when the reader gave up by itself";
}

// The same guarantee when every tasklet involved runs on the shared (dense) stack: the
// yield copies the reader's stack out and the sleeper's in, and the reader's buffer, on
// that stack, must come back intact.
TEST(NetFairness, ABusyDenseReaderLetsDenseTaskletsRun) {
  const weft::spawn_options dense{.stack = weft::stack_kind::dense};
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::atomic<bool> stop{false};
  std::thread flooder = flood(l.local_address().port(), stop);
  net::socket s = l.accept();

  bool slept = false, ran = false, intact = true;
  std::size_t total = 0;
  weft::clock::duration took{};
  weft::spawn(dense, [&] {
    weft::sleep_for(10ms);
    slept = true;
  });
  weft::spawn(dense, [&] { ran = true; });
  weft::spawn(dense, [&] {
    const auto start = weft::clock::now();
    char buf[16];
    while (!(slept && ran) && weft::clock::now() - start < 5s) {
      std::size_t n = s.recv_into(std::as_writable_bytes(std::span(buf)));
      for (std::size_t i = 0; i < n; ++i) intact = intact && buf[i] == 'f';
      total += n;
    }
    took = weft::clock::now() - start;
  });
  weft::run();
  stop = true;
  s.close();
  flooder.join();

  EXPECT_TRUE(ran);
  EXPECT_TRUE(slept) << "a 10 ms sleep did not end within 5 s while the dense reader was busy";
  EXPECT_LT(took, 2s);
  EXPECT_GT(total, 0u);
  EXPECT_TRUE(intact) << "the reader's stack buffer changed across a yield";
}

// A kill from another thread reaches a reader on its own scheduler thread that never waits:
// the kill travels as a post, which the reader's thread takes at the yield its calls make.
TEST(NetFairness, AKillFromAnotherThreadReachesABusyReader) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  const std::uint16_t port = l.local_address().port();
  std::atomic<bool> stop{false};
  std::thread flooder = flood(port, stop);

  std::promise<weft::tasklet> started;
  std::atomic<bool> unwound{false};
  std::atomic<bool> gave_up{false};
  std::thread server([&] {
    net::socket s = l.accept();
    weft::tasklet reader = weft::spawn([&] {
      struct on_exit {
        std::atomic<bool>& flag;
        ~on_exit() { flag = true; }
      } mark{unwound};
      const auto start = weft::clock::now();
      std::byte buf[16];
      while (weft::clock::now() - start < 5s) s.recv_into(buf);
      gave_up = true;
    });
    started.set_value(reader);
    weft::run();
    s.close();
  });
  weft::tasklet reader = started.get_future().get();
  std::this_thread::sleep_for(20ms);
  const auto kill_at = std::chrono::steady_clock::now();
  reader.kill();
  server.join();
  const auto took = std::chrono::steady_clock::now() - kill_at;
  stop = true;
  flooder.join();

  EXPECT_TRUE(unwound);
  EXPECT_FALSE(gave_up) << "the reader ran to its own time limit: the kill never reached it";
  EXPECT_LT(took, 2s);
}
