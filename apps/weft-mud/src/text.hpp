// text: what every line of game text passes through: sanitising player input, ANSI colour,
// word wrap, JSON strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mud {

// Player-typed text made safe to show others: valid UTF-8 only (bad bytes become '?'),
// no C0/C1 controls, no ESC, no DEL, surrounding blanks trimmed.
std::string sanitize(std::string_view in);

// sanitize() applied to each line of a multi-line text (keeps the line breaks).
std::string sanitize_lines(std::string_view in);

// Removes ANSI escape sequences (for players with colour off).
std::string strip_ansi(std::string_view in);

// Wraps each '\n'-separated line at `width` columns (UTF-8 code points; ANSI sequences take
// no room). Words longer than the width are broken.
std::string wrap(std::string_view text, int width);

// Columns a string takes (code points, ANSI sequences excluded).
std::size_t display_width(std::string_view s);

// A JSON string literal, quotes included.
std::string json_string(std::string_view s);

std::string lower(std::string_view s);
bool starts_with_ci(std::string_view s, std::string_view prefix);
bool equals_ci(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);
// Splits off the first word; `rest` gets the remainder, trimmed.
std::string_view first_word(std::string_view s, std::string_view* rest);
// "Ada" from "ada".
std::string capitalize(std::string_view s);

namespace ansi {
inline constexpr std::string_view reset = "\x1b[0m";
inline constexpr std::string_view bold = "\x1b[1m";
inline constexpr std::string_view room = "\x1b[1;33m";   // room names: bright yellow (orange on the Amiga page)
inline constexpr std::string_view exits = "\x1b[36m";
inline constexpr std::string_view player = "\x1b[1;37m";
inline constexpr std::string_view object = "\x1b[32m";
inline constexpr std::string_view speech = "\x1b[37m";
inline constexpr std::string_view system = "\x1b[35m";
inline constexpr std::string_view alert = "\x1b[1;31m";
}  // namespace ansi

// `text` wrapped in a colour and a reset.
std::string paint(std::string_view colour, std::string_view text);

}  // namespace mud
