#include "world_tasks.hpp"

#include <random>

#include "text.hpp"
#include "weft/select.hpp"

namespace mud {

namespace {

std::mt19937& rng() {
  static std::mt19937 r{std::random_device{}()};
  return r;
}

bool may_enter(const creature& c, const room* r) {
  if (c.def->roams.empty()) return true;
  for (const auto& k : c.def->roams)
    if (k == r->key) return true;
  return false;
}

void creature_to(game& g, creature& c, room* to, std::string_view dir) {
  room* from = c.where;
  std::erase(from->creatures, &c);
  g.to_room(from, c.def->name + " trots off " + std::string(dir) + ".");
  c.where = to;
  to->creatures.push_back(&c);
  std::string_view back = opposite_dir(dir);
  g.to_room(to, c.def->name + " trots in from " +
                    (back == "up" ? std::string("above") : back == "down" ? std::string("below") : "the " + std::string(back)) +
                    ".");
}

}  // namespace

void run_ticker(game& g, weft::clock::duration game_hour) {
  for (;;) {
    weft::sleep_for(game_hour);
    g.hour = (g.hour + 1) % 24;
    if (g.hour == 13) g.to_all("BOOM! The One O'Clock Gun fires from Mills Mount Battery at the Castle.");
    if (g.hour == 21 || g.hour == 7) {
      g.to_all(g.hour == 21 ? "Night falls over the Old Town; the lamps are lit along the Mile."
                            : "Dawn breaks over Arthur's Seat.");
      int h = g.hour;
      g.dusk_dawn.try_send(h);  // the creature hears it when it next listens
    }
  }
}

void run_creature(game& g, creature& c) {
  bool night = false;
  // Between 10 and 25 game minutes between two things it does.
  std::uniform_int_distribution<long> minutes(10, 25);
  for (;;) {
    std::optional<int> hour;
    auto wait = std::chrono::milliseconds(static_cast<long>(g.opt.game_hour_ms) * minutes(rng()) / 60);
    int got = weft::select_for(wait, weft::on_receive(g.dusk_dawn, hour));
    if (got == 0 && hour) {
      night = *hour == 21;
      if (night && !c.def->night_room.empty()) {
        if (room* bed = g.w.find_room(c.def->night_room); bed && bed != c.where) {
          g.to_room(c.where, c.def->name + " pricks up his ears and hurries away.");
          std::erase(c.where->creatures, &c);
          c.where = bed;
          bed->creatures.push_back(&c);
          g.to_room(bed, c.def->name + " pads in and curls up on his master's grave.");
        }
      }
      continue;
    }
    if (night) continue;  // asleep
    std::uniform_int_distribution<int> what(0, 2);
    if (what(rng()) == 0 && !c.def->emotes.empty()) {
      std::uniform_int_distribution<std::size_t> pick(0, c.def->emotes.size() - 1);
      g.to_room(c.where, c.def->name + " " + c.def->emotes[pick(rng())]);
      continue;
    }
    std::vector<const exit_to*> ways;
    for (const auto& e : c.where->exits)
      if (may_enter(c, e.to)) ways.push_back(&e);
    if (ways.empty()) continue;
    std::uniform_int_distribution<std::size_t> pick(0, ways.size() - 1);
    const exit_to* e = ways[pick(rng())];
    creature_to(g, c, e->to, e->dir);
  }
}

}  // namespace mud
