// weft-mud: the Stackless MUD in C++. One tasklet per connection running plain blocking code
// (login, then read a line and run the command), a ticker and a wandering creature as
// tasklets of their own, SQLite behind a group-commit writer, all on one scheduler thread.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "game.hpp"
#include "options.hpp"
#include "play.hpp"
#include "telnet_session.hpp"
#include "text.hpp"
#include "web_server.hpp"
#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "world_tasks.hpp"

namespace net = weft::net;
using namespace mud;

namespace {

int signal_fd = -1;  // write end of the self-pipe (a socketpair, so a tasklet can recv it)

volatile sig_atomic_t signals_seen = 0;

// The graceful path runs in a tasklet; a second Ctrl-C, or a shutdown still running after
// 20 s (SIGALRM's default action), ends the process the hard way. Committed state is safe
// either way.
void on_signal(int sig) {
  if (signals_seen) ::_exit(1);
  signals_seen = 1;
  ::alarm(20);
  char c = static_cast<char>(sig);
  [[maybe_unused]] auto n = ::write(signal_fd, &c, 1);
}

std::vector<std::string> read_names(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = trim(line);
    if (!l.empty() && l[0] != '#') out.emplace_back(l);
  }
  return out;
}

game* the_game = nullptr;
std::vector<net::listener*> listeners;
web_server* the_web = nullptr;

void shutdown_now(std::string_view why) {
  game& g = *the_game;
  if (g.shutting_down) return;
  g.shutting_down = true;
  std::fprintf(stderr, "weft-mud: shutting down (%.*s)\n", static_cast<int>(why.size()), why.data());
  for (net::listener* l : listeners) l->close();
  std::vector<session*> all(g.sessions.begin(), g.sessions.end());
  for (session* s : all) {
    s->gmcp("Core.Goodbye", "{\"reason\":\"server shutting down\"}");
    s->kick("\n*** The server is shutting down. Everything you have is saved. Goodbye! ***");
  }
  // Connections finish their output (bounded) and leave; then the last changes are durable.
  for (int i = 0; i < 60 && !g.sessions.empty(); ++i) weft::sleep_for(std::chrono::milliseconds(50));
  if (the_web) the_web->shutdown(std::chrono::milliseconds(500));
  g.db->stop();
  std::fprintf(stderr, "weft-mud: all saved, bye\n");
  std::fflush(nullptr);
  the_game->db.reset();  // closes SQLite (checkpoints the WAL)
  std::_Exit(0);
}

void serve_telnet(game& g, net::socket sock, net::address peer) {
  std::string addr = peer.to_string();
  weft::current().set_name("telnet " + addr);
  telnet_limits limits;
  telnet_session s(std::move(sock), addr, limits, [&g] { return g.mssp(); });
  g.sessions.insert(&s);
  try {
    s.negotiate(std::chrono::milliseconds(g.opt.negotiation_ms));
    play(g, s);
  } catch (const session_closed&) {
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "weft-mud: %s: %s\n", addr.c_str(), e.what());
  }
  s.finish(std::chrono::seconds(2));
  g.sessions.erase(&s);
}

}  // namespace

int main(int argc, char** argv) {
  options opt = parse_options(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  world w;
  try {
    w = load_world(opt.world_file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft-mud: %s\n", e.what());
    return 1;
  }
  std::string world_dir = opt.world_file.substr(0, opt.world_file.rfind('/') + 1);
  auto forbidden = read_names(world_dir + "forbidden_names.txt");
  std::unique_ptr<game> gp;
  try {
    gp = std::make_unique<game>(opt, std::move(w), std::move(forbidden));
    gp->load();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft-mud: %s\n", e.what());
    return 1;
  }
  game& g = *gp;
  the_game = &g;
  request_shutdown = shutdown_now;

  net::listener telnet_l;
  try {
    telnet_l = net::tcp_listen(net::address::parse(opt.bind + ":" + std::to_string(opt.telnet_port)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft-mud: %s\n", e.what());
    return 1;
  }
  listeners.push_back(&telnet_l);
  net::listener http_l;
  std::unique_ptr<web_server> web;
  if (opt.http_port >= 0) {
    try {
      http_l = net::tcp_listen(net::address::parse(opt.bind + ":" + std::to_string(opt.http_port)));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "weft-mud: %s\n", e.what());
      return 1;
    }
    web = std::make_unique<web_server>(g);
    the_web = web.get();
  }

  auto sig_pair = net::socket::pair();
  net::socket& sig_read = sig_pair.first;
  net::socket& sig_write = sig_pair.second;
  signal_fd = sig_write.native_handle();
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  weft::dump_tasklets_on_sigquit();

  weft::spawn(weft::spawn_options{.name = "committer"}, [&g] { g.db->run_committer(); });
  weft::spawn(weft::spawn_options{.name = "checkpointer"},
              [&g] { g.db->run_checkpointer(std::chrono::milliseconds(500)); });
  weft::spawn(weft::spawn_options{.name = "ticker"}, [&g] { run_ticker(g, std::chrono::milliseconds(g.opt.game_hour_ms)); });
  for (auto& c : g.creatures)
    weft::spawn(weft::spawn_options{.name = "creature " + c.def->key}, [&g, &c] { run_creature(g, c); });
  weft::spawn(weft::spawn_options{.name = "signals"}, [&sig_read] {
    char c = 0;
    sig_read.recv_into(std::span(&c, 1));
    shutdown_now(c == SIGINT ? "SIGINT" : "SIGTERM");
  });
  weft::spawn(weft::spawn_options{.name = "telnet accept"}, [&g, &telnet_l] {
    for (;;) {
      net::address peer;
      std::error_code ec;
      net::socket s = telnet_l.accept(&peer, ec);
      if (ec) {
        if (g.shutting_down) return;
        continue;
      }
      if (g.shutting_down) continue;
      weft::spawn(weft::spawn_options{.stack_size = 128 * 1024}, serve_telnet, std::ref(g), std::move(s), peer);
    }
  });

  if (web)
    weft::spawn(weft::spawn_options{.name = "http accept"}, [&web, &http_l] { web->serve(http_l); });

  auto where = telnet_l.local_address();
  std::printf("weft-mud: the Royal Mile is open (%zu rooms, data in %s).\n", g.w.rooms.size(), opt.data_dir.c_str());
  std::printf("  telnet:  telnet %s %u\n", where.host().c_str(), where.port());
  if (web) {
    auto hw = http_l.local_address();
    std::printf("  browser: http://%s:%u/\n", hw.host().c_str(), hw.port());
  }
  std::printf("Ctrl-C stops it (players are told, everything is saved).\n");
  std::fflush(stdout);
  weft::run();
  return 0;
}
