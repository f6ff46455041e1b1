// Backtraces of suspended tasklets. A switched-out tasklet's saved context is the top of its
// stack: the x86-64 jump (weft/detail/stack_jump.hpp, Boost.Context's layout) leaves it as
//   ctx+0x00 (unused) | +0x08 r12 | +0x10 r13 | +0x18 r14 | +0x20 r15 | +0x28 rbx |
//   +0x30 rbp | +0x38 return address (where the tasklet resumes)
// and weft is built with frame pointers, so the rbp chain from there walks the tasklet's
// frames. Every read is bounded by the stack's extent (a dense tasklet that is not on the
// shared stack is read from its saved image), so a broken chain ends the walk, never a
// fault.
#include "core/backtrace.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/scheduler_impl.hpp"

namespace weft::detail {

namespace {

// Where the words of a suspended stack can be read: [lo, hi) of the stack as it was, and
// the address they are at now (the same, or a dense tasklet's heap image).
struct stack_view {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
  const char* data = nullptr;  // what holds address `lo`

  bool contains(std::uintptr_t a) const noexcept { return a >= lo && a + 8 <= hi && a % 8 == 0; }
  // ASan: the words read are saved registers and return addresses, never a frame's
  // redzone, but ASan cannot know the saved stack is not live.
  [[gnu::no_sanitize_address]] std::uintptr_t word(std::uintptr_t a) const noexcept {
    return *reinterpret_cast<const std::uintptr_t*>(data + (a - lo));
  }
};

bool view_of(const scheduler_impl& s, const tasklet_impl* t, stack_view& v) {
  auto sp = reinterpret_cast<std::uintptr_t>(t->ctx);
  if (t->is_main) {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return false;
    void* addr = nullptr;
    std::size_t size = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    v.lo = reinterpret_cast<std::uintptr_t>(addr);
    v.hi = v.lo + size;
    v.data = static_cast<const char*>(addr);
  } else if (t->kind == stack_kind::guarded) {
    v.lo = reinterpret_cast<std::uintptr_t>(t->stack.base);
    v.hi = reinterpret_cast<std::uintptr_t>(t->stack.top);
    v.data = t->stack.base;
  } else if (s.dense_occupant() == t) {
    v.lo = reinterpret_cast<std::uintptr_t>(s.dense_stack().base);
    v.hi = reinterpret_cast<std::uintptr_t>(s.dense_stack().top);
    v.data = s.dense_stack().base;
  } else {
    if (t->image == nullptr) return false;
    v.hi = reinterpret_cast<std::uintptr_t>(s.dense_stack().top);
    v.lo = v.hi - t->image_size;
    v.data = t->image;
  }
  return sp >= v.lo && sp < v.hi;
}

}  // namespace

std::vector<void*> tasklet_frames(const scheduler_impl& s, const tasklet_impl* t, int max) {
  std::vector<void*> pcs;
  if (t == s.current()) {
    pcs.resize(static_cast<std::size_t>(max));
    int n = ::backtrace(pcs.data(), max);
    pcs.resize(static_cast<std::size_t>(n > 1 ? n : 1));
    pcs.erase(pcs.begin());  // this function
    return pcs;
  }
#if defined(__x86_64__)
  if (!t->started || t->ctx == nullptr || t->state == tstate::dead) return pcs;
  stack_view v;
  if (!view_of(s, t, v)) return pcs;
  auto ctx = reinterpret_cast<std::uintptr_t>(t->ctx);
  if (!v.contains(ctx + 0x38)) return pcs;
  pcs.push_back(reinterpret_cast<void*>(v.word(ctx + 0x38)));
  std::uintptr_t fp = v.word(ctx + 0x30);
  while (static_cast<int>(pcs.size()) < max && v.contains(fp) && v.contains(fp + 8)) {
    std::uintptr_t ret = v.word(fp + 8);
    if (ret == 0) break;
    pcs.push_back(reinterpret_cast<void*>(ret));
    std::uintptr_t next = v.word(fp);
    if (next <= fp) break;  // frames grow towards higher addresses as we unwind
    fp = next;
  }
#else
  (void)s;
#endif
  return pcs;
}

std::vector<std::string> symbolize(const std::vector<void*>& pcs) {
  std::vector<std::string> out;
  out.reserve(pcs.size());
  for (std::size_t i = 0; i < pcs.size(); ++i) {
    // Every address is a return address (the resume point of a suspended tasklet too):
    // it points after the call, so look up the call itself.
    const char* pc = static_cast<const char*>(pcs[i]) - 1;
    Dl_info info{};
    char buf[64];
    if (::dladdr(pc, &info) == 0 || info.dli_sname == nullptr) {
      std::snprintf(buf, sizeof buf, "%p", pcs[i]);
      std::string line = buf;
      if (info.dli_fname) line += std::string(" (") + info.dli_fname + ")";
      out.push_back(std::move(line));
      continue;
    }
    int status = 0;
    char* plain = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    std::string line = status == 0 && plain ? plain : info.dli_sname;
    std::free(plain);
    std::snprintf(buf, sizeof buf, "+0x%zx",
                  static_cast<std::size_t>(pc - static_cast<const char*>(info.dli_saddr)));
    line += buf;
    if (info.dli_fname) line += std::string(" (") + info.dli_fname + ")";
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace weft::detail
