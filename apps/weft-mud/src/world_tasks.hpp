// world_tasks: the tasklets that make the world live without players: the ticker (the game
// clock, the one o'clock gun) and each creature's own wandering. They cooperate through
// sleep and a channel: the ticker sends the hour at dusk and dawn, the creature listens
// while it waits between steps.
#pragma once

#include "game.hpp"

namespace mud {

void run_ticker(game& g, weft::clock::duration game_hour);
void run_creature(game& g, creature& c);

}  // namespace mud
