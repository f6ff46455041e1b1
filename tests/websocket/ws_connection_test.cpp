// The connection API end to end: our client against our server over loopback (messages,
// fragments, pings, both closing handshakes and their timeout, several writers, kills).
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "weft/sync.hpp"
#include "ws_test.hpp"

using namespace ws_test;

namespace {

std::string url(std::uint16_t port) { return "ws://127.0.0.1:" + std::to_string(port) + "/ws"; }

// Echoes until closed; records the closed_error.
http::handler echo(websocket::closed_error* seen = nullptr, websocket::accept_options opts = {}) {
  return [seen, opts](http::request& q, http::response& s) {
    websocket::connection ws = websocket::accept(q, s, opts);
    try {
      for (;;) {
        websocket::message m = ws.receive();
        m.binary ? ws.send_binary(m.data) : ws.send_text(m.data);
      }
    } catch (const websocket::closed_error& e) {
      if (seen) *seen = e;
    }
  };
}

// Accepts, reads in a tasklet of its own until closed (recording the closed_error), and
// closes from the handler's tasklet meanwhile.
http::handler close_beside_a_reader(websocket::closed_error& seen, std::uint16_t code, websocket::accept_options opts = {}) {
  return [&seen, code, opts](http::request& q, http::response& s) {
    websocket::connection ws = websocket::accept(q, s, opts);
    weft::wait_group done;
    done.add();
    weft::spawn([&] {
      try {
        for (;;) ws.receive();
      } catch (const websocket::closed_error& e) {
        seen = e;
      }
      done.done();
    });
    weft::sleep_for(20ms);
    ws.close(code);
    done.wait();
  };
}

}  // namespace

TEST(WsConnection, TextAndBinaryRoundTrip) {
  websocket::closed_error seen(0, "", false);
  websocket::accept_options opts;
  opts.subprotocols = {"echo"};
  with_server(echo(&seen, opts), [&](std::uint16_t port) {
    websocket::connect_options o;
    o.subprotocols = {"other", "echo"};
    websocket::connection ws = websocket::connect(url(port), o);
    EXPECT_EQ(ws.subprotocol(), "echo");
    EXPECT_TRUE(ws.is_open());
    ws.send_text("grüße ✓");
    const std::byte raw[] = {std::byte{0}, std::byte{0xff}, std::byte{0x80}};
    ws.send_binary(raw);
    ws.send_text("");
    websocket::message a = ws.receive(), b = ws.receive(), c = ws.receive();
    EXPECT_EQ(a.data, "grüße ✓");
    EXPECT_FALSE(a.binary);
    EXPECT_EQ(b.data, std::string("\0\xff\x80", 3));
    EXPECT_TRUE(b.binary);
    EXPECT_EQ(c.data, "");
    ws.close(4002, "done");
    EXPECT_FALSE(ws.is_open());
    try {
      ws.receive();
      ADD_FAILURE() << "receive after close";
    } catch (const websocket::closed_error& e) {
      EXPECT_EQ(e.code(), 4002);  // the server's echo of ours
      EXPECT_FALSE(e.remote());
    }
    EXPECT_THROW(ws.send_text("late"), websocket::closed_error);
  });
  EXPECT_EQ(seen.code(), 4002);
  EXPECT_EQ(seen.reason(), "done");
  EXPECT_TRUE(seen.remote());
}

TEST(WsConnection, FragmentedMessagesArriveWhole) {
  with_server(echo(), [](std::uint16_t port) {
    websocket::connection ws = websocket::connect(url(port));
    {
      websocket::message_writer w = ws.begin_text();
      w.write("caf\xc3");  // a character split between frames is fine
      w.write("\xa9 ");
      w.finish("au lait");
    }
    {
      websocket::message_writer w = ws.begin_binary();
      w.write(std::string(70000, 'x'));
      w.finish();
    }
    EXPECT_EQ(ws.receive().data, "caf\xc3\xa9 au lait");
    websocket::message big = ws.receive();
    EXPECT_TRUE(big.binary);
    EXPECT_EQ(big.data, std::string(70000, 'x'));
    websocket::message_writer bad = ws.begin_text();
    EXPECT_THROW(bad.finish("\xc3"), std::invalid_argument);
    ws.close();
  });
}

