// socket: a BSD socket with the shape of the ordinary blocking API, where a call that would
// block suspends only the calling tasklet (Stackless's stacklesssocket, for C++).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "weft/net/address.hpp"
#include "weft/time.hpp"

namespace weft::net {

enum class shutdown_how { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

// Move-only owner of one socket descriptor, always O_NONBLOCK | O_CLOEXEC underneath.
//
// Modes, as in Python: blocking (the default: a call waits as long as it takes), a timeout
// (a call waits at most that long, then fails with errc::timed_out / throws
// weft::timeout_error), or non-blocking (timeout zero: a call that would block fails at once
// with errc::operation_would_block, or errc::operation_in_progress for connect). "Waits"
// always means only the calling tasklet waits; the rest of the thread runs meanwhile. A
// timeout bounds each call separately, except sendall, where it bounds the whole transfer.
//
// Every blocking call comes in two forms. The throwing form raises std::system_error whose
// what() names the operation and the address ("recv from 127.0.0.1:7007: Connection reset by
// peer"), or weft::timeout_error. The std::error_code& form sets the code instead (cleared on
// success) and is meant for hot loops; neither form is noexcept, because a killed tasklet
// unwinds with tasklet_exit from any call that waits. Killing a waiting tasklet loses
// nothing but the interrupted call: no byte was transferred by a call that did not return.
//
// close() wakes every tasklet waiting in a call on this socket: each fails with
// errc::operation_canceled ("closed while waiting"). A call on a closed socket fails with
// errc::bad_file_descriptor. One reader and one writer may wait at once; several tasklets
// reading (or writing) one stream socket at once are served in turn, but their bytes may
// interleave, as with threads. Not thread-safe: a socket belongs to one scheduler thread.
class socket {
 public:
  socket() noexcept = default;  // not open
  // socket(2) with O_NONBLOCK | O_CLOEXEC; e.g. open(AF_INET6, SOCK_DGRAM).
  static socket open(int family, int type, int protocol = 0);
  static socket open(int family, int type, int protocol, std::error_code& ec);
  // Takes ownership of `fd` (any socket, e.g. inherited) and makes it non-blocking.
  static socket adopt(int fd);
  // A connected pair of Unix sockets (socketpair(2)).
  static std::pair<socket, socket> pair(int type = SOCK_STREAM);

  socket(socket&& o) noexcept;
  socket& operator=(socket&& o) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket() { close(); }

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  // Gives up ownership without closing: the reactor forgets the fd and tasklets waiting on
  // it wake as at close() (operation_canceled); the socket is left closed.
  int release() noexcept;
  // Wakes every tasklet waiting on this socket (see above), then closes. Never blocks;
  // errors from close(2) are ignored (on Linux the descriptor is gone either way).
  void close() noexcept;

  // nullopt: blocking (the default). Zero: non-blocking. Otherwise a per-call timeout.
  // A negative duration is treated as zero.
  void set_timeout(std::optional<clock::duration> t) noexcept;
  std::optional<clock::duration> timeout() const noexcept;
  // set_blocking(true) == set_timeout(nullopt); set_blocking(false) == set_timeout(zero).
  void set_blocking(bool on) noexcept;
  bool blocking() const noexcept { return timeout_ != 0; }

  // Never block. Throw std::system_error naming the address.
  void bind(const address& a);
  void bind(const address& a, std::error_code& ec);
  void listen(int backlog = SOMAXCONN);
  void listen(int backlog, std::error_code& ec);

  // Waits for a connection and returns it (blocking, no timeout; `peer` receives its
  // address). Honours this socket's mode. Aborted handshakes (ECONNABORTED) are skipped. On
  // EMFILE / ENFILE / ENOBUFS / ENOMEM it neither spins nor gives up: it sleeps with
  // exponential back-off (5 ms up to 1 s) and retries until the deadline, keeping the
  // listener and the pending connection; in non-blocking mode it reports the error.
  socket accept(address* peer = nullptr);
  socket accept(address* peer, std::error_code& ec);

  // Waits until connected or refused, for at most the timeout. Non-blocking mode reports
  // errc::operation_in_progress and leaves the connection going on; after a timeout the
  // socket is unusable and should be closed. Throws e.g. ECONNREFUSED "connect to <addr>".
  void connect(const address& a);
  void connect(const address& a, std::error_code& ec);

