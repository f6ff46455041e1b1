// Tasklet stacks: guarded mappings (pooled) and the shared stack dense tasklets run on.
//
// Invariants:
//  - A guarded stack is one mapping: [guard page][usable ... top). The guard page is
//    PROT_NONE; hitting it is reported by name (see install_overflow_handler) and aborts.
//  - Only pages a tasklet touches cost memory: mappings are MAP_NORESERVE and never
//    pre-faulted.
#pragma once

#include <cstddef>
#include <vector>

namespace weft::detail {

struct stack_area {
  void* mapping = nullptr;   // start of the mapping (the guard page); it ends at `top`
  char* base = nullptr;      // lowest usable address
  char* top = nullptr;       // one past the highest usable address
  std::size_t usable() const noexcept { return static_cast<std::size_t>(top - base); }
  explicit operator bool() const noexcept { return mapping != nullptr; }
};

inline constexpr std::size_t default_stack_size = 256 * 1024;
inline constexpr std::size_t dense_stack_size = 1024 * 1024;

std::size_t page_size() noexcept;

// Maps a stack with a guard page. Throws std::system_error; when the process runs into
// vm.max_map_count the message says so and names the ways out.
stack_area map_stack(std::size_t usable);
void unmap_stack(stack_area& s) noexcept;

// Deepest use of a stack in bytes: the highest word below `top` that was ever written.
// Untouched pages read as zero without being faulted in.
std::size_t stack_high_water(const stack_area& s) noexcept;

// A per-thread cache of default-size stacks, so spawning does not cost a mmap. Inline: every
// spawn and every finish passes through it. The cache holds only each stack's base: a
// default-size stack's mapping and top follow from it.
class stack_pool {
 public:
  stack_pool() : guard_(page_size()) { free_.reserve(max_cached); }
  stack_pool(const stack_pool&) = delete;
  stack_pool& operator=(const stack_pool&) = delete;
  ~stack_pool();

  stack_area take(std::size_t usable) {
    if (usable == default_stack_size && !free_.empty()) [[likely]] return pop_cached();
    return take_slow(usable);
  }
  void give(stack_area s) noexcept {
    if (s.usable() == default_stack_size && free_.size() < max_cached) [[likely]] {
      free_.push_back(s.base);  // never reallocates: reserved
      return;
    }
    unmap_stack(s);
  }

 private:
  static constexpr std::size_t max_cached = 1024;
  stack_area take_slow(std::size_t usable);
  stack_area pop_cached() noexcept {
    char* base = free_.back();
    free_.pop_back();
    return stack_area{base - guard_, base, base + default_stack_size};
  }
  std::size_t guard_;
  std::vector<char*> free_;
};

// Installs (once per process) the SIGSEGV/SIGBUS handler that names the tasklet whose
// guard page was hit, and gives the calling thread an alternate signal stack for it.
void install_overflow_handler();
void release_signal_stack() noexcept;

}  // namespace weft::detail
