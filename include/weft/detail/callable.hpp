// Type-erased storage for a tasklet's entry function and its bound arguments.
#pragma once

#include <cstddef>
#include <functional>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

namespace weft::detail {

// Owned by exactly one tasklet; invoked at most once on that tasklet's stack, destroyed on
// its owner's thread when the tasklet finishes (or is killed before it started).
class entry_fn {
 public:
  entry_fn() noexcept = default;
  entry_fn(const entry_fn&) = delete;
  entry_fn& operator=(const entry_fn&) = delete;
  ~entry_fn() { reset(); }

  template <class F, class... A>
  void emplace(F&& f, A&&... a) {
    using bound = bound_call<std::decay_t<F>, std::decay_t<A>...>;
    reset();
    void* where = sizeof(bound) <= sizeof(inline_) && alignof(bound) <= alignof(std::max_align_t)
                      ? static_cast<void*>(inline_)
                      : ::operator new(sizeof(bound), std::align_val_t{alignof(bound)});
    obj_ = new (where) bound(std::forward<F>(f), std::forward<A>(a)...);
    ops_ = &ops_for<bound>;
  }

  explicit operator bool() const noexcept { return obj_ != nullptr; }
  void invoke() { ops_->invoke(obj_); }
  void reset() noexcept {
    if (obj_) {
      ops_->destroy(obj_, obj_ != static_cast<void*>(inline_));
      obj_ = nullptr;
    }
  }

 private:
  template <class F, class... A>
  struct bound_call {
    template <class G, class... B>
    explicit bound_call(G&& g, B&&... b) : f(std::forward<G>(g)), args(std::forward<B>(b)...) {}
    F f;
    std::tuple<A...> args;
    void operator()() { std::apply(std::move(f), std::move(args)); }
  };
  struct ops {
    void (*invoke)(void*);
    void (*destroy)(void*, bool heap) noexcept;
  };
  template <class B>
  static constexpr ops ops_for = {
      [](void* p) { (*static_cast<B*>(p))(); },
      [](void* p, bool heap) noexcept {
        static_cast<B*>(p)->~B();
        if (heap) ::operator delete(p, std::align_val_t{alignof(B)});
      }};

  alignas(std::max_align_t) unsigned char inline_[32];
  void* obj_ = nullptr;
  const ops* ops_ = nullptr;
};

}  // namespace weft::detail
