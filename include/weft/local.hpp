// tasklet_local<T>: one T per tasklet, created on first use and destroyed when the tasklet
// finishes (on its own stack, so the destructor may still use weft). thread_local is wrong
// for this: every tasklet of a thread would share it.
#pragma once

#include <cstddef>
#include <utility>

namespace weft {

namespace detail {
std::size_t new_local_key() noexcept;
void* local_get(std::size_t key) noexcept;
void local_set(std::size_t key, void* value, void (*destroy)(void*) noexcept);
}  // namespace detail

template <class T>
class tasklet_local {
 public:
  tasklet_local() : key_(detail::new_local_key()) {}
  tasklet_local(const tasklet_local&) = delete;
  tasklet_local& operator=(const tasklet_local&) = delete;

  // The calling tasklet's value, value-initialised on first access.
  T& get() {
    if (void* p = detail::local_get(key_)) return *static_cast<T*>(p);
    T* v = new T();
    detail::local_set(key_, v, [](void* p) noexcept { delete static_cast<T*>(p); });
    return *v;
  }
  T& operator*() { return get(); }
  T* operator->() { return &get(); }
  // True if the calling tasklet has touched its value.
  bool has_value() const noexcept { return detail::local_get(key_) != nullptr; }

 private:
  std::size_t key_;
};

}  // namespace weft
