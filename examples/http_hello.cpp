// http_hello: the benchmark's HTTP server. GET / answers "hello world\n" (text/plain).
// Usage: http_hello [--port P] [--threads N]   (P defaults to 8080; 0 picks a free port)
// Prints "listening on 127.0.0.1:P" to stderr once it accepts connections.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "weft/http/server.hpp"

namespace http = weft::http;

int main(int argc, char** argv) {
  long port = 8080, threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: http_hello [--port P] [--threads N]\n");
      return 2;
    }
  }
  if (port < 0 || port > 65535 || threads < 1 || threads > 1024) {
    std::fprintf(stderr, "http_hello: bad --port or --threads\n");
    return 2;
  }

  http::router r;
  r.get("/", [](http::request&, http::response& res) { res.send(200, "hello world\n"); });
  try {
    http::serve_threads(r, weft::net::address::loopback_v4(static_cast<std::uint16_t>(port)), static_cast<int>(threads),
                        {}, [](const weft::net::address& a) {
                          std::fprintf(stderr, "listening on %s\n", a.to_string().c_str());
                        });
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "http_hello: %s\n", e.what());
    return 1;
  }
}
