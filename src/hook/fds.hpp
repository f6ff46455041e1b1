// Bookkeeping shared by the calls that create descriptors.
#pragma once

namespace weft::hook::detail {

// fd was just created non-blocking underneath by an interposed call (socket, pipe,
// accept...): manage it, remembering whether the program asked for O_NONBLOCK. The calling
// thread's reactor forgets any earlier descriptor of that number first (one closed behind
// the hooks' back, by fclose say). Beyond the table, fd gets back the mode the program asked.
void manage_new(int fd, bool user_nonblock, bool stream) noexcept;

}  // namespace weft::hook::detail
