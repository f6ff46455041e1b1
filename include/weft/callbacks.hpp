// Schedule and channel callbacks: Stackless's set_schedule_callback and set_channel_callback.
#pragma once

#include <atomic>
#include <functional>

#include "weft/tasklet.hpp"

namespace weft {

// Called on every switch between two tasklets of this thread, explicit or implicit, on the
// stack of `prev` just before control passes to `next` (`prev` may be finishing). It must
// not switch (a switch inside it throws scheduler_error, as in an atomic scope) and should
// not throw: an exception escaping it is reported on stderr and dropped. Per thread;
// returns the previous callback; nullptr removes it.
using schedule_callback = std::function<void(const tasklet& prev, const tasklet& next)>;
schedule_callback set_schedule_callback(schedule_callback cb);

// Called at the start of every send and receive made by a tasklet of this thread, with the
// channel, the calling tasklet, the direction and whether the call will block as things
// stand (another thread may change that before it does). The try_ forms are not reported.
// Per thread; returns the previous callback; nullptr removes it.
using channel_callback =
    std::function<void(const void* channel, const tasklet& t, bool sending, bool will_block)>;
channel_callback set_channel_callback(channel_callback cb);

namespace detail {
// Threads with a channel callback set: channels check this before doing any extra work.
extern std::atomic<int> channel_hooks;
void notify_channel(const void* channel, bool sending, bool will_block);
}  // namespace detail

}  // namespace weft
