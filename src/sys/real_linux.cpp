// Resolving the C library's own functions (see real.hpp).
#include "sys/real.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

// Defined by weft::hook (src/hook/counts.cpp) when it is in the process.
extern "C" [[gnu::weak]] void weft_hook_present();

namespace weft::sys::real {

namespace {

// ASan's interceptor of `name` is libc's call plus ASan's checks, unless it would lead back
// into weft::hook: when ASan's shared runtime is preloaded ahead of libweft_preload.so, the
// interceptor is what the name resolves to, and its "real" function is our hook.
bool interceptor_usable(const char* name, void* interceptor) noexcept {
  if (&weft_hook_present == nullptr) return true;
  return ::dlsym(RTLD_DEFAULT, name) != interceptor;
}

}  // namespace

void* resolve(const char* name) noexcept {
  char wrapped[96] = "__interceptor_";
  if (std::strlen(name) + 15 <= sizeof wrapped) {
    std::strcat(wrapped, name);
    void* p = ::dlsym(RTLD_DEFAULT, wrapped);
    if (p && interceptor_usable(name, p)) return p;
  }
  if (void* p = ::dlsym(RTLD_NEXT, name)) return p;
  static const char msg[] = "weft: cannot find the C library's ";
  (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)!::write(STDERR_FILENO, name, std::strlen(name));
  (void)!::write(STDERR_FILENO, "\n", 1);
  std::abort();
}

namespace {
template <class Fn>
Fn lookup(std::atomic<Fn>& slot, const char* name) noexcept {
  Fn f = slot.load(std::memory_order_relaxed);
  if (f == nullptr) [[unlikely]] {
    f = reinterpret_cast<Fn>(resolve(name));
    slot.store(f, std::memory_order_relaxed);
  }
  return f;
}
}  // namespace

int fcntl(int fd, int cmd, unsigned long arg) noexcept {
  using fn_type = int (*)(int, int, ...);
  static constinit std::atomic<fn_type> slot{nullptr};
  return lookup(slot, "fcntl")(fd, cmd, arg);
}

int ioctl(int fd, unsigned long request, unsigned long arg) noexcept {
  using fn_type = int (*)(int, unsigned long, ...);
  static constinit std::atomic<fn_type> slot{nullptr};
  return lookup(slot, "ioctl")(fd, request, arg);
}

int dup2(int fd, int to) noexcept {
  using fn_type = int (*)(int, int);
  static constinit std::atomic<fn_type> slot{nullptr};
  return lookup(slot, "dup2")(fd, to);
}

}  // namespace weft::sys::real