TEST(WsConnection, OneMebibyteBothWays) {
  with_server(echo(), [](std::uint16_t port) {
    websocket::connection ws = websocket::connect(url(port));
    std::string big(1 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
    ws.send_binary(big);
    EXPECT_EQ(ws.receive().data, big);
    ws.close();
  });
}

TEST(WsConnection, PingGetsAPongThroughOnPong) {
  with_server(echo(), [](std::uint16_t port) {
    std::vector<std::string> pongs;
    websocket::connect_options o;
    o.connection.on_pong = [&](std::string_view p) { pongs.emplace_back(p); };
    websocket::connection ws = websocket::connect(url(port), o);
    ws.ping("tick");
    ws.send_text("after the ping");
    EXPECT_EQ(ws.receive().data, "after the ping");
    ASSERT_EQ(pongs.size(), 1u);
    EXPECT_EQ(pongs[0], "tick");
    EXPECT_THROW(ws.ping(std::string(126, 'p')), std::invalid_argument);
    ws.close();
  });
}

TEST(WsConnection, ServerCloseReachesTheClientsReader) {
  with_server(
      [](http::request& q, http::response& s) {
        websocket::connection ws = websocket::accept(q, s);
        ws.send_text("hello");
        ws.close(4003, "bye");
        EXPECT_FALSE(ws.is_open());
      },
      [](std::uint16_t port) {
        websocket::connection ws = websocket::connect(url(port));
        EXPECT_EQ(ws.receive().data, "hello");
        try {
          ws.receive();
          ADD_FAILURE() << "no close";
        } catch (const websocket::closed_error& e) {
          EXPECT_EQ(e.code(), 4003);
          EXPECT_EQ(e.reason(), "bye");
          EXPECT_TRUE(e.remote());
        }
      });
}

TEST(WsConnection, CloseFromAnotherTaskletEndsTheReader) {
  websocket::closed_error seen(0, "", false);
  with_server(close_beside_a_reader(seen, 1001), [](std::uint16_t port) {
    websocket::connection ws = websocket::connect(url(port));
    EXPECT_THROW(ws.receive(), websocket::closed_error);
  });
  EXPECT_EQ(seen.code(), 1001);
  EXPECT_FALSE(seen.remote());
}

TEST(WsConnection, CloseTimesOutWhenThePeerNeverAnswers) {
  weft::clock::duration took{};
  websocket::accept_options opts;
  opts.close_timeout = 200ms;
  with_server(
      [&](http::request& q, http::response& s) {
        websocket::connection ws = websocket::accept(q, s, opts);
        // Alone: close() reads for the reply itself.
        auto start = weft::clock::now();
        ws.close(1000);
        took = weft::clock::now() - start;
      },
      [](std::uint16_t port) {
        raw_peer c = raw_peer::connect(port);
        c.handshake();
        EXPECT_EQ(c.read_frame().opcode, 0x8);
        c.reads_eof();  // never answers; the server hangs up after the timeout
      });
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 1500ms);
  // With a reader tasklet: it is told the handshake timed out.
  websocket::closed_error seen(0, "", false);
  with_server(close_beside_a_reader(seen, 1000, opts), [](std::uint16_t port) {
    raw_peer c = raw_peer::connect(port);
    c.handshake();
    EXPECT_EQ(c.read_frame().opcode, 0x8);
    c.reads_eof();
  });
  EXPECT_EQ(seen.code(), 1006);
  EXPECT_EQ(seen.reason(), "closing handshake timed out");
}

