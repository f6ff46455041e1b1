#include "world.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "text.hpp"

namespace mud {

namespace {

struct dir_name {
  std::string_view full, abbrev, opposite;
};
constexpr dir_name dirs[] = {
    {"north", "n", "south"},     {"south", "s", "north"},         {"east", "e", "west"},
    {"west", "w", "east"},       {"northeast", "ne", "southwest"}, {"northwest", "nw", "southeast"},
    {"southeast", "se", "northwest"}, {"southwest", "sw", "northeast"}, {"up", "u", "down"},
    {"down", "d", "up"},
};

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

}  // namespace

std::string_view canonical_dir(std::string_view word) {
  for (const auto& d : dirs)
    if (equals_ci(word, d.full) || equals_ci(word, d.abbrev)) return d.full;
  return {};
}
std::string_view opposite_dir(std::string_view dir) {
  for (const auto& d : dirs)
    if (d.full == dir) return d.opposite;
  return {};
}
std::string_view dir_abbrev(std::string_view dir) {
  for (const auto& d : dirs)
    if (d.full == dir) return d.abbrev;
  return dir;
}

const exit_to* room::exit(std::string_view dir) const {
  for (const auto& e : exits)
    if (e.dir == dir) return &e;
  return nullptr;
}

room* world::find_room(std::string_view key) const {
  auto it = rooms.find(key);
  return it == rooms.end() ? nullptr : it->second.get();
}

world load_world(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("world file " + path + ": cannot open");
  world w;
  int lineno = 0;
  auto fail = [&](const std::string& why) -> std::runtime_error {
    return std::runtime_error(path + ":" + std::to_string(lineno) + ": " + why);
  };
  enum class kind { none, room, object, creature } block = kind::none;
  room* r = nullptr;
  object_proto* o = nullptr;
  creature_def* c = nullptr;
  std::string* text = nullptr;  // collecting a multi-line "desc" until "."
  std::string line;
  int next_num = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (text) {
      if (line == ".") {
        text = nullptr;
        continue;
      }
      std::string_view t = trim(line);
      if (t.empty()) {
        *text += "\n";
      } else {
        if (!text->empty() && text->back() != '\n') *text += ' ';
        *text += t;
      }
      continue;
    }
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    std::string_view rest;
    std::string_view key = first_word(l, &rest);
    if (block == kind::none) {
      if (key == "area") {
        w.area = rest;
      } else if (key == "start") {
        w.start = rest;
      } else if (key == "room") {
        if (rest.empty() || w.rooms.count(rest)) throw fail("room needs a new unique key");
        auto nr = std::make_unique<room>();
        nr->key = rest;
        nr->num = next_num++;
        r = nr.get();
        w.rooms.emplace(std::string(rest), std::move(nr));
        block = kind::room;
      } else if (key == "object") {
        if (rest.empty() || w.protos.count(rest)) throw fail("object needs a new unique key");
        o = &w.protos[std::string(rest)];
        o->key = rest;
        block = kind::object;
      } else if (key == "creature") {
        w.creature_defs.emplace_back();
        c = &w.creature_defs.back();
        c->key = rest;
        block = kind::creature;
      } else {
        throw fail("expected area, start, room, object or creature, got '" + std::string(key) + "'");
      }
      continue;
    }
    if (key == "end") {
      block = kind::none;
      continue;
    }
    switch (block) {
      case kind::room:
        if (key == "name") r->name = rest;
        else if (key == "desc") text = &r->desc;
        else if (key == "exits") {
          for (const auto& e : split(rest)) {
            auto eq = e.find('=');
            std::string_view dir = eq == std::string::npos ? std::string_view{} : canonical_dir(e.substr(0, eq));
            if (dir.empty()) throw fail("exit '" + e + "' is not dir=room");
            r->exits.push_back({std::string(dir), e.substr(eq + 1), nullptr});
          }
        } else throw fail("unknown room field '" + std::string(key) + "'");
        break;
      case kind::object:
        if (key == "name") o->name = rest;
        else if (key == "keywords") o->keywords = split(lower(rest));
        else if (key == "desc") text = &o->desc;
        else if (key == "in") {
          auto parts = split(rest);
          if (parts.empty()) throw fail("in needs a room");
          int count = parts.size() > 1 ? std::stoi(parts[1]) : 1;
          o->placements.push_back({parts[0], count});
        } else throw fail("unknown object field '" + std::string(key) + "'");
        break;
      case kind::creature:
        if (key == "name") c->name = rest;
        else if (key == "keywords") c->keywords = split(lower(rest));
        else if (key == "desc") text = &c->desc;
        else if (key == "start") c->start = rest;
        else if (key == "roams") c->roams = split(rest);
        else if (key == "emote") c->emotes.emplace_back(rest);
        else if (key == "night") c->night_room = rest;
        else throw fail("unknown creature field '" + std::string(key) + "'");
        break;
      case kind::none: break;
    }
  }
  if (text || block != kind::none) throw fail("file ends inside a block");
  // Resolve references.
  for (auto& [k, rm] : w.rooms)
    for (auto& e : rm->exits) {
      e.to = w.find_room(e.to_key);
      if (!e.to) throw std::runtime_error(path + ": room " + k + ": exit to unknown room " + e.to_key);
    }
  for (auto& [k, p] : w.protos)
    for (auto& pl : p.placements)
      if (!w.find_room(pl.room)) throw std::runtime_error(path + ": object " + k + ": unknown room " + pl.room);
  for (auto& cd : w.creature_defs)
    if (!w.find_room(cd.start)) throw std::runtime_error(path + ": creature " + cd.key + ": unknown start room");
  if (!w.find_room(w.start)) throw std::runtime_error(path + ": start room '" + w.start + "' unknown");
  return w;
}

}  // namespace mud
