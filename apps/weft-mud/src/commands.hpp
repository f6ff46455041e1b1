// commands: the player command table and its dispatcher (unambiguous prefixes, aliases).
#pragma once

#include <string_view>

#include "game.hpp"

namespace mud {

struct context {
  game& g;
  player& p;
  session& s;
};

enum class outcome { go_on, quit };

outcome dispatch(context& c, std::string_view line);

// Room description for `p` (also sends GMCP Room.Info).
void show_room(context& c);

// Admin commands (admin.cpp).
void cmd_at_tasklets(context& c, std::string_view args);
void cmd_at_lag(context& c, std::string_view args);
void cmd_at_who(context& c, std::string_view args);
void cmd_at_boot(context& c, std::string_view args);
void cmd_at_ban(context& c, std::string_view args);
void cmd_at_unban(context& c, std::string_view args);
void cmd_at_shutdown(context& c, std::string_view args);

// Set by main: starts the graceful shutdown.
extern void (*request_shutdown)(std::string_view why);

}  // namespace mud
