// How the throwing forms of weft::net report a failure: one message shape everywhere,
// "<operation> <address>: <reason>" (a timeout is a weft::timeout_error reading
// "<operation> <address>: timed out").
#pragma once

#include <string_view>
#include <system_error>

#include "weft/net/address.hpp"

namespace weft::net::detail {

// Throws weft::timeout_error for errc::timed_out, std::system_error otherwise.
[[noreturn]] void throw_error(const std::error_code& ec, std::string_view op, const address& where);
[[noreturn]] void throw_error(const std::error_code& ec, std::string_view op);
[[noreturn]] void throw_error(const std::error_code& ec, std::string_view op, std::string_view where);

}  // namespace weft::net::detail
