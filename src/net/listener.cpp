// tcp_listen / unix_listen: the socket-bind-listen sequence with errors naming the address.
#include "weft/net/listener.hpp"

namespace weft::net {

namespace {

listener listen_on(const address& a, int type, int backlog) {
  socket s = socket::open(a.family(), type);
  if (!a.is_unix()) s.set_reuse_address(true);
  s.bind(a);
  s.listen(backlog);
  return listener(std::move(s));
}

}  // namespace

listener tcp_listen(const address& a, int backlog) { return listen_on(a, SOCK_STREAM, backlog); }

listener unix_listen(std::string_view path, int backlog) {
  return listen_on(address::unix_path(path), SOCK_STREAM, backlog);
}

}  // namespace weft::net
