// world: rooms, objects and the creature, as loaded from the world file, plus where each
// thing is now. Everything here is touched only by the scheduler thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mud {

struct player;
struct room;

struct object_proto {
  std::string key;
  std::string name;  // "a tartan scarf"
  std::vector<std::string> keywords;
  std::string desc;
  struct placement {
    std::string room;
    int count;
  };
  std::vector<placement> placements;  // where new copies lie when the world is first created
};

struct object {
  std::int64_t id = 0;
  const object_proto* proto = nullptr;
  room* in_room = nullptr;        // exactly one of these two is set
  player* carried_by = nullptr;
  std::string owner;              // carrier's account name while carried (even if offline)
  // A move of this thing is being committed: it stays where it was (what everyone sees is
  // what is on disk) but nobody else may take or move it meanwhile.
  bool moving = false;
};

struct exit_to {
  std::string dir;  // "north", "up", ...
  std::string to_key;
  room* to = nullptr;
};

struct room {
  std::string key;
  int num = 0;
  std::string name;
  std::string desc;
  std::vector<exit_to> exits;
  std::vector<object*> objects;
  std::vector<player*> players;
  std::vector<struct creature*> creatures;
  const exit_to* exit(std::string_view dir) const;
};

struct creature_def {
  std::string key, name, desc, start;
  std::vector<std::string> keywords;
  std::vector<std::string> roams;   // rooms it may enter (empty: any)
  std::vector<std::string> emotes;  // "wags his tail."
  std::string night_room;           // where it goes at nightfall
};

struct creature {
  const creature_def* def;
  room* where = nullptr;
};

struct world {
  std::string area;
  std::string start;                     // the first start room (the fallback)
  std::vector<std::string> start_rooms;  // new characters appear in one of these
  std::map<std::string, std::unique_ptr<room>, std::less<>> rooms;
  std::map<std::string, object_proto, std::less<>> protos;
  std::vector<creature_def> creature_defs;
  room* find_room(std::string_view key) const;
};

// Parses a world file (format: docs/mud.md). Throws std::runtime_error naming file:line.
world load_world(const std::string& path);

// Direction helpers: "n" -> "north", the opposite of "north" is "south".
std::string_view canonical_dir(std::string_view word);  // "" if not a direction
std::string_view opposite_dir(std::string_view dir);
std::string_view dir_abbrev(std::string_view dir);

}  // namespace mud
