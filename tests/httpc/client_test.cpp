// The HTTP client against real servers on 127.0.0.1: Python's http.server (tests/httpc/
// server.py) for methods, keep-alive, chunked and until-close bodies, redirects, deadlines
// and broken responses; a TLS server whose self-signed certificate openssl makes here; and
// small weft servers in this process for IPv6 and for a server that drops idle connections.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "httpc/child.hpp"
#include "weft/http/client.hpp"
#include "weft/net/net.hpp"
#include "weft/net/tls.hpp"
#include "weft/run_blocking.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"

namespace http = weft::http;
namespace net = weft::net;
using namespace std::chrono_literals;

namespace {

const std::string server_py = std::string(WEFT_SOURCE_DIR) + "/tests/httpc/server.py";

// One Python server for the whole binary; each test gets its own client (and pool).
class py_server : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new httpc_test::child({"python3", server_py});
    port_ = server_->read_line();
    ASSERT_FALSE(port_.empty()) << "tests/httpc/server.py did not start (python3 missing?)";
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::string at(const std::string& path) { return "http://127.0.0.1:" + port_ + path; }

  static inline httpc_test::child* server_ = nullptr;
  static inline std::string port_;
};

int connections_so_far(http::client& c, const std::string& url) { return std::stoi(c.get(url).body); }

