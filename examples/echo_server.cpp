// echo_server: a TCP echo server on 127.0.0.1, one tasklet per connection, one thread.
// Usage: echo_server [--port P] [--dense]   (P defaults to 7007; 0 picks a free port)
// Prints "listening on 127.0.0.1:P" to stderr once it accepts connections.
//
// Like the C epoll peer it is measured against, it reads into one buffer shared by every
// connection, so an idle connection costs only its tasklet's touched stack. Sharing is safe
// because the buffer is used only between waits: a send that cannot finish at once copies
// what is left before waiting.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace net = weft::net;

namespace {

std::byte shared_buf[64 * 1024];

void serve(net::socket conn) {
  std::error_code ec;
  conn.set_no_delay(true);
  for (;;) {
    std::size_t n = conn.recv_into(shared_buf, 0, ec);  // one recv; waits only on EAGAIN
    if (ec || n == 0) return;
    conn.set_blocking(false);  // try the send without waiting...
    std::size_t sent = conn.send(std::span(shared_buf, n), 0, ec);
    conn.set_blocking(true);
    if (ec && ec != std::errc::operation_would_block) return;
    if (sent < n) {  // ...and only a send that must wait takes its own copy
      std::vector<std::byte> rest(shared_buf + sent, shared_buf + n);
      conn.sendall(rest, 0, ec);
      if (ec) return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  long port = 7007;
  weft::spawn_options opts;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--dense") == 0) {
      opts.stack = weft::stack_kind::dense;
    } else {
      std::fprintf(stderr, "usage: echo_server [--port P] [--dense]\n");
      return 2;
    }
  }
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "echo_server: bad port %ld\n", port);
    return 2;
  }

  net::listener server;
  try {
    server = net::tcp_listen(net::address::loopback_v4(static_cast<std::uint16_t>(port)));
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "listening on %s\n", server.local_address().to_string().c_str());

  for (;;) {
    std::error_code ec;
    net::socket conn = server.accept(nullptr, ec);  // EMFILE: accept backs off by itself
    if (ec) {
      std::fprintf(stderr, "echo_server: accept: %s\n", ec.message().c_str());
      weft::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    weft::spawn(opts, serve, std::move(conn));
  }
}
