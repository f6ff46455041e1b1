// The one place weft calls the OS for sockets and descriptors. Every wrapper retries EINTR
// (where retrying is correct), turns errno into a std::error_code right after the call,
// before anything can switch tasklets, and clears `ec` on success. No wrapper blocks:
// every descriptor it creates is O_NONBLOCK | O_CLOEXEC, and SIGPIPE is never raised.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <system_error>

namespace weft::sys {

inline std::error_code errno_code(int e) noexcept { return {e, std::system_category()}; }
std::error_code last_error() noexcept;  // errno, as an error_code

// EAGAIN / EWOULDBLOCK (the same value on Linux, both tested anyway).
bool would_block(const std::error_code& ec) noexcept;

// Descriptors. close() never retries EINTR: on Linux the fd is gone either way.
void close(int fd) noexcept;
bool set_nonblocking(int fd, std::error_code& ec) noexcept;

// A non-blocking eventfd, for waking a tasklet from another thread. signal() adds 1;
// drain() resets it to 0. Both ignore EAGAIN.
int eventfd(std::error_code& ec) noexcept;
void eventfd_signal(int fd) noexcept;
void eventfd_drain(int fd) noexcept;

// Socket set-up. Each returns -1 (or false) and sets ec on failure.
int socket(int family, int type, int protocol, std::error_code& ec) noexcept;
bool socketpair(int family, int type, int protocol, int fds[2], std::error_code& ec) noexcept;
bool bind(int fd, const sockaddr* a, socklen_t n, std::error_code& ec) noexcept;
bool listen(int fd, int backlog, std::error_code& ec) noexcept;
// An EINTR from connect means the connection goes on asynchronously: reported as EINPROGRESS.
bool connect(int fd, const sockaddr* a, socklen_t n, std::error_code& ec) noexcept;
int accept(int fd, sockaddr* a, socklen_t* n, std::error_code& ec) noexcept;
bool shutdown(int fd, int how, std::error_code& ec) noexcept;

// Data. send and sendto always add MSG_NOSIGNAL.
ssize_t recv(int fd, void* buf, std::size_t len, int flags, std::error_code& ec) noexcept;
ssize_t send(int fd, const void* buf, std::size_t len, int flags, std::error_code& ec) noexcept;
ssize_t recvfrom(int fd, void* buf, std::size_t len, int flags, sockaddr* a, socklen_t* n,
                 std::error_code& ec) noexcept;
ssize_t sendto(int fd, const void* buf, std::size_t len, int flags, const sockaddr* a,
               socklen_t n, std::error_code& ec) noexcept;

// Options and names.
bool setsockopt(int fd, int level, int name, const void* v, socklen_t n,
                std::error_code& ec) noexcept;
bool getsockopt(int fd, int level, int name, void* v, socklen_t* n, std::error_code& ec) noexcept;
bool getsockname(int fd, sockaddr* a, socklen_t* n, std::error_code& ec) noexcept;
bool getpeername(int fd, sockaddr* a, socklen_t* n, std::error_code& ec) noexcept;

}  // namespace weft::sys