TEST_F(py_server, get_returns_status_headers_and_body) {
  http::client c;
  http::reply r = c.get(at("/echo?a=b"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.fields.get("Content-Type"), "application/json");
  EXPECT_NE(r.body.find("\"method\": \"GET\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"path\": \"/echo?a=b\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"user-agent\": \"weft-http/0.1\""), std::string::npos) << r.body;
  EXPECT_EQ(r.url, at("/echo?a=b"));
}

TEST_F(py_server, post_put_delete_head_send_method_headers_and_body) {
  http::client c;
  http::reply r = c.post(at("/echo"), "a=1&b=2", "application/x-www-form-urlencoded");
  EXPECT_NE(r.body.find("\"method\": \"POST\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"body\": \"a=1&b=2\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"content-type\": \"application/x-www-form-urlencoded\""), std::string::npos);
  EXPECT_NE(r.body.find("\"content-length\": \"7\""), std::string::npos);

  http::request_options o;
  o.fields.add("X-Custom", "yes");
  r = c.put(at("/echo"), "put body", "text/plain", o);
  EXPECT_NE(r.body.find("\"method\": \"PUT\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"body\": \"put body\""), std::string::npos);
  EXPECT_NE(r.body.find("\"x-custom\": \"yes\""), std::string::npos);

  r = c.del(at("/echo"));
  EXPECT_NE(r.body.find("\"method\": \"DELETE\""), std::string::npos) << r.body;

  r = c.head(at("/big/1000"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.fields.get("Content-Length"), "1000");
  EXPECT_EQ(r.body, "");
  // The HEAD response had no body on the wire: the same connection answers the next request.
  EXPECT_EQ(c.get(at("/big/10")).body.size(), 10u);
  EXPECT_EQ(c.idle_connections(), 1u);
}

TEST_F(py_server, keep_alive_reuses_one_connection_per_host) {
  http::client c;
  int first = connections_so_far(c, at("/count"));
  for (int i = 0; i < 5; ++i) c.get(at("/echo"));
  EXPECT_EQ(connections_so_far(c, at("/count")), first) << "every request after the first reused it";
  EXPECT_EQ(c.idle_connections(), 1u);

  // Three tasklets at once need three connections; afterwards all three are pooled and a
  // second round opens none.
  auto round = [&] {
    weft::wait_group wg;
    wg.add(3);
    for (int i = 0; i < 3; ++i)
      weft::spawn([&] {
        c.get(at("/slow/50"));
        wg.done();
      });
    wg.wait();
  };
  round();
  int after_first_round = connections_so_far(c, at("/count"));
  EXPECT_EQ(after_first_round, first + 2);
  round();
  EXPECT_EQ(connections_so_far(c, at("/count")), after_first_round);
  EXPECT_EQ(c.idle_connections(), 3u);
}

TEST_F(py_server, chunked_and_until_close_bodies) {
  http::client c;
  http::reply r = c.get(at("/chunked"));
  EXPECT_EQ(r.fields.get("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.body, "hello chunked " + std::string(5000, 'x') + " world\n");
  EXPECT_EQ(c.idle_connections(), 1u);

  r = c.get(at("/close"));
  EXPECT_EQ(r.body, "until the end\n");
  EXPECT_EQ(c.idle_connections(), 0u) << "a connection the server closes is not pooled";
}

TEST_F(py_server, streaming_body_goes_to_the_callbacks) {
  http::client c;
  http::request_options o;
  std::string got;
  int pieces = 0;
  std::optional<std::string> length;
  o.on_headers = [&](const http::reply& head) {
    EXPECT_EQ(head.status, 200);
    length = std::string(*head.fields.get("Content-Length"));
  };
  o.on_body = [&](std::string_view piece) {
    got.append(piece);
    ++pieces;
  };
  http::reply r = c.get(at("/big/300000"), o);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(length, "300000");
  ASSERT_EQ(got.size(), 300000u);
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(static_cast<unsigned char>(got[i]), i * 7 % 251) << "byte " << i;
  EXPECT_GT(pieces, 1);
}

TEST_F(py_server, redirects_301_302_303_become_get_307_308_keep_method_and_body) {
  http::client c;
  for (int code : {301, 302, 303}) {
    http::reply r = c.post(at("/redirect/" + std::to_string(code) + "/3"), "payload", "text/plain");
    EXPECT_EQ(r.status, 200) << code;
    EXPECT_EQ(r.redirects, 3) << code;
    EXPECT_EQ(r.url, at("/echo"));
    EXPECT_NE(r.body.find("\"method\": \"GET\""), std::string::npos) << code << r.body;
    EXPECT_NE(r.body.find("\"body\": \"\""), std::string::npos) << code << r.body;
    EXPECT_EQ(r.body.find("content-type"), std::string::npos) << code << r.body;
  }
  for (int code : {307, 308}) {
    http::reply r = c.post(at("/redirect/" + std::to_string(code) + "/2"), "payload", "text/plain");
    EXPECT_EQ(r.redirects, 2) << code;
    EXPECT_NE(r.body.find("\"method\": \"POST\""), std::string::npos) << code << r.body;
    EXPECT_NE(r.body.find("\"body\": \"payload\""), std::string::npos) << code << r.body;
  }
  http::reply r = c.get(at("/relative"));
  EXPECT_EQ(r.url, at("/echo?from=relative"));

  http::request_options none;
  none.max_redirects = 0;
  r = c.get(at("/redirect/302/1"), none);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.fields.get("Location"), "/echo");
  EXPECT_EQ(r.body, "moved\n");
  EXPECT_EQ(c.idle_connections(), 1u) << "redirect bodies are drained, the connection kept";
}

TEST_F(py_server, a_redirect_loop_stops_after_the_limit) {
  http::client c;
  try {
    c.get(at("/loop"));
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), http::client_errc::too_many_redirects);
    EXPECT_EQ(std::string(e.what()), "GET " + at("/loop") + ": more than 10 redirects");
  }
}

TEST_F(py_server, a_304_has_no_body_whatever_its_content_length) {
  http::client c;
  http::request_options o;
  o.timeout = 2s;
  http::reply r = c.get(at("/not-modified"), o);
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(c.get(at("/echo"), o).status, 200) << "the connection goes on after the 304";
  EXPECT_EQ(c.idle_connections(), 1u);
}

TEST_F(py_server, error_statuses_are_replies) {
  http::client c;
  EXPECT_EQ(c.get(at("/status/404")).status, 404);
  http::reply r = c.get(at("/status/500"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "status 500\n");
}

TEST_F(py_server, the_deadline_bounds_the_whole_request) {
  http::client c;
  http::request_options o;
  o.timeout = 200ms;
  auto t0 = std::chrono::steady_clock::now();
  try {
    c.get(at("/slow/3000"), o);
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
    EXPECT_EQ(std::string(e.what()), "GET " + at("/slow/3000") + ": recv from 127.0.0.1:" + port_ + ": timed out");
  }
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(c.idle_connections(), 0u);
}

TEST_F(py_server, broken_responses_name_the_url_and_the_failure) {
  http::client c;
  try {
    c.get(at("/truncated"));
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), http::client_errc::closed);
    EXPECT_EQ(std::string(e.what()), "GET " + at("/truncated") + ": connection closed in the middle of the body");
  }
  try {
    c.get(at("/garbage"));
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), http::client_errc::bad_response);
    EXPECT_EQ(std::string(e.what()).rfind("GET " + at("/garbage") + ": malformed response: ", 0), 0u) << e.what();
  }
}

TEST_F(py_server, user_info_becomes_basic_authorization) {
  http::client c;
  http::reply r = c.get("http://user:pa%20ss@127.0.0.1:" + port_ + "/echo");
  EXPECT_NE(r.body.find("\"authorization\": \"Basic dXNlcjpwYSBzcw==\""), std::string::npos) << r.body;
  EXPECT_EQ(r.url, at("/echo")) << "user info never appears in what is shown";
}

TEST(http_client, refused_connection_names_method_url_and_cause) {
  try {
    http::get("http://127.0.0.1:1/");
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_refused);
    EXPECT_EQ(std::string(e.what()), "GET http://127.0.0.1:1/: connect to 127.0.0.1:1: Connection refused");
    EXPECT_EQ(e.method(), "GET");
    EXPECT_EQ(e.url(), "http://127.0.0.1:1/");
  }
}

TEST(http_client, bad_urls_and_headers_are_refused_before_any_io) {
  try {
    http::get("ftp://example.com/");
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), http::client_errc::bad_url);
    EXPECT_EQ(std::string(e.what()), "GET ftp://example.com/: bad URL \"ftp://example.com/\": unsupported scheme \"ftp\"");
  }
  http::request_options o;
  o.fields.add("X-Evil", "a\r\nInjected: yes");
  try {
    http::get("http://127.0.0.1:1/", o);
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), http::client_errc::bad_request);
  }
}

