// ws_echo: a WebSocket echo server on weft's HTTP server. /ws echoes every message with its
// type (a text message "!close CODE REASON" makes the server close with that code instead);
// / serves a page whose script does a round trip through /ws and shows the result.
// Usage: ws_echo [--port P]   (P defaults to 8080; 0 picks a free port)
// Prints "listening on 127.0.0.1:P" to stderr once it accepts connections.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "weft/http/server.hpp"
#include "weft/websocket/server.hpp"

namespace http = weft::http;
namespace websocket = weft::websocket;

namespace {

// The page sends a text and a binary message and reports what came back in #result and in
// document.title ("pass" or "fail: ..."), for a person or a headless browser.
constexpr const char* page = R"(<!doctype html>
<meta charset="utf-8"><title>ws_echo</title>
<pre id="result">running</pre>
<script>
const report = (r) => { document.getElementById('result').textContent = r; document.title = r; };
const ws = new WebSocket('ws://' + location.host + '/ws', ['echo']);
ws.binaryType = 'arraybuffer';
const got = [];
ws.onopen = () => { ws.send('héllo wörld ✓'); ws.send(new Uint8Array([0, 1, 2, 255])); };
ws.onmessage = (e) => {
  got.push(e.data);
  if (got.length < 2) return;
  const bin = new Uint8Array(got[1]);
  const ok = got[0] === 'héllo wörld ✓' && ws.protocol === 'echo' && bin.length === 4 && bin[3] === 255;
  ws.close(1000, 'done');
  report(ok ? 'pass' : 'fail: ' + JSON.stringify([got[0], ws.protocol, Array.from(bin)]));
};
ws.onerror = () => report('fail: error');
</script>
)";

void echo(http::request& req, http::response& res) {
  websocket::connection ws = websocket::accept(req, res, {.subprotocols = {"echo"}, .max_message = 64u << 20});
  try {
    for (;;) {
      websocket::message m = ws.receive();
      if (!m.binary && m.data.rfind("!close ", 0) == 0) {
        char* end = nullptr;
        long code = std::strtol(m.data.c_str() + 7, &end, 10);
        ws.close(static_cast<std::uint16_t>(code), *end == ' ' ? end + 1 : "");
        return;
      }
      if (m.binary)
        ws.send_binary(m.data);
      else
        ws.send_text(m.data);
    }
  } catch (const websocket::closed_error&) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  long port = 8080;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: ws_echo [--port P]\n");
      return 2;
    }
  }
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "ws_echo: bad --port\n");
    return 2;
  }
  http::router r;
  r.get("/", [](http::request&, http::response& res) { res.send(200, page, "text/html; charset=utf-8"); });
  r.get("/ws", echo);
  try {
    http::serve_threads(r, weft::net::address::loopback_v4(static_cast<std::uint16_t>(port)), 1, {},
                        [](const weft::net::address& a) { std::fprintf(stderr, "listening on %s\n", a.to_string().c_str()); });
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "ws_echo: %s\n", e.what());
    return 1;
  }
}
