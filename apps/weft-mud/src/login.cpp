#include "login.hpp"

#include <cctype>
#include <ctime>

#include "password.hpp"
#include "text.hpp"
#include "weft/run_blocking.hpp"

namespace mud {

namespace {

constexpr const char* banner =
    "\n"
    "\x1b[1;33m   The Royal Mile\x1b[0m  -  a weft-mud\n"
    "   Edinburgh's Old Town, from the Castle to Holyrood.\n"
    "\n";

std::string ip_of(const session& s) { return s.info.ip(); }

// A line, or nothing if the client went quiet for too long (then it has been told).
std::optional<std::string> ask(game& g, session& s, std::string_view question) {
  s.prompt(question);
  auto in = s.read_line(std::chrono::seconds(g.opt.login_timeout_s));
  if (!in) {
    s.kick("\nToo slow. Goodbye.");
    return std::nullopt;
  }
  return std::move(in->text);
}

std::optional<std::string> ask_hidden(game& g, session& s, std::string_view question) {
  s.set_echo(false);
  auto answer = ask(g, s, question);
  s.set_echo(true);
  s.write("\n");  // the client did not echo the Enter
  return answer;
}

bool is_quit(std::string_view answer) {
  return equals_ci(trim(answer), "quit") || equals_ci(trim(answer), "q");
}

player* attach(game& g, session& s, player& p) {
  std::int64_t failures = p.acct.failed_logins;
  p.acct.failed_logins = 0;
  p.acct.last_login = std::time(nullptr);
  g.save_account_fields(p);
  s.colour = p.acct.colour;
  if (p.sess) {
    session* old = p.sess;
    p.sess = &s;
    old->kick("\nYour character has been taken over by a new connection from " + ip_of(s) + ".");
    s.line("You take over your character, which was already in use.");
  } else {
    p.sess = &s;
    g.enter_world(p);
    g.to_room(p.where, paint(ansi::player, p.name()) + " has entered the game.", &p);
  }
  p.since = weft::clock::now();
  if (failures > 0)
    s.line(paint(ansi::alert, std::to_string(failures) + " failed login" + (failures == 1 ? "" : "s") +
                                  " since your last visit."));
  return &p;
}

player* password_login(game& g, session& s, player& p) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto pw = ask_hidden(g, s, "Password: ");
    if (!pw) return nullptr;
    password_hash stored{p.acct.salt, p.acct.hash, p.acct.kdf};
    bool ok = weft::run_blocking([pw = *pw, stored] { return verify_password(pw, stored); });
    if (ok) return attach(g, s, p);
    g.throttle.note(ip_of(s));
    ++p.acct.failed_logins;
    g.db->commit({{"UPDATE accounts SET failed_logins = failed_logins + 1 WHERE name = ?", {p.name()}}});
    if (g.throttle.blocked(ip_of(s))) {
      s.kick("Wrong password. Too many failed logins from your address; try again in a few minutes.");
      return nullptr;
    }
    s.line("Wrong password.");
  }
  s.kick("Three wrong passwords. Goodbye.");
  return nullptr;
}

player* create(game& g, session& s, const std::string& name) {
  auto yes = ask(g, s, "There is no one called " + name + " here. Create a new character? (yes/no) ");
  if (!yes) return nullptr;
  if (!starts_with_ci("yes", trim(*yes)) || trim(*yes).empty()) return nullptr;
  std::string password;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 3) {
      s.kick("Goodbye.");
      return nullptr;
    }
    // Echo stays off across both questions: toggling it between them races the client.
    s.set_echo(false);
    auto pw1 = ask(g, s, "Choose a password (6 to 64 characters): ");
    s.write("\n");
    std::optional<std::string> pw2;
    if (pw1 && pw1->size() >= 6 && pw1->size() <= 64) {
      pw2 = ask(g, s, "Type it again: ");
      s.write("\n");
    }
    s.set_echo(true);
    if (!pw1 || (pw1->size() >= 6 && pw1->size() <= 64 && !pw2)) return nullptr;
    if (pw1->size() < 6 || pw1->size() > 64) {
      s.line("A password needs 6 to 64 characters.");
      continue;
    }
    if (*pw1 != *pw2) {
      s.line("The two passwords differ. Again, please.");
      continue;
    }
    password = *pw1;
    break;
  }
  s.line("Creating " + name + "...");
  int cost = g.opt.kdf_cost;
  password_hash h = weft::run_blocking([password, cost] { return hash_password(password, cost); });
  if (g.find_player(name)) {  // someone took the name while we hashed
    s.line("Someone has just taken that name. Please choose another.");
    return nullptr;
  }
  auto p = std::make_unique<player>();
  p->acct.name = name;
  p->acct.salt = h.salt;
  p->acct.hash = h.hash;
  p->acct.kdf = h.kdf;
  p->acct.created = std::time(nullptr);
  p->acct.room = g.w.start_rooms[g.players.size() % g.w.start_rooms.size()];
  p->acct.admin = g.players.empty();  // the first character created runs the place
  p->where = g.w.find_room(p->acct.room);
  player& ref = *p;
  g.players.emplace(lower(name), std::move(p));
  const auto& a = ref.acct;
  g.db->commit({{"INSERT INTO accounts(name, salt, hash, kdf, created, room, admin) VALUES(?, ?, ?, ?, ?, ?, ?)",
                 {a.name, a.salt, a.hash, a.kdf, a.created, a.room, std::int64_t(a.admin)}}});
  g.creations.note(ip_of(s));
  s.line("Welcome to the Royal Mile, " + name + "!" + (a.admin ? " (You are the first: an administrator.)" : ""));
  return attach(g, s, ref);
}

}  // namespace

std::string name_problem(const game& g, std::string_view name) {
  if (name.size() < 3 || name.size() > 16) return "A name has 3 to 16 letters.";
  for (char c : name)
    if (!std::isalpha(static_cast<unsigned char>(c))) return "A name has letters only (A to Z).";
  for (const auto& f : g.forbidden_names)
    if (equals_ci(f, name)) return "That name is reserved. Please choose another.";
  for (const auto& c : g.creatures)
    for (const auto& k : c.def->keywords)
      if (equals_ci(k, name)) return "That name belongs to someone here already.";
  return {};
}

player* login(game& g, session& s) {
  if (g.bans.address_banned(ip_of(s))) {
    s.kick("Your address is banned from the Royal Mile.");
    return nullptr;
  }
  s.write(banner);
  if (g.throttle.blocked(ip_of(s))) {
    s.kick("Too many failed logins from your address; try again in a few minutes.");
    return nullptr;
  }
  for (int round = 0; round < 5; ++round) {
    auto answer = ask(g, s, "By what name are you known? ");
    if (!answer) return nullptr;
    std::string name = capitalize(lower(sanitize(*answer)));
    if (name.empty()) continue;
    if (is_quit(name)) {
      s.kick("Goodbye.");
      return nullptr;
    }
    if (g.bans.name_banned(name)) {
      s.kick(name + " is banned from the Royal Mile.");
      return nullptr;
    }
    if (player* p = g.find_player(name)) return password_login(g, s, *p);
    if (std::string why = name_problem(g, name); !why.empty()) {
      s.line(why);
      continue;
    }
    if (g.creations.blocked(ip_of(s))) {
      s.line("Too many new characters from your address lately; log in to one you have, or try again later.");
      continue;
    }
    if (player* p = create(g, s, name)) return p;
    if (s.closed()) return nullptr;
  }
  s.kick("Goodbye.");
  return nullptr;
}

}  // namespace mud
