// tls: TLS clients and servers over weft sockets (OpenSSL); a handshake, read or write that
// must wait suspends only the calling tasklet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "weft/net/address.hpp"
#include "weft/net/socket.hpp"
#include "weft/time.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace weft::net {

// ---- errors -------------------------------------------------------------------------------

// Outcomes TLS adds to errno. (OpenSSL's own errors use openssl_category(), failed
// certificate checks tls_verify_category().)
enum class tls_errc {
  truncated = 1,   // the peer closed the connection without close_notify (possibly mid-record)
  no_handshake,    // read, write or shutdown before a successful connect() / accept()
  wrong_role,      // connect() on a server context, accept() on a client context
  host_required,   // connect("") with verification on: there is no name to check
};
const std::error_category& tls_category() noexcept;
inline std::error_code make_error_code(tls_errc e) noexcept { return {static_cast<int>(e), tls_category()}; }

// Codes from OpenSSL's error queue (ERR_get_error()); message() is OpenSSL's reason string,
// e.g. "tlsv1 alert unknown ca", "wrong version number".
const std::error_category& openssl_category() noexcept;
// X509_V_ERR_* results of certificate verification; message() reads "certificate verify
// failed: " + X509_verify_cert_error_string(), e.g. "...: hostname mismatch".
const std::error_category& tls_verify_category() noexcept;

// ---- configuration ------------------------------------------------------------------------

enum class tls_role { client, server };

enum class tls_verify {
  none,     // client: accept any server (tests only). Server: ask for no certificate (default).
  peer,     // client (default): verify the chain and the host name. Server: ask for a client
            // certificate and verify it if one is sent.
  require,  // server: as peer, and fail the handshake without one (mutual TLS). Client: = peer.
};

// A shared TLS configuration (an SSL_CTX): certificates, trust, verification, ALPN, SNI.
// A handle: copies share one configuration, and streams keep what they use alive. Configure
// it before the first handshake; then it may be shared by any number of streams (and, if no
// setter is called any more, by several threads). Setters never block; they throw
// std::system_error of openssl_category() naming what failed ("load certificate chain
// server.pem: No such file or directory") and std::logic_error on an empty context.
//
// Defaults: TLS 1.2 or later; a client verifies the server against the system trust store
// (OpenSSL's default paths) unless a CA file, directory or PEM is given, which then replaces
// it; a server verifies no client.
class tls_context {
 public:
  tls_context() noexcept = default;  // empty: usable only as a target of assignment
  static tls_context client();
  static tls_context server();

  // The server's (or a client's) own certificate: the leaf first, then intermediates. The
  // key must match the certificate, which is checked when both are loaded.
  void use_certificate_chain_file(const std::string& path);
  void use_certificate_chain(std::string_view pem);
  void use_private_key_file(const std::string& path);  // PEM, unencrypted
  void use_private_key(std::string_view pem);

  // Whom to trust. Each call adds; the first one turns the system trust store off.
  void load_verify_file(const std::string& path);  // PEM file of CA certificates
  void load_verify_dir(const std::string& path);   // c_rehash'ed directory
  void add_certificate_authority(std::string_view pem);
  void use_default_verify_paths();                  // the system trust store, explicitly

  void set_verify(tls_verify v);
  tls_verify verify() const noexcept;

  // ALPN, in order of preference ("h2", "http/1.1"). A client offers them; a server picks
  // its most preferred one the client offered, or none (the handshake goes on without ALPN).
  void set_alpn(const std::vector<std::string>& protocols);

  // Server: called during each handshake with the name the client asked for (SNI; "" if it
  // sent none). Returning another server context switches the connection to that context's
  // certificate and key (OpenSSL takes only those, and its ALPN choice, from it); nullptr
  // keeps this one. Runs inside OpenSSL on the handshaking tasklet: it must not block (no
  // socket or channel calls). If it throws, the handshake fails with an internal_error
  // alert. The server reads the name afterwards with tls_stream::server_name().
  using server_name_callback = std::function<const tls_context*(std::string_view name)>;
  void on_server_name(server_name_callback cb);

  tls_role role() const;
  SSL_CTX* native_handle() const noexcept;
  explicit operator bool() const noexcept { return impl_ != nullptr; }

  struct impl;
  struct impl_callbacks;

 private:
  explicit tls_context(std::shared_ptr<impl> p) noexcept : impl_(std::move(p)) {}
  impl& get() const;
  // A new session of this context (loading the system trust store first if it is due).
  SSL* new_session() const;
  std::shared_ptr<impl> impl_;
  friend class tls_stream;
};

// ---- the stream ---------------------------------------------------------------------------

namespace detail {
struct tls_state;
// Pops OpenSSL's (per-thread) error queue: its first entry as an error_code (a system error
// becomes its errno), or `fallback` if it is empty; the rest is cleared.
std::error_code take_openssl_error(std::error_code fallback = {}) noexcept;
}  // namespace detail

