// weft-serve: serves a directory over HTTP, seed 004's `python3 -m http.server` on weft.
// Usage: weft-serve [DIR] [--port P] [--bind ADDR] [--threads N]
//   DIR defaults to ".", P to 8000 (0 picks a free port), ADDR to 127.0.0.1.
// Prints "serving DIR on http://ADDR:P/" to stderr, then a log line per request.
#include <limits.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "files.hpp"
#include "weft/http/server.hpp"

namespace http = weft::http;

int main(int argc, char** argv) {
  std::string dir = ".", bind = "127.0.0.1";
  long port = 8000, threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else if (a == "--bind" && i + 1 < argc) {
      bind = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::strtol(argv[++i], nullptr, 10);
    } else if (!a.empty() && a[0] != '-') {
      dir = a;
    } else {
      std::fprintf(stderr, "usage: weft-serve [DIR] [--port P] [--bind ADDR] [--threads N]\n");
      return 2;
    }
  }
  if (port < 0 || port > 65535 || threads < 1 || threads > 1024) {
    std::fprintf(stderr, "weft-serve: bad --port or --threads\n");
    return 2;
  }
  char real[PATH_MAX];
  if (!::realpath(dir.c_str(), real)) {
    std::fprintf(stderr, "weft-serve: %s: %s\n", dir.c_str(), std::strerror(errno));
    return 1;
  }
  std::string root = real;
  if (root == "/") root.clear();  // so that root + "/x" is "/x"
  auto where = weft::net::address::try_parse(bind.find(':') != std::string::npos && bind.front() != '['
                                                 ? "[" + bind + "]:" + std::to_string(port)
                                                 : bind + ":" + std::to_string(port));
  if (!where) {
    std::fprintf(stderr, "weft-serve: bad --bind address %s\n", bind.c_str());
    return 2;
  }

  http::router r;
  r.get("/*path", [&root](http::request& req, http::response& res) { weft_serve::serve_path(root, req, res); });
  http::server_options opt;
  opt.on_complete = [](const http::request& req, const http::response& res) {
    std::fprintf(stderr, "%s \"%s %s HTTP/1.%d\" %d %llu\n", req.peer.to_string().c_str(), req.method.c_str(),
                 req.target.c_str(), req.version_minor, res.status(), static_cast<unsigned long long>(res.body_bytes()));
  };
  try {
    http::serve_threads(r, *where, static_cast<int>(threads), opt, [&](const weft::net::address& a) {
      std::fprintf(stderr, "serving %s on http://%s/\n", real, a.to_string().c_str());
    });
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "weft-serve: %s\n", e.what());
    return 1;
  }
}
