// web_server: weft-mud's HTTP side: the browser terminal's files at / (from the web
// directory the build fills) and the WebSocket endpoint /ws, each HTTP connection a tasklet.
#pragma once

#include <memory>

#include "game.hpp"
#include "weft/net/listener.hpp"

namespace mud {

class web_server {
 public:
  explicit web_server(game& g);
  ~web_server();
  // Serves until shutdown(); blocks the calling tasklet.
  void serve(weft::net::listener& l);
  void shutdown(weft::clock::duration grace);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mud
