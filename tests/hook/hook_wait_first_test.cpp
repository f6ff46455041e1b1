// A read on a stream whose previous read came back short, and whose reads after a short one
// have been finding nothing yet, waits for readiness before its system call (retry_read in
// src/hook/blocking.hpp). That is only right while the readiness edge it waits for cannot have
// been taken by another wait: these tests teach a stream that pattern (teach_lag), make
// another wait take the edge (poll, a killed reader, the peer's hang-up) and check that the
// next read still returns at once with the data. Each read has a 5 s SO_RCVTIMEO as a safety net,
// so a wrong wait-first shows as a slow EAGAIN, not a hung test.
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "hook_test.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

using namespace hook_test;

namespace {

struct stream_pair {
  int a = -1, b = -1;
  stream_pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    a = sv[0];
    b = sv[1];
    safety_timeout(a);
    safety_timeout(b);
  }
  ~stream_pair() {
    ::close(a);
    ::close(b);
  }
};

// One read of up to 64 bytes, as a string ("" for 0, "<errno text>" for -1).
std::string read_some(int fd) {
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) return "<" + std::string(std::strerror(errno)) + ">";
  return std::string(buf, static_cast<std::size_t>(n));
}

void send_all(int fd, const std::string& s) { ASSERT_EQ(::send(fd, s.data(), s.size(), 0), static_cast<ssize_t>(s.size())); }

// The reader's side of teaching: two short reads, the second made before its data came (so
// it learns that this stream's data lags its reads). Returns what both read.
std::string learn_lag(int reader) {
  std::string first = read_some(reader);
  return first + "," + read_some(reader);
}
// The writer's side: the two pieces, each after the reader is waiting for it.
void teach_lag(int writer) {
  for (const char* piece : {"one", "two"}) {
    weft::sleep_for(std::chrono::milliseconds(20));
    send_all(writer, piece);
  }
  weft::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

TEST(HookWaitFirst, RequestReplyOverTcp) {
  // The pattern it is for: short replies, each read right after its request.
  listener l;
  int served = 0;
  std::string last;
  weft::spawn([&] {
    int c = ::accept(l.fd, nullptr, nullptr);
    safety_timeout(c);
    for (;;) {
      std::string req = read_some(c);
      if (req.empty() || req[0] == '<') break;
      send_all(c, "re:" + req);
      ++served;
    }
    ::close(c);
  });
  weft::spawn([&] {
    int c = connect_to(l.address());
    safety_timeout(c);
    for (int i = 0; i < 200; ++i) {
      send_all(c, std::to_string(i));
      last = read_some(c);
      if (last != "re:" + std::to_string(i)) break;
    }
    ::close(c);
  });
  weft::run();
  EXPECT_EQ(served, 200);
  EXPECT_EQ(last, "re:199");
}

TEST(HookWaitFirst, PollTookTheReadinessFirst) {
  // libpq's shape: poll for POLLIN, then recv. The poll's wait takes the edge.
  stream_pair p;
  std::string first, second;
  long long took = -1;
  weft::spawn([&] {
    first = learn_lag(p.a);  // short: the queue is empty afterwards
    pollfd f{p.a, POLLIN, 0};
    EXPECT_EQ(::poll(&f, 1, 5000), 1);
    auto t0 = clock::now();
    char buf[64];
    ssize_t n = ::recv(p.a, buf, sizeof buf, 0);
    second.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    took = ms_since(t0);
  });
  weft::spawn([&] {
    teach_lag(p.b);  // the reader is in poll by the end
    send_all(p.b, "three");
  });
  weft::run();
  EXPECT_EQ(first, "one,two");
  EXPECT_EQ(second, "three");
  EXPECT_LT(took, 1000);
}

TEST(HookWaitFirst, HangUpAfterAShortRead) {
  // Data and the peer's close arrive together while a poll waits, whose wait takes the
  // readiness (and the hang-up with it); the reads after it see the data, then the end of
  // the stream, at once.
  stream_pair p;
  std::string first, data, end;
  long long took = -1;
  weft::spawn([&] {
    first = learn_lag(p.a);
    pollfd f{p.a, POLLIN, 0};
    EXPECT_EQ(::poll(&f, 1, 5000), 1);
    auto t0 = clock::now();
    data = read_some(p.a);
    end = read_some(p.a);
    took = ms_since(t0);
  });
  weft::spawn([&] {
    teach_lag(p.b);
    send_all(p.b, "three");
    ::shutdown(p.b, SHUT_WR);  // in the same turn: one readiness report for both
  });
  weft::run();
  EXPECT_EQ(first, "one,two");
  EXPECT_EQ(data, "three");
  EXPECT_EQ(end, "");
  EXPECT_LT(took, 1000);
}

TEST(HookWaitFirst, KilledReaderLeavesTheNextReadCorrect) {
  // A reader killed in its wait-first (after a short read): the next read of the descriptor
  // finds what comes afterwards.
  stream_pair p;
  std::string first, got;
  long long took = -1;
  weft::tasklet victim = weft::spawn([&] {
    first = learn_lag(p.a);
    (void)read_some(p.a);  // waits first: killed here
    ADD_FAILURE() << "the killed reader returned";
  });
  weft::spawn([&] {
    teach_lag(p.b);
    victim.kill();
    send_all(p.b, "three");
    auto t0 = clock::now();
    got = read_some(p.a);
    took = ms_since(t0);
  });
  weft::run();
  EXPECT_EQ(first, "one,two");
  EXPECT_EQ(got, "three");
  EXPECT_LT(took, 1000);
}

TEST(HookWaitFirst, VectorAndMessageReads) {
  // readv and recvmsg take part too: short reads, then replies that come later.
  stream_pair p;
  std::string got;
  weft::spawn([&] {
    for (int i = 0; i < 3; ++i) {
      char x[8], y[8];
      iovec v[2] = {{x, sizeof x}, {y, sizeof y}};
      ssize_t n = i % 2 ? ::readv(p.a, v, 2) : [&] {
        msghdr m{};
        m.msg_iov = v;
        m.msg_iovlen = 2;
        return ::recvmsg(p.a, &m, 0);
      }();
      if (n > 0) got.append(x, static_cast<std::size_t>(std::min<ssize_t>(n, 8)));
      send_all(p.a, "ack");
    }
  });
  weft::spawn([&] {
    for (const char* m : {"r0", "r1", "r2"}) {
      send_all(p.b, m);
      EXPECT_EQ(read_some(p.b), "ack");
    }
  });
  weft::run();
  EXPECT_EQ(got, "r0r1r2");
}
