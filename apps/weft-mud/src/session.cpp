#include "session.hpp"

#include "text.hpp"

namespace mud {

namespace {

std::string to_wire(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

void session::write(std::string_view text) {
  if (closed()) return;
  std::string s = colour ? std::string(text) : strip_ansi(text);
  if (display_width(s) > static_cast<std::size_t>(info.cols) || s.find('\n') != std::string::npos)
    s = wrap(s, info.cols);
  emit(to_wire(s));
}

void session::prompt(std::string_view text) {
  if (closed()) return;
  emit(colour ? std::string(text) : strip_ansi(text));
  end_prompt(text);
}

}  // namespace mud
