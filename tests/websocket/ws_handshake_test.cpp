// Opening handshakes: accept()'s answers to good and bad upgrade requests from a raw client,
// and connect()'s checks of good and bad answers from a raw server.
#include <string>

#include "ws_test.hpp"

using namespace ws_test;

namespace {

// accept() with `opts`; records the refusal's status (0: accepted) and closes normally.
http::handler acceptor(int& status, std::string& subprotocol, websocket::accept_options opts = {}) {
  return [&status, &subprotocol, opts](http::request& q, http::response& s) {
    try {
      websocket::connection ws = websocket::accept(q, s, opts);
      status = 0;
      subprotocol = ws.subprotocol();
      ws.close();
    } catch (const websocket::handshake_error& e) {
      status = e.status();
    }
  };
}

const std::string upgrade_fields =
    "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n";
const std::string rfc_key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

// Sends one upgrade request and returns the answer's head; `status` gets accept's verdict.
std::string ask(const std::string& line, const std::string& fields, int& status, std::string& sub,
                websocket::accept_options opts = {}) {
  std::string head;
  with_server(acceptor(status, sub, std::move(opts)), [&](std::uint16_t port) {
    raw_peer c = raw_peer::connect(port);
    head = c.request(line, fields);
    if (head.rfind("HTTP/1.1 101", 0) == 0) {
      raw_frame f = c.read_frame();
      EXPECT_EQ(f.opcode, 0x8);
      c.write(frame(0x88, f.payload));
    }
  });
  return head;
}

}  // namespace

