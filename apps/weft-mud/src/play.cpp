#include "play.hpp"

#include <algorithm>

#include "commands.hpp"
#include "login.hpp"
#include "text.hpp"
#include "weft/scheduler.hpp"

namespace mud {

namespace {

// Token bucket: `rate` commands a second sustained, `burst` at once.
class rate_limit {
 public:
  rate_limit(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  bool take() {
    auto now = weft::clock::now();
    tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_, burst_, tokens_;
  weft::clock::time_point last_ = weft::clock::now();
};

// The next command line; nothing if the player idled out (and has been told).
std::optional<input_line> next_line(game& g, session& s) {
  auto timeout = std::chrono::seconds(g.opt.idle_timeout_s);
  auto warn_before = std::min<std::chrono::seconds>(std::chrono::seconds(60), timeout / 2);
  if (auto in = s.read_line(timeout - warn_before)) return in;
  s.line(paint(ansi::alert, "You have been idle a long time; you will be disconnected in " +
                                std::to_string(warn_before.count()) + " seconds unless you type something."));
  s.prompt("1> ");
  if (auto in = s.read_line(warn_before)) return in;
  s.kick("Disconnected for being idle. Your things are safe.");
  return std::nullopt;
}

}  // namespace

void play(game& g, session& s) {
  player* p = login(g, s);
  if (!p) return;
  weft::current().set_name(std::string(weft::current().name()) + " (" + p->name() + ")");
  // Leaving the world happens only if this session still owns the character (a takeover
  // hands the character to the new session instead).
  struct leave_guard {
    game& g;
    player* p;
    session* s;
    ~leave_guard() {
      if (p->sess != s) return;
      g.leave_world(*p);
      g.to_room(p->where, paint(ansi::player, p->name()) + " has left the game.");
    }
  } guard{g, p, &s};

  context c{g, *p, s};
  s.gmcp("Char.Vitals", g.vitals_json(*p));
  show_room(c);
  rate_limit limit(g.opt.command_rate, g.opt.command_burst);
  for (;;) {
    s.prompt("1> ");
    auto in = next_line(g, s);
    if (!in) return;
    auto t0 = weft::clock::now();
    if (in->truncated) s.line("Line too long; it was truncated.");
    if (!limit.take()) {
      s.line("You are typing too fast; that command was dropped.");
      continue;
    }
    if (p->sess != &s) return;  // taken over meanwhile
    outcome o = dispatch(c, in->text);
    g.lag.record(weft::clock::now() - t0);
    if (o == outcome::quit) {
      s.kick("");
      return;
    }
  }
}

}  // namespace mud
