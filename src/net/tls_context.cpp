// tls_context: an SSL_CTX with weft's defaults, PEM loading, and the ALPN and SNI callbacks.
//
// Invariants: impl owns exactly one reference to ctx_; every callback's argument is the
// impl of the SSL_CTX it is installed on. A session switched to another context by the SNI
// callback keeps that context's impl alive through an SSL ex_data slot (alt_ctx_index()),
// because its ALPN callback will run with that impl as argument.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "weft/net/tls.hpp"

namespace weft::net {

struct tls_context::impl {
  SSL_CTX* ctx_ = nullptr;
  tls_role role_ = tls_role::client;
  tls_verify verify_ = tls_verify::peer;
  bool trust_given_ = false;       // a CA was loaded: the system store is not wanted
  std::once_flag default_paths_;   // the system store is loaded lazily, at the first session
  bool has_cert_ = false;
  bool has_key_ = false;
  std::vector<unsigned char> alpn_;  // wire format: length-prefixed names
  server_name_callback on_name_;

  ~impl() { SSL_CTX_free(ctx_); }
};

namespace {

struct bio_deleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;
struct x509_deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

[[noreturn]] void fail(const std::string& what, std::error_code fallback = std::make_error_code(std::errc::invalid_argument)) {
  throw std::system_error(detail::take_openssl_error(fallback), what);
}

bio_ptr memory_bio(std::string_view pem) {
  bio_ptr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!b) fail("tls: allocate a memory BIO");
  return b;
}

// An ex_data slot of SSL holding a heap shared_ptr<impl> (see Invariants).
int alt_ctx_index() {
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* p, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::shared_ptr<tls_context::impl>*>(p);
      });
  return index;
}

}  // namespace

// Nested in tls_context, so the callbacks may reach another context's impl_.
struct tls_context::impl_callbacks {
  static int on_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                     unsigned int inlen, void* arg) {
    auto* p = static_cast<impl*>(arg);
    unsigned char* chosen = nullptr;
    if (p->alpn_.empty() ||
        SSL_select_next_proto(&chosen, outlen, p->alpn_.data(), static_cast<unsigned>(p->alpn_.size()), in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
      return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }

  static int on_server_name(SSL* ssl, int* alert, void* arg) {
    auto* p = static_cast<impl*>(arg);
    if (!p->on_name_) return SSL_TLSEXT_ERR_OK;
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    try {
      const tls_context* other = p->on_name_(name ? name : "");
      if (!other || !other->impl_ || other->impl_->ctx_ == SSL_get_SSL_CTX(ssl)) return SSL_TLSEXT_ERR_OK;
      if (other->impl_->role_ != tls_role::server) throw std::logic_error("not a server context");
      auto keep = std::make_unique<std::shared_ptr<impl>>(other->impl_);
      if (SSL_set_SSL_CTX(ssl, other->impl_->ctx_) == nullptr) throw std::bad_alloc();
      // Replaces (and frees) a context kept by an earlier call for this session.
      auto* old = static_cast<std::shared_ptr<impl>*>(SSL_get_ex_data(ssl, alt_ctx_index()));
      if (!SSL_set_ex_data(ssl, alt_ctx_index(), keep.get())) throw std::bad_alloc();
      keep.release();
      delete old;
      return SSL_TLSEXT_ERR_OK;
    } catch (...) {
      *alert = SSL_AD_INTERNAL_ERROR;
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
  }
};

// ---- construction ---------------------------------------------------------------------------

namespace {

std::shared_ptr<tls_context::impl> make_impl(tls_role role) {
  auto p = std::make_shared<tls_context::impl>();
  p->ctx_ = SSL_CTX_new(role == tls_role::client ? TLS_client_method() : TLS_server_method());
  if (!p->ctx_) fail("tls: create context", std::make_error_code(std::errc::not_enough_memory));
  p->role_ = role;
  SSL_CTX_set_min_proto_version(p->ctx_, TLS1_2_VERSION);
  // Partial writes let write_some return after one record; a moving buffer lets a retried
  // write come from another copy of the same bytes; released buffers keep idle sessions small.
  SSL_CTX_set_mode(p->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(p->ctx_, SSL_OP_NO_RENEGOTIATION);
  return p;
}

int verify_flags(tls_role role, tls_verify v) {
  if (v == tls_verify::none) return SSL_VERIFY_NONE;
  if (role == tls_role::server && v == tls_verify::require) return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  return SSL_VERIFY_PEER;
}

}  // namespace

tls_context tls_context::client() {
  tls_context c(make_impl(tls_role::client));
  c.set_verify(tls_verify::peer);
  return c;
}

tls_context tls_context::server() {
  tls_context c(make_impl(tls_role::server));
  c.set_verify(tls_verify::none);
  SSL_CTX_set_tlsext_servername_callback(c.impl_->ctx_, &impl_callbacks::on_server_name);
  SSL_CTX_set_tlsext_servername_arg(c.impl_->ctx_, c.impl_.get());
  return c;
}

tls_context::impl& tls_context::get() const {
  if (!impl_) throw std::logic_error("weft::net::tls_context: empty context");
  return *impl_;
}

SSL_CTX* tls_context::native_handle() const noexcept { return impl_ ? impl_->ctx_ : nullptr; }
tls_role tls_context::role() const { return get().role_; }
tls_verify tls_context::verify() const noexcept { return impl_ ? impl_->verify_ : tls_verify::none; }

SSL* tls_context::new_session() const {
  impl& p = get();
  if (p.verify_ != tls_verify::none && !p.trust_given_) {
    std::call_once(p.default_paths_, [&] {
      // A system without a trust store is not an error here: verification will fail instead.
      SSL_CTX_set_default_verify_paths(p.ctx_);
      ERR_clear_error();
    });
  }
  SSL* ssl = SSL_new(p.ctx_);
  if (!ssl) fail("tls: create session", std::make_error_code(std::errc::not_enough_memory));
  return ssl;
}

// ---- own certificate ----------------------------------------------------------------------

namespace {

void check_pair(tls_context::impl& p) {
  if (p.has_cert_ && p.has_key_ && SSL_CTX_check_private_key(p.ctx_) != 1)
    fail("tls: the private key does not match the certificate");
}

}  // namespace

void tls_context::use_certificate_chain_file(const std::string& path) {
  impl& p = get();
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(p.ctx_, path.c_str()) != 1) fail("load certificate chain " + path);
  p.has_cert_ = true;
  check_pair(p);
}

void tls_context::use_certificate_chain(std::string_view pem) {
  impl& p = get();
  ERR_clear_error();
  bio_ptr b = memory_bio(pem);
  x509_ptr leaf(PEM_read_bio_X509_AUX(b.get(), nullptr, nullptr, nullptr));
  if (!leaf) fail("load certificate chain from PEM");
  if (SSL_CTX_use_certificate(p.ctx_, leaf.get()) != 1) fail("load certificate chain from PEM");
  SSL_CTX_clear_chain_certs(p.ctx_);
  while (X509* x = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(p.ctx_, x) != 1) {
      X509_free(x);
      fail("load certificate chain from PEM");
    }
  }
  ERR_clear_error();  // the end of the PEM text reads as "no start line"
  p.has_cert_ = true;
  check_pair(p);
}

void tls_context::use_private_key_file(const std::string& path) {
  impl& p = get();
  ERR_clear_error();
  if (SSL_CTX_use_PrivateKey_file(p.ctx_, path.c_str(), SSL_FILETYPE_PEM) != 1) fail("load private key " + path);
  p.has_key_ = true;
  check_pair(p);
}

void tls_context::use_private_key(std::string_view pem) {
  impl& p = get();
  ERR_clear_error();
  bio_ptr b = memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr);
  if (!key) fail("load private key from PEM");
  int ok = SSL_CTX_use_PrivateKey(p.ctx_, key);
  EVP_PKEY_free(key);
  if (ok != 1) fail("load private key from PEM");
  p.has_key_ = true;
  check_pair(p);
}

