#include "password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <stdexcept>

namespace mud {

namespace {

std::string scrypt(std::string_view password, std::string_view salt, int log_n, int r, int p) {
  if (log_n < 1 || log_n > 22 || r < 1 || r > 32 || p < 1 || p > 16)
    throw std::invalid_argument("password: bad scrypt parameters");
  std::uint64_t n = std::uint64_t{1} << log_n;
  std::uint64_t maxmem = 128 * static_cast<std::uint64_t>(r) * n * static_cast<std::uint64_t>(p) + (1u << 20) +
                         128 * static_cast<std::uint64_t>(r) * n;
  std::string out(32, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), n, static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(p), maxmem,
                     reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1)
    throw std::runtime_error("password: EVP_PBE_scrypt failed");
  return out;
}

}  // namespace

password_hash hash_password(std::string_view password, int cost) {
  password_hash h;
  h.salt.assign(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(h.salt.data()), 16) != 1)
    throw std::runtime_error("password: RAND_bytes failed");
  h.hash = scrypt(password, h.salt, cost, 8, 1);
  h.kdf = "scrypt:" + std::to_string(cost) + ":8:1";
  return h;
}

bool verify_password(std::string_view password, const password_hash& stored) {
  int log_n = 0, r = 0, p = 0;
  if (std::sscanf(stored.kdf.c_str(), "scrypt:%d:%d:%d", &log_n, &r, &p) != 3) return false;
  std::string h = scrypt(password, stored.salt, log_n, r, p);
  return h.size() == stored.hash.size() && CRYPTO_memcmp(h.data(), stored.hash.data(), h.size()) == 0;
}

}  // namespace mud
