// login: the account dialogue on a fresh connection, written as plain blocking code: ask,
// read_line, check, ask again.
#pragma once

#include "game.hpp"

namespace mud {

// Returns the player now attached to `s` (after a takeover if the character was in use), or
// nullptr if the client quit, failed, or was refused.
player* login(game& g, session& s);

// Why `name` cannot be a new character's name, or "" if it can.
std::string name_problem(const game& g, std::string_view name);

}  // namespace mud
