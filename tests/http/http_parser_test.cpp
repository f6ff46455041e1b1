// The parser wrapper alone: framing rules (RFC 9112 section 6), limits, pipelining, and
// that feeding byte by byte gives the same result as feeding at once.
#include <gtest/gtest.h>

#include <string>

#include "parser.hpp"

using weft::http::detail::parse_event;
using weft::http::detail::parse_limits;
using weft::http::detail::parser;

namespace {

struct outcome {
  int error = 0;
  std::string method, url, body;
  std::size_t messages = 0;
};

// Parses every message in `in`, `piece` bytes at a time.
outcome parse_all(std::string_view in, std::size_t piece = 1 << 20, parse_limits lim = {}) {
  parser p(parser::kind::request, lim);
  outcome o;
  std::size_t pos = 0;
  while (pos < in.size()) {
    std::size_t n = std::min(piece, in.size() - pos);
    auto st = p.feed(in.data() + pos, n);
    pos += st.consumed;
    if (st.ev == parse_event::error) {
      o.error = p.error_status();
      return o;
    }
    if (st.ev == parse_event::head && o.messages == 0) {
      o.method = p.method;
      o.url = p.url;
    }
    o.body += p.body();
    p.body().clear();
    if (st.ev == parse_event::done) {
      ++o.messages;
      p.reset();
    }
  }
  return o;
}

TEST(HttpParser, SimpleGet) {
  auto o = parse_all("GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(o.error, 0);
  EXPECT_EQ(o.method, "GET");
  EXPECT_EQ(o.url, "/a?b");
  EXPECT_EQ(o.messages, 1u);
}

TEST(HttpParser, PipelinedMessagesStopAtEachEnd) {
  std::string in =
      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "POST /y HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n1;ext=1\r\nf\r\n0\r\nT: v\r\n\r\n"
      "GET /z HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t piece : {std::size_t(1), std::size_t(2), std::size_t(7), std::size_t(1000)}) {
    auto o = parse_all(in, piece);
    EXPECT_EQ(o.error, 0) << piece;
    EXPECT_EQ(o.messages, 3u) << piece;
    EXPECT_EQ(o.body, "abcdef") << piece;
  }
}

TEST(HttpParser, RefusesAmbiguousLengths) {
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\na").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\na").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").error, 501);
  EXPECT_EQ(parse_all("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n").error, 400);
}

TEST(HttpParser, Limits) {
  parse_limits lim;
  lim.max_request_line = 100;
  lim.max_header_bytes = 200;
  lim.max_headers = 3;
  lim.max_body = 10;
  EXPECT_EQ(parse_all("GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 1 << 20, lim).error, 414);
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\nHost: x\r\nA: " + std::string(300, 'a') + "\r\n\r\n", 1 << 20, lim).error, 431);
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 1 << 20, lim).error, 431);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", 1 << 20, lim).error, 413);
  EXPECT_EQ(parse_all("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n", 3, lim).error, 413);
  // Exactly at the limits: accepted.
  EXPECT_EQ(parse_all("GET /" + std::string(99, 'a') + " HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", 1, lim).error, 0);
}

TEST(HttpParser, RefusesFoldedValues) {
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 1).error, 400);
}

TEST(HttpParser, HostRules) {
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n").error, 400);
  EXPECT_EQ(parse_all("GET / HTTP/1.0\r\n\r\n").error, 0);
}

TEST(HttpParser, EndOfInput) {
  parser p(parser::kind::request);
  EXPECT_EQ(p.feed(nullptr, 0).ev, parse_event::need_more);  // nothing started: a clean close
  std::string half = "GET / HTTP/1.1\r\nHo";
  p.feed(half.data(), half.size());
  EXPECT_EQ(p.feed(nullptr, 0).ev, parse_event::error);
}

TEST(HttpParser, ResponseDelimitedByClose) {
  parser p(parser::kind::response);
  std::string in = "HTTP/1.1 200 OK\r\n\r\nhello";
  std::size_t pos = 0;
  while (pos < in.size()) pos += p.feed(in.data() + pos, in.size() - pos).consumed;
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.feed(nullptr, 0).ev, parse_event::done);
  EXPECT_EQ(p.body(), "hello");
}

}  // namespace
