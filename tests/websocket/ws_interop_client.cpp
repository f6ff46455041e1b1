// Our client against a foreign server (ws_server_interop.js runs npm's `ws`): exits 0 only if
// every step behaves; prints "ok - <step>" lines and "FAIL: ..." otherwise.
// Usage: ws_interop_client ws://127.0.0.1:PORT/path
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/websocket/client.hpp"

namespace websocket = weft::websocket;

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    std::exit(1);
  }
  std::printf("ok - %s\n", what.c_str());
}

void conversation(const std::string& url) {
  std::vector<std::string> pongs;
  websocket::connect_options o;
  o.subprotocols = {"x-unknown", "chat"};
  o.origin = "http://127.0.0.1";
  o.connection.on_pong = [&](std::string_view p) { pongs.emplace_back(p); };
  websocket::connection ws = websocket::connect(url, o);
  check(ws.subprotocol() == "chat", "subprotocol chat chosen");

  ws.send_text("grüße ✓");
  websocket::message m = ws.receive();
  check(!m.binary && m.data == "grüße ✓", "text round trip");

  ws.send_binary(std::string("\0\x01\xff", 3));
  m = ws.receive();
  check(m.binary && m.data == std::string("\0\x01\xff", 3), "binary round trip");

  {
    websocket::message_writer w = ws.begin_text();
    w.write("frag");
    w.write("ment");
    w.finish("ed");
  }
  m = ws.receive();
  check(m.data == "fragmented", "fragmented message joined by the server");

  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
  ws.send_binary(big);
  m = ws.receive();
  check(m.binary && m.data == big, "1 MiB binary round trip");

  ws.send_text("send-fragments");
  m = ws.receive();
  check(m.data == "fragmented by ws", "fragments from the server joined");

  ws.ping("tick");
  ws.send_text("after ping");
  m = ws.receive();
  check(m.data == "after ping" && pongs.size() == 1 && pongs[0] == "tick", "pong for our ping");

  ws.send_text("ping-me");
  m = ws.receive();  // the server pings, then sends this; our pong goes out meanwhile
  check(m.data == "pinged", "server's ping answered");

  ws.send_text("close-me");
  try {
    ws.receive();
    check(false, "server close");
  } catch (const websocket::closed_error& e) {
    check(e.code() == 4005 && e.reason() == "server bye" && e.remote(), "server close code and reason");
  }

  websocket::connection ws2 = websocket::connect(url, o);
  ws2.close(4002, "client bye");
  check(!ws2.is_open(), "client close completed");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ws_interop_client URL\n");
    return 2;
  }
  std::string url = argv[1];
  weft::spawn([&] {
    try {
      conversation(url);
    } catch (const std::exception& e) {
      check(false, e.what());
    }
  });
  weft::run();
  return 0;
}
