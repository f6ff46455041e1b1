// admin: the operators' commands (@tasklets, @lag, @who, @boot, @ban, @unban, @shutdown).
#include <cctype>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "commands.hpp"
#include "login.hpp"
#include "text.hpp"
#include "weft/scheduler.hpp"

namespace mud {

void cmd_at_tasklets(context& c, std::string_view) {
  std::ostringstream out;
  weft::dump_tasklets(out);
  c.s.line(sanitize_lines(out.str()));
}

void cmd_at_lag(context& c, std::string_view) {
  auto s = c.g.lag.last_minute();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Command latency, last minute: %zu commands, p50 %.3f ms, p99 %.3f ms, max %.3f ms.\n"
                "Since start: %llu commands; %llu changes saved in %llu transactions "
                "(%.1f ms each on average, the longest %.1f ms).",
                s.count, s.p50_ms, s.p99_ms, s.max_ms, static_cast<unsigned long long>(c.g.lag.total()),
                static_cast<unsigned long long>(c.g.db->changes()),
                static_cast<unsigned long long>(c.g.db->commits()),
                c.g.db->commits() ? 1000 * c.g.db->commit_seconds() / static_cast<double>(c.g.db->commits()) : 0.0,
                1000 * c.g.db->longest_commit_seconds());
  c.s.line(buf);
}

void cmd_at_who(context& c, std::string_view) {
  auto now = weft::clock::now();
  std::string t = "Connections: " + std::to_string(c.g.sessions.size()) + "\n";
  for (session* s : c.g.sessions) {
    std::string who = "(logging in)";
    for (auto& [k, p] : c.g.players)
      if (p->sess == s) who = p->name();
    auto idle = std::chrono::duration_cast<std::chrono::seconds>(now - s->last_input).count();
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-14s %-22s client %s%s%s, ttype %s, mtts %u, %s, %dx%d, idle %llds\n",
                  who.c_str(), s->info.address.c_str(), s->info.client.c_str(),
                  s->info.client_version.empty() ? "" : " ", s->info.client_version.c_str(),
                  s->info.ttype.empty() ? "-" : s->info.ttype.c_str(), s->info.mtts, s->info.protocol.c_str(),
                  s->info.cols, s->info.rows, static_cast<long long>(idle));
    t += buf;
  }
  t.pop_back();
  c.s.line(t);
}

void cmd_at_boot(context& c, std::string_view args) {
  std::string_view rest;
  std::string_view who = first_word(args, &rest);
  player* p = who.empty() ? nullptr : c.g.find_player(who);
  if (!p || !p->sess) {
    c.s.line(who.empty() ? "Boot whom? (@boot <player> [reason])" : "No one called " + sanitize(who) + " is playing.");
    return;
  }
  if (p == &c.p) {
    c.s.line("To leave, type quit.");
    return;
  }
  std::string reason = sanitize(rest);
  p->sess->kick("\n*** You have been disconnected by " + c.p.name() + (reason.empty() ? "" : ": " + reason) + ". ***");
  c.s.line(p->name() + " has been booted.");
}

namespace {

// "10.1.2.3", "::1", "10.1.*": hex digits, dots and colons, a '*' only at the end.
bool address_pattern(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    char ch = t[i];
    bool ok = std::isxdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == ':' || (ch == '*' && i + 1 == t.size());
    if (!ok) return false;
  }
  return !t.empty() && t != "*";
}

}  // namespace

void cmd_at_ban(context& c, std::string_view args) {
  std::string target = sanitize(trim(args));
  if (target.empty()) {
    std::string t = "Bans:";
    for (const auto& b : c.g.bans.all()) t += "\n  " + std::string(b.address ? "address " : "name    ") + b.target;
    c.s.line(c.g.bans.all().empty() ? "No bans." : t);
    return;
  }
  bool address = target.find_first_of(".:*0123456789") != std::string::npos;
  if (address) {
    if (!address_pattern(target)) {
      c.s.line("An address looks like 10.1.2.3, or 10.1.* for a range.");
      return;
    }
    if (ban_list::matches(target, c.s.info.ip())) {
      c.s.line("That would ban your own address (" + c.s.info.ip() + ").");
      return;
    }
  } else {
    if (!name_problem(c.g, target).empty() && !c.g.find_player(target)) {
      c.s.line("That is not a name anyone could have.");
      return;
    }
    if (equals_ci(target, c.p.name())) {
      c.s.line("You cannot ban yourself.");
      return;
    }
    target = capitalize(lower(target));
  }
  c.g.db->commit({{"INSERT OR REPLACE INTO bans(target, kind, by, at) VALUES(?, ?, ?, ?)",
                   {target, std::string(address ? "address" : "name"), c.p.name(), std::int64_t(std::time(nullptr))}}});
  c.g.bans.add(target, address);
  // Whoever plays under the ban goes now (logging-in connections from the address too).
  std::vector<session*> out;
  for (session* s : c.g.sessions) {
    if (address ? ban_list::matches(target, s->info.ip()) : false) out.push_back(s);
  }
  if (!address)
    if (player* p = c.g.find_player(target); p && p->sess) out.push_back(p->sess);
  for (session* s : out) s->kick("\n*** You have been banned by " + c.p.name() + ". ***");
  c.s.line("Banned " + std::string(address ? "address " : "") + target + " (" + std::to_string(out.size()) +
           (out.size() == 1 ? " connection" : " connections") + " closed).");
}

void cmd_at_unban(context& c, std::string_view args) {
  std::string target = sanitize(trim(args));
  if (target.empty()) {
    c.s.line("Unban what? (@unban <name|address>)");
    return;
  }
  const ban_row* b = nullptr;
  for (const auto& x : c.g.bans.all())
    if (equals_ci(x.target, target)) b = &x;
  if (!b) {
    c.s.line("No ban on " + target + ".");
    return;
  }
  std::string was = b->target;
  c.g.db->commit({{"DELETE FROM bans WHERE target = ?", {was}}});  // durable first, as every change
  c.g.bans.remove(was);
  c.s.line(was + " is no longer banned.");
}

void cmd_at_shutdown(context& c, std::string_view) {
  c.s.line("Shutting down.");
  if (request_shutdown) request_shutdown("shutdown by " + c.p.name());
}

}  // namespace mud
