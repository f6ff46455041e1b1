// line_editor: turns the data bytes of a telnet stream into input lines, the way clients
// actually send them: CR, LF, CRLF or CR NUL end a line; BS and DEL erase one whole UTF-8
// character; escape sequences (arrow keys in character mode) are dropped; other controls too.
//
// Invariants: a line holds at most max_line bytes (longer input is cut and the line marked
// truncated); at most max_queued complete lines wait, later ones are dropped (counted).
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace mud {

class line_editor {
 public:
  static constexpr std::size_t max_queued = 1024;
  explicit line_editor(std::size_t max_line = 512) : max_line_(max_line) {}

  void feed(std::string_view data);
  bool has_line() const noexcept { return !lines_.empty(); }
  struct line {
    std::string text;
    bool truncated = false;
  };
  line take();
  std::size_t dropped() const noexcept { return dropped_; }

 private:
  void finish();
  std::size_t max_line_;
  std::string cur_;
  bool cur_truncated_ = false;
  bool after_cr_ = false;
  enum class esc : unsigned char { none, start, csi } esc_ = esc::none;
  std::deque<line> lines_;
  std::size_t dropped_ = 0;
};

}  // namespace mud
