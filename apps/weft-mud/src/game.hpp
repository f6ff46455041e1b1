// game: the state of the running MUD (world, players, objects, storage, statistics) and
// the few operations every command shares: messages to rooms, moving things, saving.
// Touched only by the scheduler thread; tasklets interleave only at blocking calls
// (read_line, commit, run_blocking, sleep), so each command's checks and changes between two
// such calls are atomic with respect to other players.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lag.hpp"
#include "session.hpp"
#include "store.hpp"
#include "weft/channel.hpp"
#include "world.hpp"

namespace mud {

struct options {
  int telnet_port = 4000;
  int http_port = 8080;
  std::string data_dir = "./mud-data";
  std::string bind = "127.0.0.1";
  std::string world_file;  // default: the world/ directory beside the executable
  std::string web_dir;     // default: web/ beside the executable
  int kdf_cost = 14;
  int idle_timeout_s = 1800;
  int login_timeout_s = 60;
  double command_rate = 10;   // commands per second per connection (sustained)
  double command_burst = 20;  // bucket size
  int negotiation_ms = 2000;
  int game_hour_ms = 60000;      // a game hour (the ticker's step; the creature's pace)
  int ws_ping_s = 30;            // ping a quiet browser after S seconds, drop it after 2 S (0: off)
  int creation_limit = 3;        // new characters per address in 10 minutes (0: no limit)
  int test_commit_delay_ms = 0;  // tests: a slow disk
};

struct player {
  account_row acct;
  room* where = nullptr;
  std::vector<object*> inv;
  session* sess = nullptr;  // null while offline
  weft::clock::time_point since{};
  const std::string& name() const { return acct.name; }
};

// Events per address (failed logins, new characters): blocked once `limit` happened within
// `window`; old events age out. A limit of 0 never blocks.
class address_throttle {
 public:
  address_throttle(std::size_t limit, weft::clock::duration window) : limit_(limit), window_(window) {}
  bool blocked(const std::string& ip);
  void note(const std::string& ip);

 private:
  std::size_t limit_;
  weft::clock::duration window_;
  std::map<std::string, std::deque<weft::clock::time_point>> events_;
};

// Banned character names and addresses (an address ending in '*' is a prefix: "10.1.*").
class ban_list {
 public:
  void add(std::string target, bool address);
  // The ban's target as it was written, or "" if there was none.
  std::string remove(std::string_view target);
  bool name_banned(std::string_view name) const;
  bool address_banned(std::string_view ip) const;
  static bool matches(std::string_view pattern, std::string_view ip);
  const std::vector<ban_row>& all() const noexcept { return bans_; }

 private:
  std::vector<ban_row> bans_;
};

class game {
 public:
  game(options o, world w, std::vector<std::string> forbidden);

  options opt;
  world w;
  std::unique_ptr<store> db;
  std::map<std::string, std::unique_ptr<player>, std::less<>> players;  // by lower-case name
  std::map<std::int64_t, std::unique_ptr<object>> objects;
  std::vector<creature> creatures;
  std::set<session*> sessions;  // every connection, logged in or not
  std::vector<std::string> forbidden_names;
  lag_stats lag;
  address_throttle throttle{5, std::chrono::minutes(5)};  // failed logins
  address_throttle creations;
  ban_list bans;                               // new characters (opt.creation_limit)
  weft::clock::time_point started = weft::clock::now();
  bool shutting_down = false;
  int hour = 8;  // game clock, advanced by the ticker
  weft::channel<int> dusk_dawn{4};  // ticker -> creature: the hour when night falls or ends

  // Loads accounts and objects (seeding the objects on first run).
  void load();

  player* find_player(std::string_view name);
  std::size_t online_count() const;
  // Text to everyone in `r` except the listed players.
  void to_room(room* r, std::string_view text, const player* except = nullptr, const player* except2 = nullptr);
  void to_all(std::string_view text, const player* except = nullptr);
  void gmcp_room(room* r, std::string_view package, std::string_view json, const player* except = nullptr);

  // Changes, each committed before it returns (the caller then tells the players). Memory
  // changes only after the commit, so nobody (a `look` meanwhile) sees a change that a crash
  // could still undo; a thing in flight is marked `moving` so no one else takes it meanwhile.
  void move_player(player& p, room* to);
  void give_object(object* o, player& to);
  void drop_object(object* o, room* r);
  void save_account_fields(const player& p);

  std::string room_info_json(const room* r) const;
  std::string vitals_json(const player& p) const;
  std::string mssp() const;

  void enter_world(player& p);  // puts an arriving player in their room
  void leave_world(player& p);  // takes a departing player out
};

}  // namespace mud
