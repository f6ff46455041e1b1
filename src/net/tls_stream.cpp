// tls_stream: OpenSSL driven over the socket's non-blocking descriptor, waiting between calls.
//
// Design. OpenSSL reads and writes the descriptor itself, through a small BIO of ours that
// calls sys::recv / sys::send once and never waits; when a call reports WANT_READ or
// WANT_WRITE we wait for the descriptor with wait_io (the socket's timeout, the stream's
// deadline) and call again: libtask's read loop, one level up. So a tasklet only ever waits
// *between* OpenSSL calls: a kill or a timeout never unwinds through OpenSSL's C frames, and
// the session is intact afterwards.
//
// Rejected: memory BIOs with the bytes pumped through socket::read_some/write_some. They
// would run over any byte_stream, but cost a copy each way, two buffers per session, and a
// pump loop that must guess how much to read; nothing needs TLS over a non-socket yet.
// A BIO that waits inside its read callback (the tasklet suspends inside SSL_read): the
// simplest code, but a kill would have to unwind through OpenSSL, or be caught and smuggled
// out, leaving the session in whatever state OpenSSL was in. OpenSSL's own socket BIO:
// it write()s, so a peer that vanished raises SIGPIPE, and its errno is read after the fact.
//
// Invariants: state's sock_ is declared before ssl_, so the session is freed before the
// descriptor is closed. The BIO's data is the state, which lives on the heap so a moved
// tls_stream keeps it. sys_error_ and eof_ are written by the BIO during an OpenSSL call and
// read right after it, before anything can switch tasklets.
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <climits>
#include <string>

#include "net/io_loop.hpp"
#include "net/throw.hpp"
#include "net/whole_transfer.hpp"
#include "sys/sys.hpp"
#include "weft/detail/io_wait.hpp"
#include "weft/net/connect.hpp"
#include "weft/net/error.hpp"
#include "weft/net/tls.hpp"

namespace weft::net {

namespace detail {

struct tls_state {
  socket sock_;
  SSL* ssl_ = nullptr;
  std::shared_ptr<const void> ctx_keep_;  // the tls_context's impl, kept alive
  std::string host_;                       // the name a client connected to
  std::optional<clock::time_point> deadline_;
  std::error_code sys_error_;  // the BIO's last failed syscall
  bool eof_ = false;           // the BIO saw the end of the TCP stream
  bool configured_ = false;    // connect()/accept() has set the role (and the names)
  bool done_ = false;          // the handshake succeeded
  bool shutdown_sent_ = false; // our close_notify went out

  ~tls_state() { SSL_free(ssl_); }
};

}  // namespace detail

namespace {

using detail::tls_state;
using detail::wait_budget;
using weft::detail::io_event;

std::error_code code(std::errc e) noexcept { return std::make_error_code(e); }

// ---- the BIO: one non-blocking syscall per call --------------------------------------------

int bio_write(BIO* b, const char* data, int len) {
  auto* st = static_cast<tls_state*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  std::error_code ec;
  ssize_t n = sys::send(st->sock_.native_handle(), data, static_cast<std::size_t>(len), 0, ec);
  if (n >= 0) return static_cast<int>(n);
  if (sys::would_block(ec)) {
    BIO_set_retry_write(b);
  } else {
    st->sys_error_ = ec;
  }
  return -1;
}

int bio_read(BIO* b, char* buf, int len) {
  auto* st = static_cast<tls_state*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  std::error_code ec;
  ssize_t n = sys::recv(st->sock_.native_handle(), buf, static_cast<std::size_t>(len), 0, ec);
  if (n > 0) return static_cast<int>(n);
  if (n == 0) {
    st->eof_ = true;
    return 0;
  }
  if (sys::would_block(ec)) {
    BIO_set_retry_read(b);
  } else {
    st->sys_error_ = ec;
  }
  return -1;
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
  auto* st = static_cast<tls_state*>(BIO_get_data(b));
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;  // nothing is buffered here
    case BIO_CTRL_EOF: return st->eof_ ? 1 : 0;
    case BIO_C_GET_FD: return st->sock_.native_handle();
    default: return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* bio_method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* b = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "weft socket");
    if (!b || !BIO_meth_set_write(b, bio_write) || !BIO_meth_set_read(b, bio_read) ||
        !BIO_meth_set_ctrl(b, bio_ctrl) || !BIO_meth_set_create(b, bio_create))
      return static_cast<BIO_METHOD*>(nullptr);
    return b;
  }();
  return m;
}

// ---- the wait loop ----------------------------------------------------------------------------

