// play: a connection's life once the transport is up: login, then read a line, run the
// command, repeat. Transport-independent (telnet and WebSocket sessions both end up here).
#pragma once

#include "game.hpp"

namespace mud {

void play(game& g, session& s);

}  // namespace mud
