// The server's per-thread bookkeeping, shared by server.cpp and connection.cpp.
#pragma once

#include <vector>

#include "weft/http/server.hpp"
#include "weft/sync.hpp"

namespace weft::http {

// Owned by the server; touched only by tasklets of the server's thread.
struct server::state {
  net::listener* listener = nullptr;  // while serve() runs
  bool stopping = false;
  std::vector<detail::connection*> conns;  // each knows its index
  event drained;                           // set when conns becomes empty
};

}  // namespace weft::http