TEST(WsHandshake, AcceptAnswers101WithTheRfcAcceptValue) {
  EXPECT_EQ(websocket::detail::accept_value("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  int status = -1;
  std::string sub;
  std::string head = ask("GET /ws HTTP/1.1", upgrade_fields + rfc_key, status, sub);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Upgrade: websocket\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Sec-WebSocket-Protocol"), std::string::npos) << head;
}

TEST(WsHandshake, RefusalsCarryTheirStatus) {
  struct bad {
    std::string line, fields;
    int status;
    std::string must_contain;
  } cases[] = {
      {"POST /ws HTTP/1.1", upgrade_fields + rfc_key + "Content-Length: 0\r\n", 405, "Allow: GET"},
      {"GET /ws HTTP/1.0", upgrade_fields + rfc_key, 400, ""},
      {"GET /ws HTTP/1.1", "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" + rfc_key, 400, ""},
      {"GET /ws HTTP/1.1", "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" + rfc_key, 400, ""},
      {"GET /ws HTTP/1.1", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n" + rfc_key, 426,
       "Sec-WebSocket-Version: 13"},
      {"GET /ws HTTP/1.1", upgrade_fields + "Sec-WebSocket-Key: c2hvcnQ=\r\n", 400, ""},
      {"GET /ws HTTP/1.1", upgrade_fields, 400, ""},
      {"GET /ws HTTP/1.1", upgrade_fields + rfc_key + "Origin: http://evil.example\r\n", 403, ""},
  };
  for (const auto& b : cases) {
    int status = -1;
    std::string sub;
    std::string head = ask(b.line, b.fields, status, sub);
    EXPECT_EQ(status, b.status) << b.line << "\n" << b.fields;
    EXPECT_EQ(head.rfind("HTTP/1.", 0), 0u);
    EXPECT_EQ(head.substr(9, 3), std::to_string(b.status)) << head;
    EXPECT_NE(head.find(b.must_contain), std::string::npos) << head;
  }
}

TEST(WsHandshake, OriginOfTheSameHostOrAnAllowedOneIsAccepted) {
  int status = -1;
  std::string sub;
  ask("GET /ws HTTP/1.1", upgrade_fields + rfc_key + "Origin: http://127.0.0.1\r\n", status, sub);
  EXPECT_EQ(status, 0);  // Host: 127.0.0.1 (the raw client's), port 80 implied by http
  websocket::accept_options allow;
  allow.allowed_origins = {"https://app.example"};
  ask("GET /ws HTTP/1.1", upgrade_fields + rfc_key + "Origin: HTTPS://APP.example\r\n", status, sub, allow);
  EXPECT_EQ(status, 0);
  ask("GET /ws HTTP/1.1", upgrade_fields + rfc_key + "Origin: http://127.0.0.1\r\n", status, sub, allow);
  EXPECT_EQ(status, 403);  // a list replaces the same-host rule
  ask("GET /ws HTTP/1.1", upgrade_fields + rfc_key + "Origin: null\r\n", status, sub);
  EXPECT_EQ(status, 403);
}

TEST(WsHandshake, SubprotocolIsTheServersFirstChoiceAmongOffered) {
  websocket::accept_options opts;
  opts.subprotocols = {"gmcp.mudstandards.org", "terminal.mudstandards.org"};
  int status = -1;
  std::string sub;
  std::string head = ask("GET /ws HTTP/1.1",
                         upgrade_fields + rfc_key +
                             "Sec-WebSocket-Protocol: terminal.mudstandards.org\r\nSec-WebSocket-Protocol: x, "
                             "gmcp.mudstandards.org\r\n",
                         status, sub, opts);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(sub, "gmcp.mudstandards.org");
  EXPECT_NE(head.find("Sec-WebSocket-Protocol: gmcp.mudstandards.org\r\n"), std::string::npos) << head;
  head = ask("GET /ws HTTP/1.1", upgrade_fields + rfc_key + "Sec-WebSocket-Protocol: GMCP.mudstandards.org\r\n", status,
             sub, opts);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(sub, "");  // names are case-sensitive
  EXPECT_EQ(head.find("Sec-WebSocket-Protocol"), std::string::npos) << head;
}

// ---- the client's side --------------------------------------------------------------------

namespace {
// connect() against a raw server that answers with `answer` (or the right handshake plus
// `extra` fields); returns the handshake_error's status, or -1 if connect succeeded.
int client_verdict(const std::function<void(raw_peer&)>& server, const websocket::connect_options& o = {}) {
  int verdict = -2;
  with_raw_server(server, [&](std::uint16_t port) {
    try {
      websocket::connect("ws://127.0.0.1:" + std::to_string(port) + "/chat?room=1", o);
      verdict = -1;
    } catch (const websocket::handshake_error& e) {
      verdict = e.status();
    }
  });
  return verdict;
}
}  // namespace

TEST(WsHandshake, ClientSendsAProperRequest) {
  std::string req;
  websocket::connect_options o;
  o.subprotocols = {"a", "b"};
  o.origin = "http://page.example";
  o.headers.add("Cookie", "id=7");
  EXPECT_EQ(client_verdict([&](raw_peer& p) { req = answer_upgrade(p, "Sec-WebSocket-Protocol: b\r\n"); }, o), -1);
  EXPECT_EQ(req.rfind("GET /chat?room=1 HTTP/1.1\r\n", 0), 0u) << req;
  for (const char* f : {"Upgrade: websocket\r\n", "Connection: Upgrade\r\n", "Sec-WebSocket-Version: 13\r\n",
                        "Origin: http://page.example\r\n", "Sec-WebSocket-Protocol: a, b\r\n", "Cookie: id=7\r\n"})
    EXPECT_NE(req.find(f), std::string::npos) << f << " missing from\n" << req;
  EXPECT_NE(req.find("\r\nHost: 127.0.0.1:"), std::string::npos) << req;
}

TEST(WsHandshake, ClientRefusesWrongAnswers) {
  EXPECT_EQ(client_verdict([](raw_peer& p) { answer_upgrade(p, {}, std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")); }), 101);
  EXPECT_EQ(client_verdict([](raw_peer& p) {
              p.stream().read_until("\r\n\r\n");
              p.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            }),
            404);
  EXPECT_EQ(client_verdict([](raw_peer& p) { answer_upgrade(p, "Sec-WebSocket-Protocol: never-offered\r\n"); }), 101);
  EXPECT_EQ(client_verdict([](raw_peer& p) { answer_upgrade(p, "Sec-WebSocket-Extensions: permessage-deflate\r\n"); }),
            101);
  EXPECT_EQ(client_verdict([](raw_peer& p) {
              p.stream().read_until("\r\n\r\n");
              p.write("SSH-2.0-OpenSSH\r\n\r\n");
            }),
            0);
}

TEST(WsHandshake, ClientDeadlineBoundsASilentServer) {
  auto start = weft::clock::now();
  bool timed_out = false;
  with_raw_server([](raw_peer& p) { p.stream().read_until("\r\n\r\n"); weft::sleep_for(1s); },
                  [&](std::uint16_t port) {
                    websocket::connect_options o;
                    o.deadline = weft::clock::now() + 200ms;
                    try {
                      websocket::connect("ws://127.0.0.1:" + std::to_string(port) + "/", o);
                    } catch (const weft::timeout_error&) {
                      timed_out = true;
                      EXPECT_LT(weft::clock::now() - start, 900ms);
                    }
                  });
  EXPECT_TRUE(timed_out);
}

TEST(WsHandshake, ClientRefusesBadUrls) {
  for (const char* url : {"http://127.0.0.1/", "ws://", "ws://127.0.0.1:0/", "ws://127.0.0.1:99999/", "ws://h/#frag",
                          "ws://[::1/"})
    EXPECT_THROW(websocket::connect(url), std::invalid_argument) << url;
}

TEST(WsHandshake, ClientMasksEveryFrameWithAFreshKeyAndRefusesMaskedServerFrames) {
  int code = 0;
  with_raw_server(
      [](raw_peer& p) {
        answer_upgrade(p);
        raw_frame a = p.read_frame(), b = p.read_frame();
        EXPECT_TRUE(a.masked && b.masked);
        EXPECT_EQ(a.payload, "one");
        EXPECT_EQ(b.payload, "two");
        EXPECT_NE(a.key, b.key);
        p.write(frame(0x81, "masked by a server", true));
        raw_frame c = p.read_frame();
        EXPECT_EQ(c.opcode, 0x8);
        EXPECT_EQ(c.close_code(), 1002);
        p.socket().close();
      },
      [&](std::uint16_t port) {
        websocket::connection ws = websocket::connect("ws://127.0.0.1:" + std::to_string(port) + "/");
        ws.send_text("one");
        ws.send_text("two");
        try {
          ws.receive();
        } catch (const websocket::closed_error& e) {
          code = e.code();
        }
      });
  EXPECT_EQ(code, 1002);
}
