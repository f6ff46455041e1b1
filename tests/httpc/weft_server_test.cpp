// Our client against our server, both in this process on one scheduler thread: bodies both
// ways, chunked streaming, redirects, keep-alive (connections counted by the server's view of
// peer ports) and the request deadline against a handler that sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <span>
#include <vector>
#include <string>

#include "weft/http/client.hpp"
#include "weft/http/server.hpp"
#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"

namespace http = weft::http;
namespace net = weft::net;
using namespace std::chrono_literals;

namespace {

struct weft_server {
  http::router routes;
  std::set<std::uint16_t> peers;  // client ports seen: one per connection
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::unique_ptr<http::server> srv;
  weft::event stopped;

  weft_server() {
    routes.get("/hello", [this](http::request& q, http::response& r) {
      peers.insert(q.peer.port());
      r.send(200, "hello world\n");
    });
    routes.post("/echo", [](http::request& q, http::response& r) {
      std::string body = q.read_body();
      r.send(200, q.method + " " + std::string(q.fields.get("Content-Type").value_or("")) + " " + body);
    });
    routes.post("/framing", [](http::request& q, http::response& r) {
      std::string body = q.read_body();
      r.send(200, std::string(q.fields.get("Transfer-Encoding").value_or("-")) + " " +
                      std::string(q.fields.get("Content-Length").value_or("-")) + " " + body);
    });
    routes.post("/moved307", [](http::request& q, http::response& r) {
      q.read_body();
      r.set("Location", "/framing");
      r.send(307, "");
    });
    routes.get("/stream", [](http::request&, http::response& r) {
      for (int i = 0; i < 100; ++i) {
        r.write("line " + std::to_string(i) + "\n");
        if (i % 10 == 0) r.flush();
      }
    });
    routes.get("/moved", [](http::request&, http::response& r) {
      r.set("Location", "/hello");
      r.send(302, "see /hello\n");
    });
    routes.get("/sleep", [](http::request&, http::response& r) {
      weft::sleep_for(2s);
      r.send(200, "late\n");
    });
    srv = std::make_unique<http::server>(routes);
    weft::spawn([this] {
      srv->serve(l);
      stopped.set();
    });
  }
  ~weft_server() {
    srv->shutdown(100ms);
    stopped.wait();
  }
  std::string at(const std::string& path) { return "http://127.0.0.1:" + std::to_string(l.local_address().port()) + path; }
};

TEST(client_and_weft_server, bodies_both_ways_and_keep_alive) {
  weft_server s;
  http::client c;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.get(s.at("/hello")).body, "hello world\n");
  EXPECT_EQ(s.peers.size(), 1u) << "five requests, one connection";
  EXPECT_EQ(c.post(s.at("/echo"), "data", "text/x-test").body, "POST text/x-test data");
  EXPECT_EQ(c.get(s.at("/nope")).status, 404);
  http::reply r = c.del(s.at("/hello"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.fields.get("Allow").value_or("").find("GET") != std::string::npos, true);
}

TEST(client_and_weft_server, chunked_stream_and_redirect) {
  weft_server s;
  http::client c;
  http::reply r = c.get(s.at("/stream"));
  EXPECT_EQ(r.fields.get("Transfer-Encoding"), "chunked");
  std::string want;
  for (int i = 0; i < 100; ++i) want += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(r.body, want);
  r = c.get(s.at("/moved"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.redirects, 1);
  EXPECT_EQ(r.url, s.at("/hello"));
  EXPECT_EQ(s.peers.size(), 1u) << "the redirect was followed on the same connection";
}

TEST(client_and_weft_server, parallel_tasklets_and_the_deadline) {
  weft_server s;
  http::client c;
  weft::wait_group wg;
  wg.add(4);
  for (int i = 0; i < 4; ++i)
    weft::spawn([&] {
      EXPECT_EQ(c.get(s.at("/hello")).status, 200);
      wg.done();
    });
  wg.wait();
  EXPECT_LE(s.peers.size(), 4u);
  http::request_options o;
  o.timeout = 100ms;
  try {
    c.get(s.at("/sleep"), o);
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
  }
}

}  // namespace

namespace {

// A body_source that hands out `pieces` one per call, then 0.
std::function<std::size_t(std::span<char>)> pieces_of(std::vector<std::string> pieces) {
  return [pieces = std::move(pieces), i = std::size_t(0)](std::span<char> buf) mutable -> std::size_t {
    if (i == pieces.size()) return 0;
    const std::string& p = pieces[i++];
    std::copy(p.begin(), p.end(), buf.begin());
    return p.size();
  };
}

TEST(client_and_weft_server, streamed_request_bodies_go_chunked) {
  weft_server s;
  http::client c;
  http::request_options o;
  o.body_source = pieces_of({"a", "bb", std::string(16000, 'c')});
  EXPECT_EQ(c.request("POST", s.at("/framing"), o).body, "chunked - abb" + std::string(16000, 'c'));

  http::request_options raw;  // a length given: the pieces go out unframed
  raw.fields.set("Content-Length", "6");
  raw.body_source = pieces_of({"abc", "def"});
  EXPECT_EQ(c.request("PUT", s.at("/framing"), raw).status, 405);
  raw.body_source = pieces_of({"abc", "def"});
  EXPECT_EQ(c.request("POST", s.at("/framing"), raw).body, "- 6 abcdef");
  EXPECT_EQ(s.peers.size(), 0u);
  EXPECT_EQ(c.idle_connections(), 1u) << "all on one kept-alive connection";

  // 307 would need the body again: the redirect is the answer.
  http::request_options again;
  again.body_source = pieces_of({"x"});
  http::reply r = c.request("POST", s.at("/moved307"), again);
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(r.redirects, 0);
}

}  // namespace
