// The stream error category and the one helper every throwing form goes through.
#include <string>

#include "net/throw.hpp"
#include "weft/error.hpp"
#include "weft/net/error.hpp"

namespace weft::net {

namespace {

class stream_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "weft.stream"; }
  std::string message(int v) const override {
    switch (static_cast<stream_errc>(v)) {
      case stream_errc::eof: return "unexpected end of stream";
      case stream_errc::too_long: return "delimiter not found within the limit";
    }
    return "unknown stream error";
  }
};

// weft::timeout_error whose what() reads "<op> <address>: timed out" rather than
// system_error's "...: Connection timed out".
class net_timeout final : public timeout_error {
 public:
  explicit net_timeout(const std::string& what) : timeout_error(what), what_(what + ": timed out") {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

}  // namespace

const std::error_category& stream_category() noexcept {
  static const stream_category_impl c;
  return c;
}

namespace detail {

void throw_error(const std::error_code& ec, std::string_view op, const address& where) {
  throw_error(ec, op, where.to_string());
}

void throw_error(const std::error_code& ec, std::string_view op, std::string_view where) {
  std::string what(op);
  if (!where.empty()) {
    what += ' ';
    what += where;
  }
  if (ec == std::errc::timed_out) throw net_timeout(what);
  throw std::system_error(ec, what);
}

void throw_error(const std::error_code& ec, std::string_view op) {
  throw_error(ec, op, std::string_view());
}

}  // namespace detail
}  // namespace weft::net