// What failed, once OpenSSL said SSL_ERROR_SYSCALL or SSL_ERROR_SSL (or worse).
std::error_code failure(tls_state& st, int ssl_error) {
  if (ssl_error == SSL_ERROR_SYSCALL) {
    if (st.sys_error_) {
      ERR_clear_error();
      return st.sys_error_;
    }
    // No errno and no OpenSSL error: the TCP stream ended without close_notify.
    return detail::take_openssl_error(tls_errc::truncated);
  }
  unsigned long e = ERR_peek_error();
  if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
    int reason = ERR_GET_REASON(e);
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      ERR_clear_error();
      return tls_errc::truncated;
    }
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      long v = SSL_get_verify_result(st.ssl_);
      if (v != X509_V_OK) {
        ERR_clear_error();
        return {static_cast<int>(v), tls_verify_category()};
      }
    }
  }
  if (e == 0 && st.sys_error_) return st.sys_error_;
  return detail::take_openssl_error(code(std::errc::protocol_error));
}

// Calls op() (an SSL_* call returning > 0 on success, <= 0 otherwise) through the wait loop
// (io_loop.hpp) until it succeeds or fails for real. Returns op()'s result, or 0 with ec
// set; SSL_ERROR_ZERO_RETURN (close_notify) returns 0 with ec clear.
template <class Op>
int drive(tls_state& st, wait_budget& budget, std::error_code& ec, Op op) {
  int result = 0;
  detail::io_loop(st.sock_, budget, ec, [&](int, std::error_code& e) -> std::optional<io_event> {
    ERR_clear_error();
    st.sys_error_.clear();
    int r = op();
    if (r > 0) {
      e.clear();
      result = r;
      return std::nullopt;
    }
    switch (int err = SSL_get_error(st.ssl_, r)) {
      case SSL_ERROR_WANT_READ: e = code(std::errc::operation_would_block); return io_event::readable;
      case SSL_ERROR_WANT_WRITE: e = code(std::errc::operation_would_block); return io_event::writable;
      case SSL_ERROR_ZERO_RETURN: e.clear(); return std::nullopt;
      default: e = failure(st, err); return std::nullopt;
    }
  });
  return ec ? 0 : result;
}

// One SSL call: the socket's timeout from its first wait, capped by the stream's deadline.
template <class Op>
int drive(tls_state& st, std::error_code& ec, Op op) {
  wait_budget budget(st.sock_.timeout(), st.deadline_);
  return drive(st, budget, ec, op);
}

