// Tasklet-local storage slots, kept in the tasklet control block.
#pragma once

#include <cstddef>
#include <vector>

#include "core/tasklet_impl.hpp"

namespace weft::detail {

struct local_slots {
  struct slot {
    void* value = nullptr;
    void (*destroy)(void*) noexcept = nullptr;
  };
  std::vector<slot> slots;  // indexed by key
};

// Runs the destructors of a finishing tasklet's locals, on its own stack.
void destroy_locals(tasklet_impl* t) noexcept;

}  // namespace weft::detail
