// RFC 6455's receive rules on the server: a raw client sends frames byte by byte through a
// plain socket, and each test checks the Close code the server answers with, the
// closed_error its handler saw, and that the server then ends the TCP connection.
#include <functional>
#include <string>
#include <vector>

#include "ws_test.hpp"

using namespace ws_test;

namespace {

struct outcome {
  int code = -1;
  std::string reason;
  bool remote = false;
  std::vector<websocket::message> got;
};

// Receives until the connection closes, recording messages and the closed_error.
http::handler recorder(outcome& o, websocket::accept_options opts = {}) {
  return [&o, opts](http::request& q, http::response& s) {
    websocket::connection ws = websocket::accept(q, s, opts);
    try {
      for (;;) o.got.push_back(ws.receive());
    } catch (const websocket::closed_error& e) {
      o.code = e.code();
      o.reason = e.reason();
      o.remote = e.remote();
    }
  };
}

// Handshakes with a recorder, sends `bytes`, then lets `check` read what comes back.
outcome talk(const std::string& bytes, const std::function<void(raw_peer&)>& check, websocket::accept_options opts = {}) {
  outcome o;
  with_server(recorder(o, std::move(opts)), [&](std::uint16_t port) {
    raw_peer c = raw_peer::connect(port);
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0u);
    c.write(bytes);
    check(c);
  });
  return o;
}

// Sends `bytes` after the handshake; the server must answer Close(code) and hang up.
outcome expect_violation(const std::string& bytes, std::uint16_t code, websocket::accept_options opts = {}) {
  outcome o = talk(bytes, [&](raw_peer& c) {
    raw_frame f = c.read_frame();
    EXPECT_EQ(f.opcode, 0x8);
    EXPECT_TRUE(f.fin);
    EXPECT_FALSE(f.masked);
    EXPECT_EQ(f.close_code(), code);
    EXPECT_TRUE(c.reads_eof());
  }, std::move(opts));
  EXPECT_EQ(o.code, code);
  EXPECT_FALSE(o.remote);
  return o;
}

}  // namespace

TEST(WsRules, UnmaskedClientFrameIs1002) {
  outcome o = expect_violation(frame(0x81, "hi", false), 1002);
  EXPECT_EQ(o.reason, "unmasked frame from client");
  EXPECT_TRUE(o.got.empty());
}

TEST(WsRules, ReservedBitsAre1002) {
  expect_violation(frame(0x81 | 0x40, "hi"), 1002);  // RSV1 without an extension
  expect_violation(frame(0x81 | 0x10, "hi"), 1002);  // RSV3
}

TEST(WsRules, UnknownOpcodesAre1002) {
  expect_violation(frame(0x83, "x"), 1002);
  expect_violation(frame(0x8B, ""), 1002);
}

TEST(WsRules, ControlFramesOver125BytesAre1002) {
  expect_violation(frame(0x89, std::string(126, 'p')), 1002);
}

TEST(WsRules, FragmentedControlFramesAre1002) {
  expect_violation(frame(0x09, "ping"), 1002);  // FIN clear on a ping
}

TEST(WsRules, ContinuationWithoutAMessageIs1002) {
  expect_violation(frame(0x80, "orphan"), 1002);
}

TEST(WsRules, NewMessageInsideAFragmentedOneIs1002) {
  expect_violation(frame(0x01, "first ") + frame(0x81, "second"), 1002);
}

TEST(WsRules, NonMinimalLengthEncodingIs1002) {
  expect_violation(frame(0x81, "short", true, 126), 1002);
  expect_violation(frame(0x82, std::string(300, 'b'), true, 127), 1002);
}

TEST(WsRules, InvalidUtf8TextIs1007) {
  expect_violation(frame(0x81, "caf\xc3"), 1007);            // ends inside a character
  expect_violation(frame(0x81, "\xed\xa0\x80"), 1007);       // a UTF-16 surrogate
  expect_violation(frame(0x81, "\xc0\xaf"), 1007);           // overlong '/'
  expect_violation(frame(0x81, "\xf4\x90\x80\x80"), 1007);   // above U+10FFFF
  // Fails fast: the bad byte is in the first fragment, the message never finishes.
  expect_violation(frame(0x01, "ok \xff"), 1007);
}

