#include "line_editor.hpp"

namespace mud {

void line_editor::finish() {
  if (lines_.size() >= max_queued) ++dropped_;
  else lines_.push_back({std::move(cur_), cur_truncated_});
  cur_.clear();
  cur_truncated_ = false;
}

void line_editor::feed(std::string_view data) {
  for (char ch : data) {
    auto c = static_cast<unsigned char>(ch);
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n' || c == 0) continue;  // CRLF or CR NUL: one line end
    }
    if (esc_ == esc::start) {
      esc_ = c == '[' ? esc::csi : esc::none;
      continue;
    }
    if (esc_ == esc::csi) {
      if (c >= 0x40 && c <= 0x7E) esc_ = esc::none;
      continue;
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      finish();
    } else if (c == 0x08 || c == 0x7F) {
      // Remove continuation bytes, then the lead byte: one whole character.
      while (!cur_.empty() && (static_cast<unsigned char>(cur_.back()) & 0xC0) == 0x80) cur_.pop_back();
      if (!cur_.empty()) cur_.pop_back();
    } else if (c == 0x1B) {
      esc_ = esc::start;
    } else if (c == '\t') {
      if (cur_.size() < max_line_) cur_ += ' ';
    } else if (c < 0x20) {
      // Other controls never reach the game.
    } else if (cur_.size() < max_line_) {
      cur_ += ch;
    } else {
      cur_truncated_ = true;
    }
  }
}

line_editor::line line_editor::take() {
  line l = std::move(lines_.front());
  lines_.pop_front();
  return l;
}

}  // namespace mud
