// The exec family. The descriptors the hooks manage are non-blocking underneath whatever the
// program asked; a new program inheriting one (a pipe on its stdin, a socket) would see EAGAIN
// where it expects to wait. So before an exec, every managed descriptor that the program
// believes blocking and that the exec keeps open (no FD_CLOEXEC) is made blocking; if the
// exec fails, every one is made non-blocking again, as the hooks need it.
//
// Invariants: the exec hooks allocate nothing and take no lock (they run in fork and vfork
// children, where another thread may have held the allocator's lock), so the C library's exec
// functions are resolved at load time, not on first use. O_NONBLOCK belongs to the open file:
// a descriptor the parent of a fork still has open is the same file, and becomes blocking
// for the parent too (docs/hook.md, Limits).
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include <cstddef>

#include "hook/fd_table.hpp"
#include "sys/real.hpp"

namespace real = weft::sys::real;
using namespace weft::hook::detail;

namespace {

using execve_fn = int (*)(const char*, char* const*, char* const*);
using execv_fn = int (*)(const char*, char* const*);
using fexecve_fn = int (*)(int, char* const*, char* const*);
using execveat_fn = int (*)(int, const char*, char* const*, char* const*, int);

struct exec_functions {
  execve_fn execve = nullptr;
  execv_fn execv = nullptr;
  execv_fn execvp = nullptr;
  execve_fn execvpe = nullptr;
  fexecve_fn fexecve = nullptr;
  execveat_fn execveat = nullptr;
};
constinit exec_functions g_real;

template <class Fn>
Fn resolved(Fn& slot, const char* name) noexcept {
  if (slot == nullptr) slot = reinterpret_cast<Fn>(weft::sys::real::resolve(name));
  return slot;
}

[[gnu::constructor]] void resolve_exec_functions() {
  resolved(g_real.execve, "execve");
  resolved(g_real.execv, "execv");
  resolved(g_real.execvp, "execvp");
  resolved(g_real.execvpe, "execvpe");
  resolved(g_real.fexecve, "fexecve");
  resolved(g_real.execveat, "execveat");
  (void)real::fcntl(-1, F_GETFD, 0);  // resolves it (EBADF)
}

void set_nonblock(int fd, bool on) noexcept {
  int fl = real::fcntl(fd, F_GETFL, 0);
  if (fl < 0) return;
  int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (want != fl) real::fcntl(fd, F_SETFL, static_cast<unsigned long>(want));
}

void before_exec() noexcept {
  fd_each_managed(
      [](int fd, fd_state& st, void*) {
        if (!st.blocking()) return;
        int fdfl = real::fcntl(fd, F_GETFD, 0);
        if (fdfl >= 0 && !(fdfl & FD_CLOEXEC)) set_nonblock(fd, false);
      },
      nullptr);
}

// The exec failed: the process goes on with the hooks, which need every managed descriptor
// non-blocking underneath.
int after_failed_exec(int r) noexcept {
  int saved = errno;
  fd_each_managed([](int fd, fd_state&, void*) { set_nonblock(fd, true); }, nullptr);
  errno = saved;
  return r;
}

// The arguments of execl, execlp and execle from `first` up to the null pointer, as the
// array the exec takes: counted first, so that it can live on the stack (no allocation, see
// above). call(argv, ap) runs with `ap` past the null pointer (execle's environment).
template <class Call>
int with_arg_array(const char* first, va_list ap, Call call) noexcept {
  va_list count;
  va_copy(count, ap);
  std::size_t n = 1;
  while (va_arg(count, const char*) != nullptr) ++n;
  va_end(count);
  auto** argv = static_cast<const char**>(__builtin_alloca(sizeof(char*) * (n + 1)));
  std::size_t i = 0;
  argv[i++] = first;
  while ((argv[i++] = va_arg(ap, const char*)) != nullptr) {
  }
  return call(const_cast<char* const*>(argv), ap);
}

}  // namespace

extern "C" {

int execve(const char* path, char* const argv[], char* const envp[]) noexcept {
  before_exec();
  return after_failed_exec(resolved(g_real.execve, "execve")(path, argv, envp));
}

int execv(const char* path, char* const argv[]) noexcept {
  before_exec();
  return after_failed_exec(resolved(g_real.execv, "execv")(path, argv));
}

int execvp(const char* file, char* const argv[]) noexcept {
  before_exec();
  return after_failed_exec(resolved(g_real.execvp, "execvp")(file, argv));
}

int execvpe(const char* file, char* const argv[], char* const envp[]) noexcept {
  before_exec();
  return after_failed_exec(resolved(g_real.execvpe, "execvpe")(file, argv, envp));
}

int fexecve(int fd, char* const argv[], char* const envp[]) noexcept {
  before_exec();
  return after_failed_exec(resolved(g_real.fexecve, "fexecve")(fd, argv, envp));
}

int execveat(int dirfd, const char* path, char* const argv[], char* const envp[], int flags) noexcept {
  before_exec();
  return after_failed_exec(resolved(g_real.execveat, "execveat")(dirfd, path, argv, envp, flags));
}

int execl(const char* path, const char* arg, ...) noexcept {
  va_list ap;
  va_start(ap, arg);
  int r = with_arg_array(arg, ap, [&](char* const* argv, va_list) { return execv(path, argv); });
  va_end(ap);
  return r;
}

int execlp(const char* file, const char* arg, ...) noexcept {
  va_list ap;
  va_start(ap, arg);
  int r = with_arg_array(arg, ap, [&](char* const* argv, va_list) { return execvp(file, argv); });
  va_end(ap);
  return r;
}

// execle: the environment follows the arguments' null pointer.
int execle(const char* path, const char* arg, ...) noexcept {
  va_list ap;
  va_start(ap, arg);
  int r = with_arg_array(arg, ap, [&](char* const* argv, va_list rest) {
    return execve(path, argv, va_arg(rest, char* const*));
  });
  va_end(ap);
  return r;
}

}  // extern "C"
