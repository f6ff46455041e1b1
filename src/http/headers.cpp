// headers: the ordered, case-insensitive field list.
#include "weft/http/headers.hpp"

#include <algorithm>

namespace weft::http {

namespace {
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool header_has_token(std::string_view value, std::string_view token) noexcept {
  for (;;) {
    std::size_t comma = value.find(',');
    std::string_view t = value.substr(0, comma);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (iequals(t, token)) return true;
    if (comma == std::string_view::npos) return false;
    value.remove_prefix(comma + 1);
  }
}

std::optional<std::string_view> headers::get(std::string_view name) const noexcept {
  for (const auto& f : list_)
    if (iequals(f.first, name)) return std::string_view(f.second);
  return std::nullopt;
}

std::size_t headers::count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const auto& f : list_) n += iequals(f.first, name);
  return n;
}

void headers::add(std::string_view name, std::string_view value) { list_.emplace_back(name, value); }

void headers::set(std::string_view name, std::string_view value) {
  auto it = std::find_if(list_.begin(), list_.end(), [&](const value_type& f) { return iequals(f.first, name); });
  if (it == list_.end()) {
    add(name, value);
    return;
  }
  it->second = value;
  list_.erase(std::remove_if(std::next(it), list_.end(), [&](const value_type& f) { return iequals(f.first, name); }),
              list_.end());
}

void headers::remove(std::string_view name) noexcept {
  list_.erase(std::remove_if(list_.begin(), list_.end(), [&](const value_type& f) { return iequals(f.first, name); }),
              list_.end());
}

}  // namespace weft::http
