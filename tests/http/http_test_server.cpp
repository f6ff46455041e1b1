// http_test_server: a server with one route per feature, for the tests that drive it from
// outside (curl, Python). Usage: http_test_server [--header-timeout-ms N] [--idle-timeout-ms N]
// [--write-timeout-ms N] [--max-body N] [--max-line N] [--max-header-bytes N] [--max-headers N]
// [--cert PEM --key PEM] (TLS) [--file PATH] (served at /file with send_file)
// Prints "listening on 127.0.0.1:P" (an ephemeral port) to stdout, then serves until killed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "weft/http/server.hpp"
#include "weft/time.hpp"

namespace http = weft::http;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  http::server_options opt;
  std::string cert, key, file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long v = std::strtol(argv[i + 1], nullptr, 10);
    if (k == "--cert") cert = argv[i + 1];
    else if (k == "--key") key = argv[i + 1];
    else if (k == "--file") file = argv[i + 1];
    else if (k == "--header-timeout-ms") opt.header_timeout = std::chrono::milliseconds(v);
    else if (k == "--idle-timeout-ms") opt.idle_timeout = std::chrono::milliseconds(v);
    else if (k == "--write-timeout-ms") opt.write_timeout = std::chrono::milliseconds(v);
    else if (k == "--max-body") opt.max_body = static_cast<std::size_t>(v);
    else if (k == "--max-line") opt.max_request_line = static_cast<std::size_t>(v);
    else if (k == "--max-header-bytes") opt.max_header_bytes = static_cast<std::size_t>(v);
    else if (k == "--max-headers") opt.max_headers = static_cast<std::size_t>(v);
    else {
      std::fprintf(stderr, "http_test_server: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (!cert.empty()) {
    opt.tls = weft::net::tls_context::server();
    opt.tls.use_certificate_chain_file(cert);
    opt.tls.use_private_key_file(key);
  }
  http::router r;
  // A file's bytes with send_file (sendfile(2) on plain connections, read+write over TLS).
  r.get("/file", [&file](http::request&, http::response& res) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw http::status_error(404, "no --file");
    struct stat st{};
    ::fstat(fd, &st);
    try {
      res.send_file(fd, 0, static_cast<std::uint64_t>(st.st_size));
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  });
  r.get("/", [](http::request&, http::response& res) { res.send(200, "hello world\n"); });
  r.get("/users/:id", [](http::request& req, http::response& res) { res.send(200, "user " + req.params["id"] + "\n"); });
  r.get("/files/*rest", [](http::request& req, http::response& res) { res.send(200, "rest=" + req.params["rest"] + "\n"); });
  r.put("/users/:id", [](http::request& req, http::response& res) { res.send(200, "put " + req.params["id"] + "\n"); });
  r.get("/path", [](http::request& req, http::response& res) { res.send(200, req.path + "|" + req.query + "\n"); });
  // The whole body back, with its length.
  r.post("/echo", [](http::request& req, http::response& res) {
    std::string body = req.read_body();
    res.send(200, body, "application/octet-stream");
  });
  // The body read as a stream and written back piece by piece (a chunked response).
  r.post("/stream-echo", [](http::request& req, http::response& res) {
    res.set("Content-Type", "application/octet-stream");
    std::byte buf[1000];
    while (std::size_t n = req.read_some(buf)) res.write(std::string_view(reinterpret_cast<char*>(buf), n));
  });
  // Answers without reading the body.
  r.post("/ignore", [](http::request&, http::response& res) { res.send(200, "ignored\n"); });
  // Three pieces, 100 ms apart, each flushed.
  r.get("/stream", [](http::request&, http::response& res) {
    for (int i = 0; i < 3; ++i) {
      res.write("piece " + std::to_string(i) + "\n");
      res.flush();
      weft::sleep_for(100ms);
    }
  });
  // Blocks in the handler; other connections are served meanwhile.
  r.get("/sleep", [](http::request& req, http::response& res) {
    weft::sleep_for(std::chrono::milliseconds(std::atoi(req.query.c_str())));
    res.send(200, "slept\n");
  });
  // A big body (for the client that never reads).
  r.get("/big", [](http::request&, http::response& res) { res.send(200, std::string(32 << 20, 'x')); });
  r.get("/throw", [](http::request&, http::response&) -> void { throw std::runtime_error("handler failed"); });
  // Echoes lines on the upgraded connection until "bye".
  r.get("/upgrade", [](http::request&, http::response& res) {
    http::headers h;
    h.add("Upgrade", "echo");
    weft::net::stream& s = res.upgrade(h);
    for (;;) {
      std::string line = s.read_line();
      if (line.empty() || line == "bye\n") break;
      s.write("echo: " + line);
      s.flush();
    }
  });

  weft::net::listener l = weft::net::tcp_listen(weft::net::address::loopback_v4(0));
  std::printf("listening on %s\n", l.local_address().to_string().c_str());
  std::fflush(stdout);
  http::server s(r, opt);
  s.serve(l);
}
