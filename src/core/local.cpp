// Tasklet-local storage.
#include <atomic>

#include "core/local_slots.hpp"
#include "core/scheduler_impl.hpp"
#include "weft/local.hpp"

namespace weft::detail {

namespace {
std::atomic<std::size_t> g_next_key{0};
}

std::size_t new_local_key() noexcept { return g_next_key.fetch_add(1); }

void* local_get(std::size_t key) noexcept {
  scheduler_impl* s = tls_scheduler;
  if (!s) return nullptr;
  local_slots* l = s->current()->locals;
  if (!l || key >= l->slots.size()) return nullptr;
  return l->slots[key].value;
}

void local_set(std::size_t key, void* value, void (*destroy)(void*) noexcept) {
  tasklet_impl* t = this_scheduler().current();
  if (!t->locals) t->locals = new local_slots;
  if (key >= t->locals->slots.size()) t->locals->slots.resize(key + 1);
  t->locals->slots[key] = {value, destroy};
}

void destroy_locals(tasklet_impl* t) noexcept {
  local_slots* l = t->locals;
  t->locals = nullptr;
  for (auto& s : l->slots)
    if (s.value) s.destroy(s.value);
  delete l;
}

}  // namespace weft::detail
