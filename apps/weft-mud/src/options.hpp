// options: weft-mud's command line.
#pragma once

#include "game.hpp"

namespace mud {

// Parses argv; prints usage and exits on --help or a bad argument.
options parse_options(int argc, char** argv);

}  // namespace mud