  // Receives at most buf.size() bytes, waiting until at least one byte (or a datagram, or
  // the end of the stream) is there. Returns 0 at the end of the stream (not an error).
  // Throws e.g. ECONNRESET "recv from <peer>"; timeout_error after the timeout.
  std::size_t recv_into(std::span<std::byte> buf, int flags = 0);
  std::size_t recv_into(std::span<std::byte> buf, int flags, std::error_code& ec);
  std::size_t recv_into(std::span<char> buf, int flags = 0) { return recv_into(std::as_writable_bytes(buf), flags); }
  // Python's recv(n): a string of at most `max` bytes; empty at the end of the stream.
  std::string recv(std::size_t max, int flags = 0);
  // As recv_into, also reporting the sender (datagram sockets).
  std::size_t recvfrom_into(std::span<std::byte> buf, address& from, int flags = 0);
  std::size_t recvfrom_into(std::span<std::byte> buf, address& from, int flags, std::error_code& ec);
  std::pair<std::string, address> recvfrom(std::size_t max, int flags = 0);

  // Sends some bytes, waiting until the socket accepts at least one; returns how many were
  // taken (may be fewer than data.size()). Throws e.g. EPIPE "send to <peer>" (SIGPIPE is
  // never raised).
  std::size_t send(std::span<const std::byte> data, int flags = 0);
  std::size_t send(std::span<const std::byte> data, int flags, std::error_code& ec);
  std::size_t send(std::string_view data, int flags = 0) { return send(std::as_bytes(std::span(data)), flags); }
  // Sends everything, waiting as often as needed; the timeout bounds the whole call. The
  // error_code form returns how many bytes went out before the failure.
  void sendall(std::span<const std::byte> data, int flags = 0);
  std::size_t sendall(std::span<const std::byte> data, int flags, std::error_code& ec);
  void sendall(std::string_view data, int flags = 0) { sendall(std::as_bytes(std::span(data)), flags); }
  // One datagram to `to`.
  std::size_t sendto(std::span<const std::byte> data, const address& to, int flags = 0);
  std::size_t sendto(std::span<const std::byte> data, const address& to, int flags, std::error_code& ec);
  std::size_t sendto(std::string_view data, const address& to, int flags = 0) {
    return sendto(std::as_bytes(std::span(data)), to, flags);
  }

  // The byte-stream interface layers (stream, TLS) build on: recv_into / send, flags 0.
  std::size_t read_some(std::span<std::byte> buf, std::error_code& ec) { return recv_into(buf, 0, ec); }
  std::size_t write_some(std::span<const std::byte> data, std::error_code& ec) { return send(data, 0, ec); }
  std::size_t read_some(std::span<std::byte> buf) { return recv_into(buf, 0); }
  std::size_t write_some(std::span<const std::byte> data) { return send(data, 0); }

  // Never blocks. shutdown(write) sends FIN: the peer reads the end of the stream while this
  // side can still receive (half-close).
  void shutdown(shutdown_how how);
  void shutdown(shutdown_how how, std::error_code& ec);

  // setsockopt / getsockopt; never block.
  void set_option(int level, int name, int value);
  void set_option(int level, int name, const void* value, socklen_t size, std::error_code& ec);
  int get_option(int level, int name) const;
  void get_option(int level, int name, void* value, socklen_t* size, std::error_code& ec) const;
  void set_reuse_address(bool on) { set_option(SOL_SOCKET, SO_REUSEADDR, on); }
  void set_no_delay(bool on);  // TCP_NODELAY

  // getsockname / getpeername; never block. peer_address throws ENOTCONN if unconnected.
  address local_address() const;
  address local_address(std::error_code& ec) const;
  address peer_address() const;
  address peer_address(std::error_code& ec) const;

  // What errors name: the peer if known (connect, accept), else the local address.
  std::string describe() const;

 private:
  explicit socket(int fd) noexcept : fd_(fd) {}
  address where() const;
  // SOCK_STREAM? Asked of the kernel once, when first needed.
  bool is_stream();

  // Timeouts in nanoseconds: no_timeout = blocking, 0 = non-blocking.
  static constexpr clock::rep no_timeout = -1;
  int fd_ = -1;
  clock::rep timeout_ = no_timeout;
  address peer_;  // set by connect and accept; empty otherwise
  // The last recv on this stream socket came back short, so the kernel's queue was empty
  // then: the next recv waits for readiness first instead of spending a syscall on EAGAIN.
  // (Edge-triggered readiness reports every arrival after that, so nothing is missed.)
  bool drained_ = false;
  signed char stream_ = -1;  // SOCK_STREAM? -1 until first needed
};

}  // namespace weft::net
