#include "text.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace mud {

namespace {

// Length of the UTF-8 sequence starting at s[i] if it is valid and not a control, else 0.
std::size_t valid_utf8_at(std::string_view s, std::size_t i, std::uint32_t* cp_out) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t len;
  std::uint32_t cp;
  if (b < 0x80) {
    len = 1;
    cp = b;
  } else if ((b & 0xE0) == 0xC0) {
    len = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr std::uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *cp_out = cp;
  return len;
}

bool is_control(std::uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);  // bidi overrides
}

// Skips an ANSI sequence at s[i] (ESC ...); returns its length, or 0 if none starts there.
std::size_t ansi_len(std::string_view s, std::size_t i) {
  if (s[i] != '\x1b') return 0;
  if (i + 1 < s.size() && s[i + 1] == '[') {
    std::size_t j = i + 2;
    while (j < s.size() && !(s[j] >= 0x40 && s[j] <= 0x7E)) ++j;
    return j < s.size() ? j - i + 1 : s.size() - i;
  }
  return i + 1 < s.size() ? 2 : 1;
}

}  // namespace

std::string sanitize(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    std::uint32_t cp = 0;
    std::size_t n = valid_utf8_at(in, i, &cp);
    if (n == 0) {
      out += '?';
      ++i;
      continue;
    }
    if (cp == '\t') out += ' ';
    else if (!is_control(cp)) out.append(in.substr(i, n));
    i += n;
  }
  return std::string(trim(out));
}

std::string sanitize_lines(std::string_view in) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    std::size_t nl = in.find('\n', pos);
    std::string_view l = in.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    std::string clean;
    for (char c : l) clean += c == '\t' ? ' ' : c;
    std::size_t indent = clean.find_first_not_of(' ');
    out += clean.substr(0, indent == std::string::npos ? 0 : indent) + sanitize(clean);
    if (nl == std::string_view::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string strip_ansi(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    if (std::size_t n = ansi_len(in, i)) {
      i += n;
      continue;
    }
    out += in[i++];
  }
  return out;
}

std::size_t display_width(std::string_view s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (std::size_t n = ansi_len(s, i)) {
      i += n;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++w;
    ++i;
  }
  return w;
}

namespace {

void wrap_line(std::string_view line, std::size_t width, std::string& out) {
  std::size_t col = 0;
  std::size_t i = 0;
  while (i < line.size()) {
    // The next word (with the spaces before it).
    std::size_t start = i;
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t word_start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    std::string_view spaces = line.substr(start, word_start - start);
    std::string_view word = line.substr(word_start, i - word_start);
    std::size_t ww = display_width(word);
    if (col > 0 && col + spaces.size() + ww > width) {
      out += '\n';
      col = 0;
    } else {
      out.append(spaces);
      col += spaces.size();
    }
    // A word wider than the line is broken at the width.
    for (std::size_t k = 0; k < word.size();) {
      if (std::size_t n = ansi_len(word, k)) {
        out.append(word.substr(k, n));
        k += n;
        continue;
      }
      bool lead = (static_cast<unsigned char>(word[k]) & 0xC0) != 0x80;
      if (lead && col >= width) {
        out += '\n';
        col = 0;
      }
      out += word[k++];
      if (lead) ++col;
    }
  }
}

}  // namespace

std::string wrap(std::string_view text, int width) {
  std::size_t w = width < 20 ? 20 : static_cast<std::size_t>(width);
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  std::size_t pos = 0;
  for (;;) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (display_width(line) <= w) out.append(line);
    else wrap_line(line, w, out);
    if (nl == std::string_view::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (prefix.size() > s.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

bool equals_ci(std::string_view a, std::string_view b) { return a.size() == b.size() && starts_with_ci(a, b); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view first_word(std::string_view s, std::string_view* rest) {
  s = trim(s);
  std::size_t sp = s.find(' ');
  std::string_view w = s.substr(0, sp);
  if (rest) *rest = sp == std::string_view::npos ? std::string_view{} : trim(s.substr(sp + 1));
  return w;
}

std::string capitalize(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string paint(std::string_view colour, std::string_view text) {
  std::string out;
  out.reserve(colour.size() + text.size() + ansi::reset.size());
  out.append(colour).append(text).append(ansi::reset);
  return out;
}

}  // namespace mud
