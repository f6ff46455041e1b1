// Seed 000's "serial versus parallel downloads", through libcurl's easy API: a library that
// knows nothing of weft. Linked with weft::hook, curl_easy_perform blocks only the tasklet
// that calls it, so five downloads in five tasklets take the time of one. The web server is
// a weft tasklet of this program on 127.0.0.1 whose per-request pause (--delay-ms) stands in
// for the seed's distant servers.
// Usage: parallel_curl [--count N] [--delay-ms D]   (defaults: 5, 200)
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "weft/http/server.hpp"
#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace http = weft::http;
using seconds = std::chrono::duration<double>;

namespace {

std::size_t append(char* data, std::size_t size, std::size_t n, void* body) {
  static_cast<std::string*>(body)->append(data, size * n);
  return size * n;
}

// Seed 000's download(uri): fetch it, say how long it took.
double download(const std::string& url) {
  auto t1 = std::chrono::steady_clock::now();
  CURL* c = curl_easy_init();
  if (!c) throw std::runtime_error("curl_easy_init failed");
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) throw std::runtime_error(url + ": " + curl_easy_strerror(rc));
  double took = seconds(std::chrono::steady_clock::now() - t1).count();
  std::printf("Downloaded %s (%zu bytes) in %.2f seconds\n", url.c_str(), body.size(), took);
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
  curl_global_init(CURL_GLOBAL_DEFAULT);

  http::router routes;
  routes.get("/:n", [delay_ms](http::request& q, http::response& r) {
    weft::sleep_for(std::chrono::milliseconds(delay_ms));
    r.send(200, "resource " + q.params.at("n") + "\n" + std::string(16 * 1024, '.') + "\n");
  });
  http::server server(routes);
  weft::net::listener listener = weft::net::tcp_listen(weft::net::address::loopback_v4(0));
  const std::string base = "http://127.0.0.1:" + std::to_string(listener.local_address().port()) + "/";
  weft::spawn([&] { server.serve(listener); });

  weft::spawn([&] {
    std::printf(" === Serial === \n");
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) download(base + std::to_string(i));
    std::printf(" ---> %.2f\n", seconds(std::chrono::steady_clock::now() - t1).count());

    std::printf(" === Parallel === \n");
    t1 = std::chrono::steady_clock::now();
    weft::wait_group done;
    done.add(count);
    for (int i = 0; i < count; ++i)
      weft::spawn([&done, &base, i] {
        download(base + std::to_string(i));
        done.done();
      });
    done.wait();
    std::printf(" ---> %.2f\n", seconds(std::chrono::steady_clock::now() - t1).count());
    server.shutdown(std::chrono::seconds(1));
  });

  try {
    weft::run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallel_curl: %s\n", e.what());
    return 1;
  }
  curl_global_cleanup();
}
