// The TLS error categories: weft's own outcomes, OpenSSL's error queue, certificate checks.
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string>

#include "weft/net/tls.hpp"

namespace weft::net {

namespace {

// OpenSSL packs an error as lib (8 bits) | reason (23 bits), or the system flag (bit 31) |
// errno: 32 bits, so it round-trips through an int.
int to_value(unsigned long e) noexcept { return static_cast<int>(static_cast<std::uint32_t>(e)); }
unsigned long from_value(int v) noexcept { return static_cast<std::uint32_t>(v); }

class tls_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "weft.tls"; }
  std::string message(int v) const override {
    switch (static_cast<tls_errc>(v)) {
      case tls_errc::truncated: return "connection closed without close_notify (truncated)";
      case tls_errc::no_handshake: return "TLS handshake not done";
      case tls_errc::wrong_role: return "wrong TLS role for this context";
      case tls_errc::host_required: return "a host name is required to verify the server";
    }
    return "unknown TLS error";
  }
};

class openssl_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "openssl"; }
  std::string message(int v) const override {
    unsigned long e = from_value(v);
    if (const char* r = ERR_reason_error_string(e)) return r;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
  }
};

class tls_verify_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "openssl.verify"; }
  std::string message(int v) const override {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
  }
};

}  // namespace

const std::error_category& tls_category() noexcept {
  static const tls_category_impl c;
  return c;
}

const std::error_category& openssl_category() noexcept {
  static const openssl_category_impl c;
  return c;
}

const std::error_category& tls_verify_category() noexcept {
  static const tls_verify_category_impl c;
  return c;
}

namespace detail {

std::error_code take_openssl_error(std::error_code fallback) noexcept {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  if (ERR_SYSTEM_ERROR(e)) return {ERR_GET_REASON(e), std::system_category()};
  return {to_value(e), openssl_category()};
}

}  // namespace detail
}  // namespace weft::net