// ---- trust ----------------------------------------------------------------------------------

void tls_context::load_verify_file(const std::string& path) {
  impl& p = get();
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(p.ctx_, path.c_str(), nullptr) != 1) fail("load CA file " + path);
  p.trust_given_ = true;
}

void tls_context::load_verify_dir(const std::string& path) {
  impl& p = get();
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(p.ctx_, nullptr, path.c_str()) != 1) fail("load CA directory " + path);
  p.trust_given_ = true;
}

void tls_context::add_certificate_authority(std::string_view pem) {
  impl& p = get();
  ERR_clear_error();
  bio_ptr b = memory_bio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(p.ctx_);
  int n = 0;
  while (X509* x = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)) {
    x509_ptr owned(x);
    if (X509_STORE_add_cert(store, x) != 1) fail("add CA certificate from PEM");
    ++n;
  }
  if (n == 0) fail("add CA certificate from PEM");
  ERR_clear_error();
  p.trust_given_ = true;
}

void tls_context::use_default_verify_paths() {
  impl& p = get();
  ERR_clear_error();
  if (SSL_CTX_set_default_verify_paths(p.ctx_) != 1) fail("load the system trust store");
  p.trust_given_ = true;
}

void tls_context::set_verify(tls_verify v) {
  impl& p = get();
  p.verify_ = v;
  SSL_CTX_set_verify(p.ctx_, verify_flags(p.role_, v), nullptr);
}

// ---- ALPN and SNI ---------------------------------------------------------------------------

void tls_context::set_alpn(const std::vector<std::string>& protocols) {
  impl& p = get();
  std::vector<unsigned char> wire;
  for (const auto& name : protocols) {
    if (name.empty() || name.size() > 255) throw std::invalid_argument("ALPN protocol name of bad length: \"" + name + "\"");
    wire.push_back(static_cast<unsigned char>(name.size()));
    wire.insert(wire.end(), name.begin(), name.end());
  }
  if (p.role_ == tls_role::client) {
    // Returns 0 on success, unlike the rest of OpenSSL.
    if (SSL_CTX_set_alpn_protos(p.ctx_, wire.data(), static_cast<unsigned>(wire.size())) != 0)
      fail("tls: set ALPN protocols", std::make_error_code(std::errc::not_enough_memory));
  } else {
    SSL_CTX_set_alpn_select_cb(p.ctx_, &impl_callbacks::on_alpn, &p);
  }
  p.alpn_ = std::move(wire);
}

void tls_context::on_server_name(server_name_callback cb) {
  impl& p = get();
  if (p.role_ != tls_role::server) throw std::logic_error("weft::net::tls_context::on_server_name: not a server context");
  p.on_name_ = std::move(cb);
}

}  // namespace weft::net
