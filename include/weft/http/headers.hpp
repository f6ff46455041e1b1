// headers: an HTTP header list (ordered, names compared case-insensitively), shared by the
// server and the client.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http {

// ASCII case-insensitive equality (header names, tokens).
bool iequals(std::string_view a, std::string_view b) noexcept;

// Whether a comma-separated header value ("keep-alive, Upgrade") lists `token`, compared
// case-insensitively with surrounding whitespace ignored. For Connection, Upgrade, TE.
bool header_has_token(std::string_view value, std::string_view token) noexcept;

// Fields in the order they arrived (or were added); a name may occur more than once. Never
// blocks or throws except std::bad_alloc.
class headers {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  // The first field of that name.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  // How many fields have that name.
  std::size_t count(std::string_view name) const noexcept;
  void add(std::string_view name, std::string_view value);
  // Replaces every field of that name by one (appended if there was none).
  void set(std::string_view name, std::string_view value);
  void remove(std::string_view name) noexcept;
  void clear() noexcept { list_.clear(); }

  const_iterator begin() const noexcept { return list_.begin(); }
  const_iterator end() const noexcept { return list_.end(); }
  std::size_t size() const noexcept { return list_.size(); }
  bool empty() const noexcept { return list_.empty(); }

 private:
  std::vector<value_type> list_;
};

}  // namespace weft::http