TEST(http_client, the_deadline_bounds_the_name_lookup_too) {
  // getaddrinfo runs on the worker pool (at most 64 threads): with every worker asleep, the
  // lookup of "localhost" waits in the queue, and the request's deadline must still hold.
  weft::wait_group busy;
  busy.add(64);
  for (int i = 0; i < 64; ++i)
    weft::spawn([&] {
      weft::run_blocking([] { std::this_thread::sleep_for(1500ms); });
      busy.done();
    });
  weft::sleep_for(50ms);  // every worker has its job
  http::request_options o;
  o.timeout = 200ms;
  auto t0 = std::chrono::steady_clock::now();
  try {
    http::client().get("http://localhost:1/", o);
    ADD_FAILURE() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
    EXPECT_EQ(std::string(e.what()), "GET http://localhost:1/: resolve localhost: timed out");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  busy.wait();
}

// A weft server on `a` answering every request with "ok"; after `per_connection` requests
// it closes the connection (0: never).
struct tiny_server {
  net::listener l;
  int accepted = 0;
  int per_connection;
  explicit tiny_server(const net::address& a, int per_conn) : l(net::tcp_listen(a)), per_connection(per_conn) {
    weft::spawn([this] {
      for (;;) {
        std::error_code ec;
        net::socket s = l.accept(nullptr, ec);
        if (ec) return;
        ++accepted;
        weft::spawn([this](net::socket s) {
          net::stream io(s);
          for (int n = 1;; ++n) {
            std::error_code ec;
            std::string head = io.read_until("\r\n\r\n", 65536, ec);
            if (ec) return;
            io.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            io.flush(ec);
            if (ec || n == per_connection) return;
          }
        }, std::move(s));
      }
    });
  }
  ~tiny_server() { l.close(); }
  std::uint16_t port() { return l.local_address().port(); }
};

TEST(http_client, ipv6_literal_host) {
  tiny_server srv(net::address::loopback_v6(0), 0);
  http::client c;
  std::string u = "http://[::1]:" + std::to_string(srv.port()) + "/x";
  EXPECT_EQ(c.get(u).body, "ok");
  EXPECT_EQ(c.get(u).body, "ok");
  EXPECT_EQ(srv.accepted, 1);
}

TEST(http_client, a_pooled_connection_the_server_closed_is_replaced) {
  tiny_server srv(net::address::loopback_v4(0), 1);
  http::client c;
  std::string u = "http://127.0.0.1:" + std::to_string(srv.port()) + "/";
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c.get(u).body, "ok") << i;
    weft::sleep_for(i % 2 ? 0ms : 20ms);  // the close arrives before or after the next request
  }
  EXPECT_EQ(srv.accepted, 4);
}

// ---- TLS: a self-signed certificate made by openssl for this run ----

class tls_server : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("weft-httpc-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
                      " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
                      " -keyout " + (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() +
                      " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a certificate";
    server_ = new httpc_test::child(
        {"python3", server_py, "--tls", (dir_ / "cert.pem").string(), (dir_ / "key.pem").string()});
    port_ = server_->read_line();
    ASSERT_FALSE(port_.empty());
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(dir_);
  }
  static inline httpc_test::child* server_ = nullptr;
  static inline std::string port_;
  static inline std::filesystem::path dir_;
};

TEST_F(tls_server, an_untrusted_certificate_fails_by_default) {
  http::client c;
  try {
    c.get("https://localhost:" + port_ + "/echo");
    FAIL() << "no exception";
  } catch (const http::error& e) {
    EXPECT_EQ(e.code().category(), net::tls_verify_category()) << e.what();
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("GET https://localhost:" + port_ + "/echo: ", 0), 0u) << e.what();
  }
}

TEST_F(tls_server, the_certificate_given_as_ca_verifies_and_connections_are_reused) {
  http::client_options o;
  o.tls = net::tls_context::client();
  o.tls.load_verify_file((dir_ / "cert.pem").string());
  http::client c(o);
  for (std::string host : {"localhost", "127.0.0.1"}) {
    http::reply r = c.post("https://" + host + ":" + port_ + "/echo", "secret", "text/plain");
    EXPECT_EQ(r.status, 200) << host;
    EXPECT_NE(r.body.find("\"body\": \"secret\""), std::string::npos) << r.body;
    EXPECT_EQ(c.get("https://" + host + ":" + port_ + "/chunked").body.size(), 5021u);
  }
  EXPECT_EQ(c.idle_connections(), 2u) << "one kept-alive TLS connection per host name";
  std::string count = "https://127.0.0.1:" + port_ + "/count";
  int before = connections_so_far(c, count);
  for (int i = 0; i < 3; ++i) c.get("https://127.0.0.1:" + port_ + "/echo");
  EXPECT_EQ(connections_so_far(c, count), before) << "TLS connections are reused too";
}

}  // namespace