TEST(WsRules, Utf8SplitAcrossFragmentsIsAccepted) {
  // "é" (C3 A9) and "✓" (E2 9C 93) split between frames, a ping in the middle.
  std::string bytes = frame(0x01, "caf\xc3") + frame(0x89, "mid") + frame(0x00, "\xa9 \xe2\x9c") + frame(0x80, "\x93");
  outcome o = talk(bytes, [](raw_peer& c) {
    raw_frame pong = c.read_frame();
    EXPECT_EQ(pong.opcode, 0xA);
    EXPECT_EQ(pong.payload, "mid");
    c.write(frame(0x88, close_payload(1000)));
    EXPECT_EQ(c.read_frame().close_code(), 1000);
  });
  ASSERT_EQ(o.got.size(), 1u);
  EXPECT_EQ(o.got[0].data, "caf\xc3\xa9 \xe2\x9c\x93");
  EXPECT_FALSE(o.got[0].binary);
  EXPECT_EQ(o.code, 1000);
  EXPECT_TRUE(o.remote);
}

TEST(WsRules, CloseReasonMustBeUtf8) {
  expect_violation(frame(0x88, close_payload(1000, "bad \xff")), 1007);
}

TEST(WsRules, ClosePayloadOfOneByteIs1002) {
  expect_violation(frame(0x88, "\x03"), 1002);
}

TEST(WsRules, UnsendableCloseCodesAre1002) {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
    expect_violation(frame(0x88, close_payload(code)), 1002);
}

TEST(WsRules, MessageOverTheLimitIs1009) {
  websocket::accept_options small;
  small.max_message = 1000;
  // One frame: refused at the first bytes of its payload (wslay reports a header with
  // them), the rest is never read.
  std::string header_and_a_bit = frame(0x82, std::string(1001, 'x')).substr(0, 8 + 10);
  expect_violation(header_and_a_bit, 1009, small);
  // Fragments that pass the limit only together.
  expect_violation(frame(0x02, std::string(600, 'a')) + frame(0x80, std::string(401, 'b')), 1009, small);
}

TEST(WsRules, MessageAtTheLimitIsAccepted) {
  websocket::accept_options small;
  small.max_message = 1000;
  std::string bytes = frame(0x02, std::string(600, 'a')) + frame(0x80, std::string(400, 'b')) + frame(0x88, close_payload(1000));
  outcome o = talk(bytes, [](raw_peer& c) { EXPECT_EQ(c.read_frame().close_code(), 1000); }, small);
  ASSERT_EQ(o.got.size(), 1u);
  EXPECT_EQ(o.got[0].data.size(), 1000u);
  EXPECT_TRUE(o.got[0].binary);
}

TEST(WsRules, PingIsAnsweredWithItsPayload) {
  outcome o = talk(frame(0x89, "are you there?"), [](raw_peer& c) {
    raw_frame f = c.read_frame();
    EXPECT_EQ(f.opcode, 0xA);
    EXPECT_FALSE(f.masked);
    EXPECT_EQ(f.payload, "are you there?");
    c.write(frame(0x8A, "unsolicited pong") + frame(0x88, ""));
    raw_frame cl = c.read_frame();
    EXPECT_EQ(cl.opcode, 0x8);
    EXPECT_EQ(cl.payload, "");  // a Close without a code is answered without one
    EXPECT_TRUE(c.reads_eof());
  });
  EXPECT_EQ(o.code, 1005);
  EXPECT_TRUE(o.remote);
}

TEST(WsRules, ClientCloseIsEchoedAndReported) {
  outcome o = talk(frame(0x81, "last words") + frame(0x88, close_payload(4001, "bye now")), [](raw_peer& c) {
    raw_frame f = c.read_frame();
    EXPECT_EQ(f.opcode, 0x8);
    EXPECT_EQ(f.close_code(), 4001);
    EXPECT_TRUE(c.reads_eof());
  });
  ASSERT_EQ(o.got.size(), 1u);
  EXPECT_EQ(o.got[0].data, "last words");
  EXPECT_EQ(o.code, 4001);
  EXPECT_EQ(o.reason, "bye now");
  EXPECT_TRUE(o.remote);
}

TEST(WsRules, EndOfStreamWithoutCloseIs1006) {
  outcome o = talk(frame(0x81, "half").substr(0, 4), [](raw_peer& c) {  // cut inside the frame
    c.socket().close();
    weft::sleep_for(50ms);
  });
  EXPECT_EQ(o.code, 1006);
  EXPECT_FALSE(o.remote);
}

TEST(WsRules, FramesRightAfterTheHandshakeAreKept) {
  // The request and the first frames in one write: the frames sit in the HTTP server's
  // read buffer when accept() takes the stream over.
  outcome o;
  with_server(recorder(o), [&](std::uint16_t port) {
    raw_peer c = raw_peer::connect(port);
    c.write(std::string("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n") +
            frame(0x81, "early") + frame(0x88, close_payload(1000)));
    EXPECT_EQ(c.stream().read_until("\r\n\r\n").rfind("HTTP/1.1 101", 0), 0u);
    EXPECT_EQ(c.read_frame().close_code(), 1000);
  });
  ASSERT_EQ(o.got.size(), 1u);
  EXPECT_EQ(o.got[0].data, "early");
}
