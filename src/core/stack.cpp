// Guarded stack mappings, the per-thread stack pool, and the overflow report.
#include "core/stack.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <system_error>

#include "core/scheduler_impl.hpp"

namespace weft::detail {

std::size_t page_size() noexcept {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

namespace {

std::size_t round_to_pages(std::size_t n) {
  std::size_t p = page_size();
  return (n + p - 1) / p * p;
}

std::size_t count_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::size_t n = 0;
  std::string line;
  while (std::getline(maps, line)) ++n;
  return n;
}

long max_map_count() {
  std::ifstream f("/proc/sys/vm/max_map_count");
  long v = 0;
  f >> v;
  return v;
}

[[noreturn]] void throw_map_error(int err, std::size_t usable) {
  std::string what = "weft: cannot map a " + std::to_string(usable / 1024) + " KiB tasklet stack";
  if (err == ENOMEM) {
    std::size_t maps = count_mappings();
    long limit = max_map_count();
    if (limit > 0 && maps + 16 >= static_cast<std::size_t>(limit)) {
      what += ": the process has " + std::to_string(maps) +
              " memory mappings and vm.max_map_count is " + std::to_string(limit) +
              " (each guarded tasklet stack takes 2). Ways out: spawn with "
              "stack_kind::dense (no mapping per tasklet), keep fewer guarded tasklets "
              "alive at once, or raise the limit (sysctl -w vm.max_map_count=262144)";
    }
  }
  throw std::system_error(err, std::generic_category(), what);
}

}  // namespace

stack_area map_stack(std::size_t usable) {
  usable = round_to_pages(usable);
  std::size_t guard = page_size();
  std::size_t total = usable + guard;
  void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) throw_map_error(errno, usable);
  if (::mprotect(p, guard, PROT_NONE) != 0) {
    int err = errno;
    ::munmap(p, total);
    throw_map_error(err, usable);
  }
  stack_area s;
  s.mapping = p;
  s.base = static_cast<char*>(p) + guard;
  s.top = s.base + usable;
#ifdef WEFT_ASAN
  // The shadow of an address range outlives its mapping: a stack mapped where an unmapped
  // one was poisoned would inherit the redzones of its dead frames.
  __asan_unpoison_memory_region(s.base, usable);
#endif
  return s;
}

void unmap_stack(stack_area& s) noexcept {
  if (s.mapping) ::munmap(s.mapping, static_cast<std::size_t>(s.top - static_cast<char*>(s.mapping)));
  s = stack_area{};
}

std::size_t stack_high_water(const stack_area& s) noexcept {
  if (!s) return 0;
  const auto* w = reinterpret_cast<const std::uint64_t*>(s.base);
  const auto* end = reinterpret_cast<const std::uint64_t*>(s.top);
  while (w < end && *w == 0) ++w;
  return static_cast<std::size_t>(s.top - reinterpret_cast<const char*>(w));
}

stack_pool::~stack_pool() {
  while (!free_.empty()) {
    stack_area s = pop_cached();
    unmap_stack(s);
  }
}

stack_area stack_pool::take_slow(std::size_t usable) {
  usable = round_to_pages(usable);  // a size just under the default still uses the cache
  if (usable == default_stack_size && !free_.empty()) return pop_cached();
  return map_stack(usable);
}

// --- overflow report -------------------------------------------------------------------

namespace {

struct sigaction g_old_segv;
struct sigaction g_old_bus;
thread_local void* t_altstack = nullptr;
constexpr std::size_t altstack_size = 64 * 1024;

void write_str(const char* s) noexcept {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t k = ::write(STDERR_FILENO, s, n);
    if (k <= 0) return;
    s += k;
    n -= static_cast<std::size_t>(k);
  }
}

void write_num(std::size_t v) noexcept {
  char buf[24];
  char* p = buf + sizeof buf;
  *--p = '\0';
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  write_str(p);
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
  scheduler_impl* s = tls_scheduler;
  const char* addr = static_cast<const char*>(info->si_addr);
  if (s != nullptr) {
    const stack_area* area = nullptr;
    tasklet_impl* t = s->current();
    if (t != nullptr) area = s->stack_of(t);
    if (area && *area) {
      const char* guard_lo = static_cast<const char*>(area->mapping);
      // A frame can skip past the guard page by a few KiB; treat a fault just below it,
      // or anywhere in it, as an overflow.
      if (addr >= guard_lo - 64 * 1024 && addr < area->base) {
        write_str("weft: tasklet ");
        if (t->name) {
          write_str(t->name.get());
        } else {
          write_str("#");
          write_num(t->id);
          write_str(" (unnamed)");
        }
        write_str(" overflowed its ");
        write_num(area->usable() / 1024);
        write_str(" KiB stack (fault at guard page); aborting\n");
        ::signal(SIGABRT, SIG_DFL);
        ::abort();
      }
    }
  }
  // Not ours: hand it to whoever was installed before us (or the default action).
  struct sigaction& old = sig == SIGSEGV ? g_old_segv : g_old_bus;
  if (old.sa_flags & SA_SIGINFO) {
    if (old.sa_sigaction) {
      old.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
    old.sa_handler(sig);
    return;
  }
  ::signal(sig, SIG_DFL);  // the faulting instruction re-runs and takes the default action
}

}  // namespace

void install_overflow_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, &g_old_segv);
    ::sigaction(SIGBUS, &sa, &g_old_bus);
  });
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
  t_altstack = std::malloc(altstack_size);
  if (!t_altstack) return;
  stack_t ss{};
  ss.ss_sp = t_altstack;
  ss.ss_size = altstack_size;
  ::sigaltstack(&ss, nullptr);
}

void release_signal_stack() noexcept {
  if (!t_altstack) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  ::sigaltstack(&ss, nullptr);
  std::free(t_altstack);
  t_altstack = nullptr;
}

}  // namespace weft::detail
