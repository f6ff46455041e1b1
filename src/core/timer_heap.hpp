// The scheduler's timers: a binary min-heap of deadlines with O(log n) removal.
//
// Invariants: a timer_node is in at most one heap; `index` is its position while armed and
// npos otherwise. Owned and touched only by the scheduler's own thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace weft::detail {

struct timer_node {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::chrono::steady_clock::time_point when{};
  std::uint64_t order = 0;  // ties fire in arming order
  std::size_t index = npos;
  void* owner = nullptr;  // the tasklet this timer belongs to
  bool armed() const noexcept { return index != npos; }
};

class timer_heap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  timer_node* top() const noexcept { return heap_.front(); }

  void arm(timer_node* n, std::chrono::steady_clock::time_point when) {
    if (n->armed()) disarm(n);
    n->when = when;
    n->order = next_order_++;
    n->index = heap_.size();
    heap_.push_back(n);
    up(n->index);
  }

  void disarm(timer_node* n) noexcept {
    if (!n->armed()) return;
    std::size_t i = n->index;
    std::size_t last = heap_.size() - 1;
    if (i != last) {
      place(i, heap_[last]);
      heap_.pop_back();
      if (!up(i)) down(i);
    } else {
      heap_.pop_back();
    }
    n->index = timer_node::npos;
  }

 private:
  static bool less(const timer_node* a, const timer_node* b) noexcept {
    return a->when < b->when || (a->when == b->when && a->order < b->order);
  }
  void place(std::size_t i, timer_node* n) noexcept {
    heap_[i] = n;
    n->index = i;
  }
  bool up(std::size_t i) noexcept {
    bool moved = false;
    while (i > 0) {
      std::size_t parent = (i - 1) / 2;
      if (!less(heap_[i], heap_[parent])) break;
      timer_node* p = heap_[parent];
      place(parent, heap_[i]);
      place(i, p);
      i = parent;
      moved = true;
    }
    return moved;
  }
  void down(std::size_t i) noexcept {
    for (;;) {
      std::size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < heap_.size() && less(heap_[l], heap_[m])) m = l;
      if (r < heap_.size() && less(heap_[r], heap_[m])) m = r;
      if (m == i) return;
      timer_node* t = heap_[m];
      place(m, heap_[i]);
      place(i, t);
      i = m;
    }
  }

  std::vector<timer_node*> heap_;
  std::uint64_t next_order_ = 0;
};

}  // namespace weft::detail
