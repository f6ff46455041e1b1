// The server in-process: routing through real sockets, graceful shutdown (requests in flight
// finish, idle connections close, handlers past the grace period are killed).
#include <gtest/gtest.h>

#include <string>

#include "weft/http/server.hpp"
#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/time.hpp"

namespace http = weft::http;
namespace net = weft::net;
using namespace std::chrono_literals;

namespace {

// Sends `req` and reads until the server closes the connection.
std::string exchange(const net::address& a, std::string_view req) {
  net::socket s = net::tcp_connect(a);
  s.sendall(req);
  std::string out;
  for (;;) {
    std::string d = s.recv(65536);
    if (d.empty()) return out;
    out += d;
  }
}

struct fixture {
  http::router r;
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  net::address where = l.local_address();
};

TEST(HttpServer, RoutesParamsAnd405) {
  fixture f;
  f.r.get("/users/:id/posts/:post", [](http::request& req, http::response& res) {
    res.send(200, req.params["id"] + "," + req.params["post"]);
  });
  f.r.del("/users/:id", [](http::request&, http::response& res) { res.send(204, ""); });
  f.r.get("/static/*rest", [](http::request& req, http::response& res) { res.send(200, "[" + req.params["rest"] + "]"); });
  http::server s(f.r);
  std::string a, b, c, d, e;
  weft::spawn([&] {
    a = exchange(f.where, "GET /users/5/posts/9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    b = exchange(f.where, "POST /users/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    c = exchange(f.where, "GET /static HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    d = exchange(f.where, "HEAD /users/5/posts/9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    e = exchange(f.where, "DELETE /users/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.shutdown(1s);
  });
  s.serve(f.l);
  EXPECT_NE(a.find("\r\n\r\n5,9"), std::string::npos) << a;
  EXPECT_EQ(b.rfind("HTTP/1.1 405", 0), 0u) << b;
  EXPECT_NE(b.find("Allow: DELETE\r\n"), std::string::npos) << b;
  EXPECT_NE(c.find("\r\n\r\n[]"), std::string::npos) << c;
  EXPECT_NE(d.find("Content-Length: 3\r\n"), std::string::npos) << d;
  EXPECT_EQ(d.find("5,9"), std::string::npos) << d;
  EXPECT_EQ(e.rfind("HTTP/1.1 204", 0), 0u) << e;
  EXPECT_EQ(e.find("Content-Length"), std::string::npos) << e;
}

TEST(HttpServer, ShutdownLetsRequestsInFlightFinish) {
  fixture f;
  f.r.get("/slow", [](http::request&, http::response& res) {
    weft::sleep_for(200ms);
    res.send(200, "done");
  });
  http::server s(f.r);
  std::string slow, idle_read = "unset";
  bool served_returned = false;
  weft::spawn([&] { slow = exchange(f.where, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"); });
  weft::spawn([&] {
    net::socket idle = net::tcp_connect(f.where);  // never sends: closed at once by shutdown
    idle_read = idle.recv(100);
  });
  weft::spawn([&] {
    weft::sleep_for(50ms);
    auto t0 = weft::clock::now();
    s.shutdown(2s);
    EXPECT_LT(weft::clock::now() - t0, 1s);
    EXPECT_EQ(s.connections(), 0u);
    EXPECT_FALSE(served_returned);  // serve() returns after shutdown completes, not before
  });
  s.serve(f.l);
  served_returned = true;
  weft::run();
  EXPECT_NE(slow.find("Connection: close\r\n"), std::string::npos) << slow;
  EXPECT_NE(slow.find("\r\n\r\ndone"), std::string::npos) << slow;
  EXPECT_EQ(idle_read, "");
  // The listener is closed: a new client is refused.
  EXPECT_FALSE(f.l.is_open());
}

TEST(HttpServer, ShutdownKillsHandlersPastTheGrace) {
  fixture f;
  bool unwound = false;
  f.r.get("/forever", [&](http::request&, http::response& res) {
    struct guard {
      bool& flag;
      ~guard() { flag = true; }
    } g{unwound};
    res.write("partial");
    res.flush();
    weft::sleep_for(1h);
  });
  http::server s(f.r);
  std::string got;
  weft::spawn([&] { got = exchange(f.where, "GET /forever HTTP/1.1\r\nHost: x\r\n\r\n"); });
  weft::spawn([&] {
    weft::sleep_for(50ms);
    auto t0 = weft::clock::now();
    s.shutdown(100ms);
    auto took = weft::clock::now() - t0;
    EXPECT_GE(took, 100ms);
    EXPECT_LT(took, 1s);
  });
  s.serve(f.l);
  weft::run();
  EXPECT_TRUE(unwound);
  EXPECT_NE(got.find("partial"), std::string::npos) << got;
  EXPECT_EQ(got.find("0\r\n\r\n"), std::string::npos) << got;  // the body never ended cleanly
}

TEST(HttpServer, UpgradeHandsOverBufferedBytes) {
  fixture f;
  f.r.get("/up", [](http::request&, http::response& res) {
    http::headers h;
    h.add("Upgrade", "raw");
    net::stream& st = res.upgrade(h);
    std::string line = st.read_line();
    st.write("got " + line);
    st.flush();
  });
  http::server s(f.r);
  std::string out;
  weft::spawn([&] {
    out = exchange(f.where, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\nearly\n");
    s.shutdown(1s);
  });
  s.serve(f.l);
  EXPECT_EQ(out.rfind("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\n\r\ngot early\n"), std::string::npos) << out;
}

}  // namespace