TEST(WsConnection, WritersInSeveralTaskletsNeverInterleaveFrames) {
  constexpr int writers = 4, each = 50;
  with_server(echo(), [](std::uint16_t port) {
    websocket::connection ws = websocket::connect(url(port));
    for (int w = 0; w < writers; ++w) {
      weft::spawn([&ws, w] {
        for (int i = 0; i < each; ++i) {
          std::string body = std::to_string(w) + ":" + std::to_string(i) + ":" + std::string(20000 + i, 'a' + w);
          if (i % 2) {
            websocket::message_writer m = ws.begin_text();
            m.write(body.substr(0, 7000));
            m.finish(body.substr(7000));
          } else {
            ws.send_text(body);
          }
        }
      });
    }
    std::vector<int> next(writers, 0);
    for (int n = 0; n < writers * each; ++n) {
      std::string m = ws.receive().data;
      int w = m[0] - '0';
      std::string expect = std::to_string(w) + ":" + std::to_string(next[w]) + ":" +
                           std::string(20000 + next[w], static_cast<char>('a' + w));
      ASSERT_EQ(m, expect);  // whole, and in each writer's order
      ++next[w];
    }
    ws.close();
  });
}

TEST(WsConnection, KillDuringReceiveKeepsThePartialFrame) {
  std::string got;
  with_raw_server(
      [](raw_peer& p) {
        answer_upgrade(p);
        std::string f = frame(0x81, "split across a kill", false);
        p.write(f.substr(0, 9));
        weft::sleep_for(50ms);
        p.write(f.substr(9));
        weft::sleep_for(50ms);
        p.write(frame(0x88, close_payload(1000), false));
        p.read_frame();
      },
      [&](std::uint16_t port) {
        websocket::connection ws = websocket::connect("ws://127.0.0.1:" + std::to_string(port) + "/");
        weft::tasklet reader = weft::spawn([&] { ws.receive(); });
        weft::sleep_for(20ms);  // the reader holds 7 payload bytes now
        reader.kill();
        got = ws.receive().data;
        EXPECT_THROW(ws.receive(), websocket::closed_error);
      });
  EXPECT_EQ(got, "split across a kill");
}

TEST(WsConnection, BadArgumentsAreRefusedBeforeSending) {
  with_server(echo(), [](std::uint16_t port) {
    websocket::connection ws = websocket::connect(url(port));
    EXPECT_THROW(ws.send_text("\xff"), std::invalid_argument);
    EXPECT_THROW(ws.close(1005), std::invalid_argument);
    EXPECT_THROW(ws.close(1000, std::string(124, 'r')), std::invalid_argument);
    EXPECT_THROW(ws.close(1000, "\xc3"), std::invalid_argument);
    ws.send_text("still fine");
    EXPECT_EQ(ws.receive().data, "still fine");
    ws.close();
  });
}

TEST(WsConnection, SecureWebSocketOverTls) {
  // A self-signed certificate for 127.0.0.1 from Debian's openssl command.
  char dir_template[] = "/tmp/weft-wss-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string dir = dir_template, cert = dir + "/cert.pem", key = dir + "/key.pem";
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1"
                    " -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  http::server_options so;
  so.tls = net::tls_context::server();
  so.tls.use_certificate_chain_file(cert);
  so.tls.use_private_key_file(key);
  net::tls_context trusting = net::tls_context::client();
  trusting.load_verify_file(cert);
  with_server(
      echo(),
      [&](std::uint16_t port) {
        std::string u = "wss://127.0.0.1:" + std::to_string(port) + "/ws";
        websocket::connect_options o;
        o.tls = &trusting;
        websocket::connection ws = websocket::connect(u, o);
        ws.send_text("over tls");
        EXPECT_EQ(ws.receive().data, "over tls");
        std::string big(300000, 'z');
        ws.send_binary(big);
        EXPECT_EQ(ws.receive().data, big);
        ws.close();
        // The system trust store does not know this certificate.
        EXPECT_THROW(websocket::connect(u), std::system_error);
      },
      std::move(so));
  std::filesystem::remove_all(dir);
}
