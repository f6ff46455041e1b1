#include "web_server.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <optional>

#include "play.hpp"
#include "text.hpp"
#include "weft/http/mime.hpp"
#include "weft/http/server.hpp"
#include "weft/scheduler.hpp"
#include "weft/websocket/error.hpp"
#include "weft/websocket/server.hpp"
#include "ws_session.hpp"

namespace mud {

namespace http = weft::http;
namespace websocket = weft::websocket;

namespace {

std::string new_token() {
  unsigned char b[18];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* hex = "0123456789abcdef";
  std::string t;
  for (unsigned char c : b) {
    t += hex[c >> 4];
    t += hex[c & 15];
  }
  return t;
}

// The page runs only its own files: no inline or foreign script, no plugins, no framing; it
// talks to its own host's /ws. Inline styles stay allowed (xterm.js sets them).
constexpr const char* content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

// A safe relative path inside the web directory, or "" if it tries to leave it.
std::string safe_path(std::string_view p) {
  if (p.empty()) return "index.html";
  if (p.find("..") != std::string_view::npos || p.find('\\') != std::string_view::npos || p[0] == '.' ||
      p.find("/.") != std::string_view::npos || p.find('\0') != std::string_view::npos)
    return {};
  return std::string(p);
}

}  // namespace

// Every `every`: a page that has been quiet for half of that is pinged (proxies drop idle
// connections; this keeps them busy); a page that has not answered the previous ping is gone
// without a word, so the connection is closed and its session goes linkdead at once
// (resumable) instead of whenever TCP gives up.
void keepalive(websocket::connection& ws, const weft::clock::time_point& heard, weft::clock::duration every) {
  std::optional<weft::clock::time_point> pinged;  // when the unanswered ping went out
  for (;;) {
    weft::sleep_for(every);
    if (pinged && heard < *pinged) {
      try {
        ws.close(websocket::close_code::going_away, "no answer to ping");
      } catch (const std::exception&) {
      }
      return;
    }
    pinged.reset();
    if (weft::clock::now() - heard < every / 2) continue;
    try {
      pinged = weft::clock::now();
      ws.ping("keepalive");
    } catch (const std::exception&) {
      return;  // the reader sees the end too
    }
  }
}

struct web_server::impl {
  game& g;
  http::router r;
  std::unique_ptr<http::server> srv;
  std::map<std::string, std::shared_ptr<ws_session>> sessions;  // by resume token

  explicit impl(game& gm) : g(gm) {
    r.get("/ws", [this](http::request& req, http::response& res) { websocket_endpoint(req, res); });
    r.get("/*rest", [this](http::request& req, http::response& res) { static_file(req, res); });
    srv = std::make_unique<http::server>(r);
  }

  void static_file(http::request& req, http::response& res) {
    std::string rel = safe_path(req.params["rest"]);
    if (rel.empty()) {
      res.send(404, "Not found.\n");
      return;
    }
    std::string path = g.opt.web_dir + "/" + rel;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      if (fd >= 0) ::close(fd);
      res.send(404, rel == "index.html" ? "The browser page is not built (" + path + " is missing).\n" : "Not found.\n");
      return;
    }
    res.status(200);
    res.set("Content-Type", weft::http::mime_type(rel));
    res.set("Cache-Control", "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", content_security_policy);
    try {
      res.send_file(fd, 0, static_cast<std::uint64_t>(st.st_size));
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }

  void start_game(const std::shared_ptr<ws_session>& s) {
    sessions[s->token()] = s;
    weft::spawn(weft::spawn_options{.stack_size = 128 * 1024, .name = "websocket session"}, [this, s] {
      weft::current().set_name("websocket " + s->info.address);
      g.sessions.insert(s.get());
      try {
        play(g, *s);
      } catch (const session_closed&) {
      }
      s->finish();
      g.sessions.erase(s.get());
      sessions.erase(s->token());
    });
  }

