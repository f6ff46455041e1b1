// An HTTP endpoint on 127.0.0.1 that answers late: GET /delay/<ms>/<name> waits <ms>
// milliseconds, then answers 200 with "resource <name>\n". weft's own server on a tasklet
// of the calling thread (weft's sockets never go through the hook), for the libcurl tests;
// delay_server.cpp runs it as a process of its own (delay_process.hpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "weft/http/server.hpp"
#include "weft/net/net.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace hook_test {

inline void add_delay_routes(weft::http::router& r) {
  r.get("/delay/:ms/*name", [](weft::http::request& q, weft::http::response& res) {
    weft::sleep_for(std::chrono::milliseconds(std::stol(q.params.at("ms"))));
    res.send(200, "resource " + q.params.at("name") + "\n");
  });
}

inline std::string delay_url(std::uint16_t port, int delay_ms, const std::string& name) {
  return "http://127.0.0.1:" + std::to_string(port) + "/delay/" + std::to_string(delay_ms) + "/" + name;
}

class delay_endpoint {
 public:
  explicit delay_endpoint(std::uint16_t port = 0) : listener_(weft::net::tcp_listen(weft::net::address::loopback_v4(port))) {
    add_delay_routes(routes_);
    server_ = std::make_unique<weft::http::server>(routes_);
    weft::spawn({.name = "delay_endpoint"}, [this] {
      server_->serve(listener_);
      stopped_.set();
    });
  }
  // Waits for the server's tasklets (a handler still sleeping is killed at once).
  ~delay_endpoint() {
    server_->shutdown(std::chrono::milliseconds(0));
    stopped_.wait();
  }
  delay_endpoint(const delay_endpoint&) = delete;
  delay_endpoint& operator=(const delay_endpoint&) = delete;

  std::uint16_t port() const { return listener_.local_address().port(); }
  std::string url(int delay_ms, const std::string& name) const { return delay_url(port(), delay_ms, name); }

 private:
  weft::http::router routes_;
  weft::net::listener listener_;
  std::unique_ptr<weft::http::server> server_;
  weft::event stopped_;
};

}  // namespace hook_test
