// The C library's own versions of every call weft::hook interposes. weft's code calls
// these, never the plain names, so it never goes through its own hooks (a hook on `read`
// must not recurse into the reactor or the socket layer), whether the hooks are linked in,
// preloaded, or absent. Each is resolved on first use with dlsym(RTLD_NEXT), which finds
// libc's definition behind any interposer earlier in the lookup order; under
// AddressSanitizer its interceptor (__interceptor_<name>) is taken instead, so ASan still
// checks the buffers. Resolution is lazy because hooks can run before any constructor
// (another library's initializer calling close, say).
#pragma once

#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include <atomic>
#include <cstdio>

namespace weft::sys::real {

// The address of libc's `name` (or ASan's interceptor of it); aborts with a message if
// there is none.
void* resolve(const char* name) noexcept;

// X(return type, name, parameter list, argument list)
#define WEFT_REAL_FUNCTIONS(X)                                                                   \
  X(ssize_t, read, (int fd, void* b, size_t n), (fd, b, n))                                       \
  X(ssize_t, write, (int fd, const void* b, size_t n), (fd, b, n))                                \
  X(ssize_t, readv, (int fd, const iovec* v, int n), (fd, v, n))                                  \
  X(ssize_t, writev, (int fd, const iovec* v, int n), (fd, v, n))                                 \
  X(ssize_t, pread, (int fd, void* b, size_t n, off_t o), (fd, b, n, o))                          \
  X(ssize_t, pwrite, (int fd, const void* b, size_t n, off_t o), (fd, b, n, o))                   \
  X(ssize_t, recv, (int fd, void* b, size_t n, int f), (fd, b, n, f))                             \
  X(ssize_t, recvfrom, (int fd, void* b, size_t n, int f, sockaddr* a, socklen_t* l),             \
    (fd, b, n, f, a, l))                                                                          \
  X(ssize_t, recvmsg, (int fd, msghdr* m, int f), (fd, m, f))                                     \
  X(ssize_t, send, (int fd, const void* b, size_t n, int f), (fd, b, n, f))                       \
  X(ssize_t, sendto, (int fd, const void* b, size_t n, int f, const sockaddr* a, socklen_t l),    \
    (fd, b, n, f, a, l))                                                                          \
  X(ssize_t, sendmsg, (int fd, const msghdr* m, int f), (fd, m, f))                               \
  X(int, connect, (int fd, const sockaddr* a, socklen_t l), (fd, a, l))                           \
  X(int, accept4, (int fd, sockaddr* a, socklen_t* l, int f), (fd, a, l, f))                      \
  X(int, poll, (pollfd* p, nfds_t n, int t), (p, n, t))                                           \
  X(int, ppoll, (pollfd* p, nfds_t n, const timespec* t, const sigset_t* m), (p, n, t, m))        \
  X(int, select, (int n, fd_set* r, fd_set* w, fd_set* e, timeval* t), (n, r, w, e, t))           \
  X(int, pselect, (int n, fd_set* r, fd_set* w, fd_set* e, const timespec* t, const sigset_t* m), \
    (n, r, w, e, t, m))                                                                           \
  X(int, epoll_create1, (int f), (f))                                                             \
  X(int, epoll_wait, (int ep, epoll_event* e, int n, int t), (ep, e, n, t))                       \
  X(int, epoll_pwait, (int ep, epoll_event* e, int n, int t, const sigset_t* m), (ep, e, n, t, m)) \
  X(int, nanosleep, (const timespec* r, timespec* rem), (r, rem))                                 \
  X(int, clock_nanosleep, (clockid_t c, int f, const timespec* r, timespec* rem), (c, f, r, rem)) \
  X(int, usleep, (useconds_t us), (us))                                                           \
  X(unsigned, sleep, (unsigned s), (s))                                                           \
  X(int, getaddrinfo, (const char* n, const char* s, const addrinfo* h, addrinfo** r),            \
    (n, s, h, r))                                                                                 \
  X(int, getnameinfo,                                                                             \
    (const sockaddr* a, socklen_t l, char* h, socklen_t hl, char* s, socklen_t sl, int f),        \
    (a, l, h, hl, s, sl, f))                                                                      \
  X(hostent*, gethostbyname, (const char* n), (n))                                                 \
  X(int, gethostbyname_r,                                                                         \
    (const char* n, hostent* r, char* b, size_t bl, hostent** res, int* he),                      \
    (n, r, b, bl, res, he))                                                                       \
  X(int, socket, (int d, int t, int p), (d, t, p))                                                \
  X(int, socketpair, (int d, int t, int p, int* sv), (d, t, p, sv))                               \
  X(int, pipe2, (int* fds, int f), (fds, f))                                                      \
  X(int, setsockopt, (int fd, int lv, int nm, const void* v, socklen_t l), (fd, lv, nm, v, l))    \
  X(int, getsockopt, (int fd, int lv, int nm, void* v, socklen_t* l), (fd, lv, nm, v, l))         \
  X(int, close, (int fd), (fd))                                                                   \
  X(int, dup, (int fd), (fd))                                                                     \
  X(int, dup3, (int fd, int to, int f), (fd, to, f))                                              \
  X(pid_t, fork, (), ())                                                                          \
  X(FILE*, fdopen, (int fd, const char* m), (fd, m))

#define WEFT_REAL_DEFINE(ret, name, params, args)                                     \
  inline ret name params {                                                            \
    using fn_type = ret(*) params;                                                    \
    static constinit std::atomic<fn_type> slot{nullptr};                              \
    fn_type real_fn_ = slot.load(std::memory_order_relaxed);                          \
    if (real_fn_ == nullptr) [[unlikely]] {                                           \
      real_fn_ = reinterpret_cast<fn_type>(resolve(#name));                           \
      slot.store(real_fn_, std::memory_order_relaxed);                                \
    }                                                                                 \
    return real_fn_ args;                                                             \
  }
WEFT_REAL_FUNCTIONS(WEFT_REAL_DEFINE)
#undef WEFT_REAL_DEFINE

// fcntl and ioctl are variadic: the one optional argument travels as a word, as glibc's own
// wrappers pass it to the kernel.
int fcntl(int fd, int cmd, unsigned long arg) noexcept;
int ioctl(int fd, unsigned long request, unsigned long arg) noexcept;
// dup2 is dup3 without flags, except that dup2(fd, fd) checks fd and returns it.
int dup2(int fd, int to) noexcept;

}  // namespace weft::sys::real