  void websocket_endpoint(http::request& req, http::response& res) {
    if (g.shutting_down) {
      res.send(503, "Shutting down.\n");
      return;
    }
    // Keepalive: anything from the page (a message, a pong) counts as a sign of life.
    weft::clock::time_point heard = weft::clock::now();
    websocket::accept_options ao;
    ao.subprotocols = {"gmcp.mudstandards.org", "terminal.mudstandards.org"};
    ao.max_message = 64 * 1024;
    ao.close_timeout = std::chrono::seconds(2);
    ao.on_pong = [&heard](std::string_view) { heard = weft::clock::now(); };
    // allowed_origins empty: only pages served by this host may connect (Origin == Host).
    websocket::connection ws = websocket::accept(req, res, ao);
    bool gmcp = ws.subprotocol() == "gmcp.mudstandards.org";
    std::string addr = req.peer.to_string();
    weft::tasklet me = weft::current();
    me.set_name("websocket reader " + addr);

    std::shared_ptr<ws_session> s;
    auto start_new = [&] {
      s = std::make_shared<ws_session>(new_token(), addr);
      s->attach(ws, me, gmcp, false, 0);
      start_game(s);
    };
    // A page that has a token says Core.Resume first; one that says nothing within half a
    // second (a terminal-only client) gets a new login anyway.
    weft::tasklet greeter = weft::spawn(weft::spawn_options{.stack_size = 32 * 1024, .name = "websocket greeter"}, [&] {
      weft::sleep_for(std::chrono::milliseconds(500));
      if (!s) start_new();
    });
    weft::tasklet pinger;
    if (g.opt.ws_ping_s > 0)
      pinger = weft::spawn(weft::spawn_options{.stack_size = 32 * 1024, .name = "websocket keepalive"},
                           [&ws, &heard, every = std::chrono::seconds(g.opt.ws_ping_s)] { keepalive(ws, heard, every); });
    struct cleanup {
      weft::tasklet& greeter;
      weft::tasklet& pinger;
      std::shared_ptr<ws_session>& s;
      websocket::connection& ws;
      ~cleanup() {
        if (greeter.alive()) greeter.kill();
        if (pinger.alive() && !pinger.is_current()) pinger.kill();
        if (s) s->detach(ws);
      }
    } tidy{greeter, pinger, s, ws};

    try {
      for (;;) {
        websocket::message m = ws.receive();
        heard = weft::clock::now();
        if (m.binary) {
          if (!s) start_new();
          s->input(m.data);
          continue;
        }
        std::string_view text = m.data;
        if (starts_with_ci(text, "Core.Resume")) {
          std::string tok;
          if (auto q = text.find("\"token\""); q != std::string_view::npos) {
            auto a = text.find('"', text.find(':', q + 7));
            auto b = text.find('"', a + 1);
            if (a != std::string_view::npos && b != std::string_view::npos) tok = text.substr(a + 1, b - a - 1);
          }
          long long received = 0;
          if (auto q = text.find("\"received\""); q != std::string_view::npos)
            received = std::atoll(std::string(text.substr(text.find(':', q) + 1, 24)).c_str());
          auto it = sessions.find(tok);
          if (it != sessions.end() && !it->second->finished()) {
            if (s && s != it->second) {
              s->detach(ws);
              s->kick("");  // the fresh login we started is not needed
            }
            s = it->second;
            s->attach(ws, me, gmcp, true, received < 0 ? 0 : static_cast<std::uint64_t>(received));
          } else if (!s) {
            start_new();
          }
          continue;
        }
        if (!s) start_new();
        s->on_gmcp(text);
      }
    } catch (const websocket::closed_error&) {
    } catch (const std::system_error&) {
    }
  }
};

web_server::web_server(game& g) : impl_(std::make_unique<impl>(g)) {}
web_server::~web_server() = default;
void web_server::serve(weft::net::listener& l) { impl_->srv->serve(l); }
void web_server::shutdown(weft::clock::duration grace) { impl_->srv->shutdown(grace); }

}  // namespace mud
