// password: salted scrypt (OpenSSL) password hashes. Deliberately slow: call these through
// weft::run_blocking so that only the logging-in player's tasklet waits.
#pragma once

#include <string>
#include <string_view>

namespace mud {

struct password_hash {
  std::string salt;  // 16 random bytes
  std::string hash;  // 32 bytes
  std::string kdf;   // "scrypt:<log2 N>:<r>:<p>"
};

// cost = log2 of scrypt's N (14: 16 MiB and tens of milliseconds per hash).
password_hash hash_password(std::string_view password, int cost);
// Recomputes with the stored parameters; constant-time comparison.
bool verify_password(std::string_view password, const password_hash& stored);

}  // namespace mud