// A call made of several rounds (a handshake, write_all, ...): one deadline for all of them.
wait_budget whole_call(const tls_state& st) {
  return wait_budget::starting_now(st.sock_.timeout(), st.deadline_);
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

// ---- lifetime -----------------------------------------------------------------------------

tls_stream::tls_stream() noexcept = default;
tls_stream::tls_stream(tls_stream&&) noexcept = default;
tls_stream& tls_stream::operator=(tls_stream&&) noexcept = default;
tls_stream::~tls_stream() = default;

tls_stream::tls_stream(socket s, const tls_context& ctx) : s_(std::make_unique<detail::tls_state>()) {
  s_->sock_ = std::move(s);
  s_->ctx_keep_ = ctx.impl_;
  s_->ssl_ = ctx.new_session();
  BIO_METHOD* m = bio_method();
  BIO* b = m ? BIO_new(m) : nullptr;
  if (!b) throw std::system_error(detail::take_openssl_error(code(std::errc::not_enough_memory)), "tls: create BIO");
  BIO_set_data(b, s_.get());
  SSL_set_bio(s_->ssl_, b, b);  // one reference, owned by the session
  if (ctx.role() == tls_role::client)
    SSL_set_connect_state(s_->ssl_);
  else
    SSL_set_accept_state(s_->ssl_);
}

void tls_stream::close() noexcept {
  if (s_) s_->sock_.close();
}

void tls_stream::set_deadline(std::optional<clock::time_point> d) noexcept {
  if (s_) s_->deadline_ = d;
}

socket& tls_stream::sock() noexcept {
  static socket none;
  return s_ ? s_->sock_ : none;
}
const socket& tls_stream::sock() const noexcept { return const_cast<tls_stream*>(this)->sock(); }
bool tls_stream::is_open() const noexcept { return s_ && s_->sock_.is_open(); }
SSL* tls_stream::native_handle() const noexcept { return s_ ? s_->ssl_ : nullptr; }
bool tls_stream::handshake_done() const noexcept { return s_ && s_->done_; }

std::string tls_stream::describe() const {
  if (!s_) return "closed TLS stream";
  std::string d = s_->sock_.describe();
  if (!s_->host_.empty()) d += " (" + s_->host_ + ")";
  return d;
}

// ---- handshakes ---------------------------------------------------------------------------

void tls_stream::connect(std::string_view host, std::error_code& ec) {
  if (!s_) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  detail::tls_state& st = *s_;
  if (st.done_) {
    ec.clear();
    return;
  }
  if (SSL_is_server(st.ssl_)) {
    ec = tls_errc::wrong_role;
    return;
  }
  if (!st.configured_) {
    st.host_ = std::string(host);
    const bool verify = SSL_get_verify_mode(st.ssl_) != SSL_VERIFY_NONE;
    const bool ip = is_ip_literal(st.host_);
    if (verify && st.host_.empty()) {
      ec = tls_errc::host_required;
      return;
    }
    ERR_clear_error();
    bool ok = true;
    if (!ip && !st.host_.empty()) ok = SSL_set_tlsext_host_name(st.ssl_, st.host_.c_str()) == 1;
    if (ok && verify && ip) ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(st.ssl_), st.host_.c_str()) == 1;
    if (ok && verify && !ip) {
      SSL_set_hostflags(st.ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set1_host(st.ssl_, st.host_.c_str()) == 1;
    }
    if (!ok) {
      ec = detail::take_openssl_error(code(std::errc::invalid_argument));
      return;
    }
    st.configured_ = true;
  }
  wait_budget budget = whole_call(st);
  drive(st, budget, ec, [&] { return SSL_do_handshake(st.ssl_); });
  if (!ec) st.done_ = true;
}

void tls_stream::connect(std::string_view host) {
  std::error_code ec;
  connect(host, ec);
  if (ec) {
    if (s_ && s_->host_.empty()) s_->host_ = std::string(host);
    net::detail::throw_error(ec, "tls handshake with", describe());
  }
}

void tls_stream::accept(std::error_code& ec) {
  if (!s_) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  detail::tls_state& st = *s_;
  if (st.done_) {
    ec.clear();
    return;
  }
  if (!SSL_is_server(st.ssl_)) {
    ec = tls_errc::wrong_role;
    return;
  }
  st.configured_ = true;
  wait_budget budget = whole_call(st);
  drive(st, budget, ec, [&] { return SSL_do_handshake(st.ssl_); });
  if (!ec) {
    st.done_ = true;
    if (const char* name = SSL_get_servername(st.ssl_, TLSEXT_NAMETYPE_host_name)) st.host_ = name;
  }
}

void tls_stream::accept() {
  std::error_code ec;
  accept(ec);
  if (ec) net::detail::throw_error(ec, "tls handshake with", describe());
}

// ---- data ---------------------------------------------------------------------------------

std::size_t tls_stream::read_some(std::span<std::byte> buf, std::error_code& ec) {
  if (!s_ || !s_->done_) {
    ec = s_ ? std::error_code(tls_errc::no_handshake) : code(std::errc::bad_file_descriptor);
    return 0;
  }
  ec.clear();
  if (buf.empty()) return 0;
  std::size_t n = 0;
  const std::size_t len = std::min<std::size_t>(buf.size(), INT_MAX);
  drive(*s_, ec, [&] { return SSL_read_ex(s_->ssl_, buf.data(), len, &n); });
  return ec ? 0 : n;
}

std::size_t tls_stream::read_some(std::span<std::byte> buf) {
  std::error_code ec;
  std::size_t n = read_some(buf, ec);
  if (ec) net::detail::throw_error(ec, "tls read from", describe());
  return n;
}

std::size_t tls_stream::write_some(std::span<const std::byte> data, std::error_code& ec) {
  if (!s_ || !s_->done_) {
    ec = s_ ? std::error_code(tls_errc::no_handshake) : code(std::errc::bad_file_descriptor);
    return 0;
  }
  ec.clear();
  if (data.empty()) return 0;
  std::size_t n = 0;
  drive(*s_, ec, [&] { return SSL_write_ex(s_->ssl_, data.data(), data.size(), &n); });
  return ec ? 0 : n;
}

std::size_t tls_stream::write_some(std::span<const std::byte> data) {
  std::error_code ec;
  std::size_t n = write_some(data, ec);
  if (ec) net::detail::throw_error(ec, "tls write to", describe());
  return n;
}

std::size_t tls_stream::write_all(std::span<const std::byte> data, std::error_code& ec) {
  if (!s_ || !s_->done_) {
    ec = s_ ? std::error_code(tls_errc::no_handshake) : code(std::errc::bad_file_descriptor);
    return 0;
  }
  wait_budget budget = whole_call(*s_);
  return detail::write_all(data, ec, [&](std::span<const std::byte> rest, std::error_code& e) {
    std::size_t n = 0;
    drive(*s_, budget, e, [&] { return SSL_write_ex(s_->ssl_, rest.data(), rest.size(), &n); });
    return e ? 0 : n;
  });
}

void tls_stream::write_all(std::span<const std::byte> data) {
  std::error_code ec;
  write_all(data, ec);
  if (ec) net::detail::throw_error(ec, "tls write to", describe());
}

std::size_t tls_stream::read_exact(std::span<std::byte> buf, std::error_code& ec) {
  if (!s_ || !s_->done_) {
    ec = s_ ? std::error_code(tls_errc::no_handshake) : code(std::errc::bad_file_descriptor);
    return 0;
  }
  wait_budget budget = whole_call(*s_);
  return detail::read_exact(buf, ec, [&](std::span<std::byte> rest, std::error_code& e) {
    std::size_t n = 0;
    const std::size_t len = std::min<std::size_t>(rest.size(), INT_MAX);
    drive(*s_, budget, e, [&] { return SSL_read_ex(s_->ssl_, rest.data(), len, &n); });
    return e ? 0 : n;
  });
}

void tls_stream::read_exact(std::span<std::byte> buf) {
  std::error_code ec;
  read_exact(buf, ec);
  if (ec) net::detail::throw_error(ec, "tls read_exact from", describe());
}

std::string tls_stream::read_exact(std::size_t n) {
  std::string s(n, '\0');
  read_exact(std::as_writable_bytes(std::span(s.data(), s.size())));
  return s;
}

// ---- shutdown -----------------------------------------------------------------------------

void tls_stream::shutdown(std::error_code& ec) {
  if (!s_ || !s_->done_) {
    ec = s_ ? std::error_code(tls_errc::no_handshake) : code(std::errc::bad_file_descriptor);
    return;
  }
  ec.clear();
  detail::tls_state& st = *s_;
  // Not SSL_get_shutdown(): after a timeout the alert is queued but unsent, and calling
  // SSL_shutdown again sends it (and only then would wait for the peer's).
  if (st.shutdown_sent_) return;
  wait_budget budget = whole_call(st);
  // 0: our close_notify is out, the peer's not yet read; 1: both. Either is done for us.
  drive(st, budget, ec, [&] {
    int r = SSL_shutdown(st.ssl_);
    return r >= 0 ? 1 : r;
  });
  if (!ec) st.shutdown_sent_ = true;
}

void tls_stream::shutdown() {
  std::error_code ec;
  shutdown(ec);
  if (ec) net::detail::throw_error(ec, "tls shutdown with", describe());
}

// ---- what was agreed ----------------------------------------------------------------------

std::string tls_stream::server_name() const {
  if (!s_) return {};
  if (SSL_is_server(s_->ssl_)) {
    const char* name = SSL_get_servername(s_->ssl_, TLSEXT_NAMETYPE_host_name);
    return name ? name : "";
  }
  return is_ip_literal(s_->host_) ? std::string() : s_->host_;
}

std::string tls_stream::alpn_protocol() const {
  if (!s_) return {};
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(s_->ssl_, &p, &n);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

std::string tls_stream::cipher() const {
  if (!s_ || !s_->done_) return {};
  const char* c = SSL_get_cipher_name(s_->ssl_);
  return c ? c : "";
}

std::string tls_stream::version() const {
  if (!s_ || !s_->done_) return {};
  return SSL_get_version(s_->ssl_);
}

std::string tls_stream::peer_subject() const {
  if (!s_) return {};
  X509* cert = SSL_get0_peer_certificate(s_->ssl_);
  if (!cert) return {};
  BIO* b = BIO_new(BIO_s_mem());
  if (!b) return {};
  X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, n > 0 ? static_cast<std::size_t>(n) : 0);
  BIO_free(b);
  return s;
}

bool tls_stream::peer_verified() const {
  return s_ && s_->done_ && SSL_get0_peer_certificate(s_->ssl_) != nullptr &&
         SSL_get_verify_result(s_->ssl_) == X509_V_OK;
}

// ---- helpers ------------------------------------------------------------------------------

tls_stream tls_connect(const tls_context& ctx, const address& a, std::string_view host,
                       std::optional<clock::duration> timeout) {
  const auto start = clock::now();
  tls_stream t(tcp_connect(a, timeout), ctx);
  if (timeout) t.set_deadline(start + *timeout);
  t.connect(host);
  t.set_deadline(std::nullopt);
  return t;
}

tls_stream tls_connect(const tls_context& ctx, std::string_view host, std::uint16_t port,
                       std::optional<clock::duration> timeout) {
  const auto start = clock::now();
  tls_stream t(tcp_connect(host, port, timeout), ctx);
  if (timeout) t.set_deadline(start + *timeout);
  t.connect(host);
  t.set_deadline(std::nullopt);
  return t;
}

}  // namespace weft::net