// One TLS session over one connected stream socket, which it owns. Move-only.
//
// Waiting, timeouts and kills follow the socket's rules (socket.hpp): a call that would
// block suspends only the calling tasklet; the socket's timeout bounds each read_some and
// write_some, and the whole of a handshake, write_all, read_exact or shutdown; a deadline
// (set_deadline) bounds every call until cleared, whichever comes first. A timeout is
// errc::timed_out / weft::timeout_error; on a non-blocking socket a call that would wait
// fails with errc::operation_would_block. close() (or the socket's) wakes a waiting
// tasklet with errc::operation_canceled. A killed tasklet unwinds with tasklet_exit from the
// wait; OpenSSL is never on the stack while a tasklet waits, so nothing leaks and the
// session is intact (but a write that was interrupted, or timed out, must be repeated
// starting with the same bytes before anything else is written: OpenSSL's retry rule).
//
// Errors: the throwing forms raise std::system_error whose what() names the operation and
// the peer ("tls handshake with 127.0.0.1:4433 (localhost): certificate verify failed:
// self-signed certificate in certificate chain"); the std::error_code& forms set the code:
// errno codes for the socket (ECONNRESET), tls_verify_category() for a failed verification,
// openssl_category() for protocol errors and alerts, tls_errc::truncated when the peer
// closed without close_notify. After any error except a timeout the session is unusable.
//
// One reader and one writer tasklet may use a stream at once. Not thread-safe.
class tls_stream {
 public:
  tls_stream() noexcept;
  // Wraps a connected socket; no I/O happens until connect() or accept(). Throws
  // std::system_error (openssl_category) if OpenSSL cannot allocate the session.
  tls_stream(socket s, const tls_context& ctx);
  tls_stream(tls_stream&&) noexcept;
  tls_stream& operator=(tls_stream&&) noexcept;
  // Frees the session and closes the socket without sending close_notify (that may block):
  // call shutdown() first for a clean close.
  ~tls_stream();

  // Client handshake. `host` is sent as SNI (unless it is an IP address, which RFC 6066
  // forbids) and, with verification on, must match the certificate (DNS name, or IP address
  // SAN for an IP literal). Blocks until done; the socket's timeout bounds the handshake.
  void connect(std::string_view host);
  void connect(std::string_view host, std::error_code& ec);
  // Server handshake. Spawn a tasklet per connection for it: a client that stalls here
  // must not hold up the accept loop.
  void accept();
  void accept(std::error_code& ec);

  // Up to buf.size() decrypted bytes, waiting until at least one is there. 0: the peer sent
  // close_notify (the clean end of the stream); an empty buf also returns 0 at once.
  std::size_t read_some(std::span<std::byte> buf);
  std::size_t read_some(std::span<std::byte> buf, std::error_code& ec);
  std::size_t read_some(std::span<char> buf) { return read_some(std::as_writable_bytes(buf)); }
  // Encrypts and sends some of data (at most a record, 16 KiB), waiting until the socket
  // takes it; returns how many bytes of data were consumed.
  std::size_t write_some(std::span<const std::byte> data);
  std::size_t write_some(std::span<const std::byte> data, std::error_code& ec);
  // Everything, or an error (the error_code form returns how many bytes were consumed).
  void write_all(std::span<const std::byte> data);
  std::size_t write_all(std::span<const std::byte> data, std::error_code& ec);
  void write_all(std::string_view data) { write_all(std::as_bytes(std::span(data))); }
  // Exactly buf.size() bytes, or stream_errc::eof if the stream ends first (the error_code
  // form returns how many arrived).
  void read_exact(std::span<std::byte> buf);
  std::size_t read_exact(std::span<std::byte> buf, std::error_code& ec);
  std::string read_exact(std::size_t n);

  // Sends close_notify, waiting until the socket takes it; does not wait for the peer's
  // (keep reading until read_some returns 0 for that). Writing afterwards fails; reading
  // still works. A second call does nothing.
  void shutdown();
  void shutdown(std::error_code& ec);
  // Closes the socket at once (no close_notify); waiting tasklets wake with
  // operation_canceled. The stream stays valid but unusable.
  void close() noexcept;

  // An absolute deadline for every call from now on (nullopt: none, the default).
  void set_deadline(std::optional<clock::time_point> d) noexcept;

  // After the handshake. server_name: on a server the SNI name the client sent, on a client
  // the one it sent ("" if none). alpn_protocol: "" if none was agreed. version: "TLSv1.3".
  // peer_subject: the peer certificate's subject, one line as RFC 2253 ("CN=localhost"),
  // "" if the peer sent none; peer_verified: it was sent and its chain verified (OpenSSL
  // checks the chain even with tls_verify::none; the name is checked only with it on).
  std::string server_name() const;
  std::string alpn_protocol() const;
  std::string cipher() const;
  std::string version() const;
  std::string peer_subject() const;
  bool peer_verified() const;
  bool handshake_done() const noexcept;

  socket& sock() noexcept;
  const socket& sock() const noexcept;
  bool is_open() const noexcept;
  // "127.0.0.1:4433 (localhost)": the peer and, if known, the TLS host name.
  std::string describe() const;
  SSL* native_handle() const noexcept;

 private:
  std::unique_ptr<detail::tls_state> s_;
};

// tcp_connect(host, port) then connect(host): `timeout` bounds both together, and the
// socket is left blocking. Throws as tcp_connect and tls_stream::connect.
tls_stream tls_connect(const tls_context& ctx, std::string_view host, std::uint16_t port,
                       std::optional<clock::duration> timeout = std::nullopt);
// The same at a known address, verifying against `host` ("" only if verification is off).
tls_stream tls_connect(const tls_context& ctx, const address& a, std::string_view host,
                       std::optional<clock::duration> timeout = std::nullopt);

}  // namespace weft::net

template <>
struct std::is_error_code_enum<weft::net::tls_errc> : std::true_type {};
