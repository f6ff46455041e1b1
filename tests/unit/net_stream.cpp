// The buffered stream (test_socket's FileObjectClassTestCase / makefile tests).
#include <gtest/gtest.h>

#include "unit/net_test.hpp"

using namespace net_test;

namespace {

// Sends `parts` one send at a time with a pause between, then closes: the reader sees the
// bytes in arbitrary fragments.
void trickle(net::socket& s, std::vector<std::string> parts) {
  weft::spawn([&s, parts = std::move(parts)] {
    for (const auto& p : parts) {
      s.sendall(p);
      weft::sleep_for(2ms);
    }
    s.close();
  });
}

}  // namespace

TEST(NetStream, ReadLineAcrossFragments) {
  auto [a, b] = tcp_pair();
  trickle(a, {"fir", "st\nsec", "ond\n\nthi", "rd without newline"});
  std::vector<std::string> lines;
  weft::spawn([&, &b = b] {
    net::stream in(b);
    for (std::string l; !(l = in.read_line()).empty();) lines.push_back(l);
  });
  weft::run();
  EXPECT_EQ(lines, (std::vector<std::string>{"first\n", "second\n", "\n", "third without newline"}));
}

TEST(NetStream, ReadLineLongerThanMaxComesInPieces) {
  auto [a, b] = tcp_pair();
  a.sendall("abcdefghij\nxy\n");
  a.close();
  net::stream in(b, 4);  // a tiny buffer grows as needed
  EXPECT_EQ(in.read_line(4), "abcd");
  EXPECT_EQ(in.read_line(4), "efgh");
  EXPECT_EQ(in.read_line(4), "ij\n");
  EXPECT_EQ(in.read_line(4), "xy\n");
  EXPECT_EQ(in.read_line(4), "");
}

TEST(NetStream, ReadUntilDelimiterSplitAcrossReads) {
  auto [a, b] = tcp_pair();
  trickle(a, {"GET / HTTP/1.0\r", "\nHost: x\r\n\r", "\nbody", "rest"});
  std::vector<std::string> got;
  weft::spawn([&, &b = b] {
    net::stream in(b);
    got.push_back(in.read_until("\r\n\r\n"));
    got.push_back(in.read_exact(4));
    EXPECT_EQ(in.buffered() <= 4, true);
    // The stream ends before the delimiter: eof, and nothing consumed.
    std::error_code ec;
    EXPECT_EQ(in.read_until("\n", 100, ec), "");
    EXPECT_EQ(ec, net::stream_errc::eof);
    got.push_back(in.read_all());
  });
  weft::run();
  EXPECT_EQ(got, (std::vector<std::string>{"GET / HTTP/1.0\r\nHost: x\r\n\r\n", "body", "rest"}));
}

TEST(NetStream, ReadUntilTooLongAndReadExactEof) {
  auto [a, b] = tcp_pair();
  a.sendall("0123456789");
  a.close();
  net::stream in(b);
  std::error_code ec;
  EXPECT_EQ(in.read_until(";", 5, ec), "");
  EXPECT_EQ(ec, net::stream_errc::too_long);
  EXPECT_EQ(ec.message(), "delimiter not found within the limit");
  EXPECT_EQ(in.read_exact(3), "012");  // nothing was consumed by the failure
  try {
    in.read_exact(10);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), net::stream_errc::eof);
    EXPECT_EQ(std::string(e.what()), "read_exact from " + b.describe() + ": unexpected end of stream");
  }
}

TEST(NetStream, WritesAreBufferedUntilFlush) {
  auto [a, b] = tcp_pair();
  net::stream out(a, 64);
  out.write("hello ");
  out.write("world\n");
  EXPECT_EQ(out.pending(), 12u);
  b.set_blocking(false);
  EXPECT_EQ(code_of([&, &b = b] { b.recv(64); }), std::errc::operation_would_block);  // nothing sent yet
  out.flush();
  EXPECT_EQ(out.pending(), 0u);
  b.set_blocking(true);
  EXPECT_EQ(b.recv(64), "hello world\n");
  // A write at least as large as the buffer goes out at once, after what is buffered.
  out.write("a");
  out.write(std::string(100, 'b'));
  EXPECT_EQ(out.pending(), 0u);
  std::string got;
  while (got.size() < 101) got += b.recv(256);
  EXPECT_EQ(got, "a" + std::string(100, 'b'));
}

TEST(NetStream, ReadAndWriteOneSocketTogether) {
  auto [a, b] = tcp_pair();
  weft::spawn([&, &b = b] {
    net::stream io(b);
    for (std::string line; !(line = io.read_line()).empty();) {
      io.write("echo: " + line);
      io.flush();
    }
    b.close();
  });
  std::vector<std::string> replies;
  weft::spawn([&, &a = a] {
    net::stream io(a);
    for (const char* l : {"one\n", "two\n"}) {
      io.write(l);
      io.flush();
      replies.push_back(io.read_line());
    }
    a.shutdown(net::shutdown_how::write);
    EXPECT_EQ(io.read_line(), "");
  });
  weft::run();
  EXPECT_EQ(replies, (std::vector<std::string>{"echo: one\n", "echo: two\n"}));
}
