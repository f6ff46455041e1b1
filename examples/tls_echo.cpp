// tls_echo: a TLS echo server, or a client that sends one line through it; one thread.
// Usage: tls_echo serve CERT.pem KEY.pem [PORT]        (PORT defaults to 4433)
//        tls_echo send CA.pem HOST PORT "text"         (verifies the server as HOST)
// The server prints "listening on 127.0.0.1:P" to stderr once it accepts connections.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "weft/net/net.hpp"
#include "weft/net/tls.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace net = weft::net;

namespace {

void serve(net::socket conn, const net::tls_context& ctx) {
  net::tls_stream t(std::move(conn), ctx);
  std::error_code ec;
  t.accept(ec);  // in this connection's tasklet: a stalled client holds up no one else
  if (ec) {
    std::fprintf(stderr, "handshake with %s: %s\n", t.describe().c_str(), ec.message().c_str());
    return;
  }
  std::byte buf[16 * 1024];
  while (std::size_t n = t.read_some(buf, ec)) {
    t.write_all(std::span<const std::byte>(buf, n), ec);
    if (ec) return;
  }
  if (!ec) t.shutdown(ec);  // the client sent close_notify: answer it
}

int run_server(const char* cert, const char* key, int port) {
  auto ctx = net::tls_context::server();
  ctx.use_certificate_chain_file(cert);
  ctx.use_private_key_file(key);
  net::listener l = net::tcp_listen(net::address::loopback_v4(static_cast<std::uint16_t>(port)));
  std::fprintf(stderr, "listening on %s\n", l.local_address().to_string().c_str());
  weft::spawn([&] {
    for (;;) weft::spawn(serve, l.accept(), ctx);
  });
  weft::run();
  return 0;
}

int run_client(const char* ca, const char* host, int port, const char* text) {
  auto ctx = net::tls_context::client();
  ctx.load_verify_file(ca);
  int rc = 1;
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(ctx, host, static_cast<std::uint16_t>(port), std::chrono::seconds(5));
    std::string line = std::string(text) + "\n";
    t.write_all(line);
    std::string back = t.read_exact(line.size());
    t.shutdown();
    std::printf("%s %s: %s", t.version().c_str(), t.peer_subject().c_str(), back.c_str());
    rc = back == line ? 0 : 1;
  });
  weft::run();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc >= 4 && std::strcmp(argv[1], "serve") == 0)
      return run_server(argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 4433);
    if (argc == 6 && std::strcmp(argv[1], "send") == 0)
      return run_client(argv[2], argv[3], std::atoi(argv[4]), argv[5]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tls_echo: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: tls_echo serve CERT KEY [PORT] | tls_echo send CA HOST PORT TEXT\n");
  return 2;
}
