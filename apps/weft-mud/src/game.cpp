#include "game.hpp"

#include <algorithm>
#include <ctime>

#include "text.hpp"

namespace mud {

namespace {

template <class T>
void erase_one(std::vector<T*>& v, const T* x) {
  auto it = std::find(v.begin(), v.end(), x);
  if (it != v.end()) v.erase(it);
}

std::string mssp_var(std::string_view name, std::string_view value) {
  std::string s;
  s += '\x01';
  s += name;
  s += '\x02';
  s += value;
  return s;
}

}  // namespace

bool address_throttle::blocked(const std::string& ip) {
  if (limit_ == 0) return false;
  auto it = events_.find(ip);
  if (it == events_.end()) return false;
  auto now = weft::clock::now();
  auto& q = it->second;
  while (!q.empty() && now - q.front() > window_) q.pop_front();
  if (q.empty()) {
    events_.erase(it);
    return false;
  }
  return q.size() >= limit_;
}

void address_throttle::note(const std::string& ip) {
  if (limit_ != 0) events_[ip].push_back(weft::clock::now());
}

void ban_list::add(std::string target, bool address) {
  remove(target);
  bans_.push_back({std::move(target), address});
}

std::string ban_list::remove(std::string_view target) {
  auto it = std::find_if(bans_.begin(), bans_.end(), [&](const ban_row& b) { return equals_ci(b.target, target); });
  if (it == bans_.end()) return {};
  std::string was = std::move(it->target);
  bans_.erase(it);
  return was;
}

bool ban_list::name_banned(std::string_view name) const {
  for (const auto& b : bans_)
    if (!b.address && equals_ci(b.target, name)) return true;
  return false;
}

bool ban_list::matches(std::string_view pattern, std::string_view ip) {
  if (!pattern.empty() && pattern.back() == '*') return ip.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  return pattern == ip;
}

bool ban_list::address_banned(std::string_view ip) const {
  for (const auto& b : bans_)
    if (b.address && matches(b.target, ip)) return true;
  return false;
}

game::game(options o, world wd, std::vector<std::string> forbidden)
    : opt(std::move(o)),
      w(std::move(wd)),
      forbidden_names(std::move(forbidden)),
      creations(static_cast<std::size_t>(opt.creation_limit), std::chrono::minutes(10)) {
  db = std::make_unique<store>(opt.data_dir);
  db->set_commit_delay(std::chrono::milliseconds(opt.test_commit_delay_ms));
  for (const auto& cd : w.creature_defs) {
    creature c{&cd, w.find_room(cd.start)};
    creatures.push_back(c);
  }
  for (auto& c : creatures) c.where->creatures.push_back(&c);
}

void game::load() {
  if (!db->seeded()) {
    std::vector<sql_stmt> seed;
    for (const auto& [key, proto] : w.protos)
      for (const auto& pl : proto.placements)
        for (int i = 0; i < pl.count; ++i)
          seed.push_back({"INSERT INTO objects(proto, room) VALUES(?, ?)", {key, pl.room}});
    seed.push_back({"INSERT INTO meta(key, value) VALUES('seeded', ?)", {std::int64_t(std::time(nullptr))}});
    db->exec_now(seed);
  }
  for (auto& b : db->load_bans()) bans.add(std::move(b.target), b.address);
  for (auto& row : db->load_accounts()) {
    auto p = std::make_unique<player>();
    p->where = w.find_room(row.room);
    if (!p->where) p->where = w.find_room(w.start);
    p->acct = std::move(row);
    players.emplace(lower(p->acct.name), std::move(p));
  }
  for (auto& row : db->load_objects()) {
    auto o = std::make_unique<object>();
    o->id = row.id;
    auto pit = w.protos.find(row.proto);
    if (pit == w.protos.end()) continue;  // an object type the world file no longer has
    o->proto = &pit->second;
    if (!row.owner.empty()) {
      player* p = find_player(row.owner);
      if (!p) continue;
      o->carried_by = p;
      o->owner = p->name();
      p->inv.push_back(o.get());
    } else {
      room* r = w.find_room(row.room);
      if (!r) r = w.find_room(w.start);
      o->in_room = r;
      r->objects.push_back(o.get());
    }
    objects.emplace(o->id, std::move(o));
  }
}

player* game::find_player(std::string_view name) {
  auto it = players.find(lower(name));
  return it == players.end() ? nullptr : it->second.get();
}

std::size_t game::online_count() const {
  std::size_t n = 0;
  for (const auto& [k, p] : players) n += p->sess != nullptr;
  return n;
}

void game::to_room(room* r, std::string_view text, const player* except, const player* except2) {
  for (player* p : r->players)
    if (p != except && p != except2 && p->sess) p->sess->line(text);
}

void game::to_all(std::string_view text, const player* except) {
  for (auto& [k, p] : players)
    if (p.get() != except && p->sess) p->sess->line(text);
}

void game::gmcp_room(room* r, std::string_view package, std::string_view json, const player* except) {
  for (player* p : r->players)
    if (p != except && p->sess) p->sess->gmcp(package, json);
}

void game::move_player(player& p, room* to) {
  db->commit({{"UPDATE accounts SET room = ? WHERE name = ?", {to->key, p.name()}}});
  erase_one(p.where->players, &p);
  p.where = to;
  to->players.push_back(&p);
  p.acct.room = to->key;
}

void game::give_object(object* o, player& to) {
  o->moving = true;
  db->commit({{"UPDATE objects SET room = NULL, owner = ? WHERE id = ?", {to.name(), o->id}}});
  o->moving = false;
  if (o->in_room) erase_one(o->in_room->objects, o);
  if (o->carried_by) erase_one(o->carried_by->inv, o);
  o->in_room = nullptr;
  o->carried_by = &to;
  o->owner = to.name();
  to.inv.push_back(o);
}

void game::drop_object(object* o, room* r) {
  o->moving = true;
  db->commit({{"UPDATE objects SET owner = NULL, room = ? WHERE id = ?", {r->key, o->id}}});
  o->moving = false;
  if (o->carried_by) erase_one(o->carried_by->inv, o);
  o->carried_by = nullptr;
  o->owner.clear();
  o->in_room = r;
  r->objects.push_back(o);
}

void game::save_account_fields(const player& p) {
  db->commit({{"UPDATE accounts SET last_login = ?, failed_logins = ?, colour = ? WHERE name = ?",
               {p.acct.last_login, p.acct.failed_logins, std::int64_t(p.acct.colour), p.name()}}});
}

std::string game::room_info_json(const room* r) const {
  std::string j = "{\"num\":" + std::to_string(r->num) + ",\"name\":" + json_string(r->name) +
                  ",\"area\":" + json_string(w.area) + ",\"exits\":{";
  bool first = true;
  for (const auto& e : r->exits) {
    if (!first) j += ',';
    first = false;
    j += json_string(dir_abbrev(e.dir)) + ":" + std::to_string(e.to->num);
  }
  j += "}}";
  return j;
}

std::string game::vitals_json(const player& p) const {
  return "{\"hp\":100,\"maxhp\":100,\"items\":" + std::to_string(p.inv.size()) + "}";
}

std::string game::mssp() const {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(weft::clock::now() - started).count();
  std::time_t boot = std::time(nullptr) - uptime;
  return mssp_var("NAME", "weft-mud") + mssp_var("PLAYERS", std::to_string(online_count())) +
         mssp_var("UPTIME", std::to_string(boot)) + mssp_var("CODEBASE", "weft-mud") +
         mssp_var("AREAS", "1") + mssp_var("ROOMS", std::to_string(w.rooms.size())) +
         mssp_var("OBJECTS", std::to_string(objects.size())) + mssp_var("ANSI", "1") +
         mssp_var("UTF-8", "1") + mssp_var("GMCP", "1") + mssp_var("MCCP", "1") +
         mssp_var("LANGUAGE", "English") + mssp_var("FAMILY", "Custom") + mssp_var("GENRE", "Historical");
}

void game::enter_world(player& p) {
  p.where->players.push_back(&p);
  p.since = weft::clock::now();
}

void game::leave_world(player& p) {
  erase_one(p.where->players, &p);
  p.sess = nullptr;
}

}  // namespace mud
