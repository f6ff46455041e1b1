// Seed 000's "serial versus parallel downloads": N HTTP/1.0 GETs one after another, then N
// in parallel tasklets. The web server is a tasklet of this program on 127.0.0.1 whose
// --delay-ms pause per request stands in for the seed's distant servers.
// Usage: parallel_downloads [--count N] [--delay-ms D]   (defaults: 5, 200)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "weft/channel.hpp"
#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace net = weft::net;
using seconds = std::chrono::duration<double>;

namespace {

// ---- the server ----

void serve_one(net::socket conn, std::chrono::milliseconds delay) {
  net::stream io(conn);
  std::string request = io.read_line();  // "GET /3 HTTP/1.0\r\n"
  while (io.read_line() != "\r\n") {}    // skip the headers
  weft::sleep_for(delay);
  auto path_end = request.find(' ', 4);
  std::string path = request.substr(4, path_end - 4);
  std::string body = "resource " + path + "\n" + std::string(16 * 1024, '.') + "\n";
  io.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body);
  io.flush();
}

void serve(net::listener& server, std::chrono::milliseconds delay) {
  for (;;) {
    std::error_code ec;
    net::socket conn = server.accept(nullptr, ec);
    if (ec) return;  // closed: the downloads are done
    weft::spawn(serve_one, std::move(conn), delay);
  }
}

// ---- the client: a minimal HTTP/1.0 GET ----

std::string http_get(const net::address& host, const std::string& path) {
  net::socket s = net::tcp_connect(host);
  s.sendall("GET " + path + " HTTP/1.0\r\nHost: " + host.to_string() + "\r\n\r\n");
  net::stream io(s);
  std::string status = io.read_line();
  if (status.rfind("HTTP/1.0 200", 0) != 0) throw std::runtime_error("GET " + path + ": " + status);
  std::size_t length = 0;
  for (std::string h; (h = io.read_line()) != "\r\n" && !h.empty();)
    if (h.rfind("Content-Length: ", 0) == 0) length = std::stoul(h.substr(16));
  return io.read_exact(length);
}

double download(const net::address& host, const std::string& path) {
  auto t1 = std::chrono::steady_clock::now();
  std::string body = http_get(host, path);
  double took = seconds(std::chrono::steady_clock::now() - t1).count();
  std::printf("Downloaded %s (%zu bytes) in %.2f seconds\n", path.c_str(), body.size(), took);
  return took;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 5;
  long delay_ms = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--count") == 0) count = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--delay-ms") == 0) delay_ms = std::atol(argv[i + 1]);
  }

  net::listener server = net::tcp_listen(net::address::loopback_v4(0));
  const net::address host = server.local_address();
  weft::spawn(serve, std::ref(server), std::chrono::milliseconds(delay_ms));

  weft::spawn([&] {
    std::printf(" === Serial === \n");
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) download(host, std::string(1, '/').append(std::to_string(i)));
    std::printf(" ---> %.2f\n", seconds(std::chrono::steady_clock::now() - t1).count());

    std::printf(" === Parallel === \n");
    t1 = std::chrono::steady_clock::now();
    weft::channel<double> done(count);
    for (int i = 0; i < count; ++i)
      weft::spawn([&done, &host, i] { done.send(download(host, std::string(1, '/').append(std::to_string(i)))); });
    for (int i = 0; i < count; ++i) done.receive();
    std::printf(" ---> %.2f\n", seconds(std::chrono::steady_clock::now() - t1).count());
    server.close();
  });

  weft::run();
}
