// client_error: the message of each client_errc.
#include "weft/http/client_error.hpp"

namespace weft::http {

const std::error_category& client_category() noexcept {
  struct category : std::error_category {
    const char* name() const noexcept override { return "weft.http.client"; }
    std::string message(int v) const override {
      switch (static_cast<client_errc>(v)) {
        case client_errc::bad_url: return "bad URL";
        case client_errc::bad_request: return "bad request";
        case client_errc::bad_response: return "malformed response";
        case client_errc::closed: return "connection closed before the response ended";
        case client_errc::too_many_redirects: return "too many redirects";
        case client_errc::body_too_large: return "response body too large";
      }
      return "unknown HTTP client error";
    }
  };
  static const category c;
  return c;
}

}  // namespace weft::http
