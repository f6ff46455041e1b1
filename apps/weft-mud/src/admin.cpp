// admin: the operators' commands (@tasklets, @lag, @who, @shutdown).
#include <cstdio>
#include <sstream>

#include "commands.hpp"
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
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "Command latency, last minute: %zu commands, p50 %.3f ms, p99 %.3f ms, max %.3f ms.\n"
                "Since start: %llu commands; %llu changes saved in %llu transactions.",
                s.count, s.p50_ms, s.p99_ms, s.max_ms, static_cast<unsigned long long>(c.g.lag.total()),
                static_cast<unsigned long long>(c.g.db->changes()),
                static_cast<unsigned long long>(c.g.db->commits()));
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

void cmd_at_shutdown(context& c, std::string_view) {
  c.s.line("Shutting down.");
  if (request_shutdown) request_shutdown("shutdown by " + c.p.name());
}

}  // namespace mud
