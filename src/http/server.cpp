// server: the accept loop, graceful shutdown, and one server per thread on SO_REUSEPORT.
#include "weft/http/server.hpp"

#include <cstdio>
#include <thread>

#include "connection.hpp"
#include "server_state.hpp"
#include "weft/scheduler.hpp"

namespace weft::http {

server::server(const router& r, server_options opt) : router_(r), opt_(std::move(opt)), st_(std::make_unique<state>()) {
  st_->drained.set();
}

server::~server() = default;

std::size_t server::connections() const noexcept { return st_->conns.size(); }

void server::serve(net::listener& l) {
  st_->listener = &l;
  while (!st_->stopping) {
    net::address peer;
    std::error_code ec;
    net::socket s = l.accept(&peer, ec);
    if (ec) {
      if (st_->stopping || ec == std::errc::operation_canceled || ec == std::errc::bad_file_descriptor) break;
      std::fprintf(stderr, "weft::http: accept: %s\n", ec.message().c_str());
      sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    auto c = std::make_unique<detail::connection>(*this, std::move(s), peer);
    detail::connection* raw = c.get();
    raw->self_ = spawn([](std::unique_ptr<detail::connection> conn) { conn->run(); }, std::move(c));
  }
  st_->listener = nullptr;
  while (!st_->conns.empty()) st_->drained.wait();
}

void server::shutdown(clock::duration grace) {
  st_->stopping = true;
  if (st_->listener) st_->listener->close();
  for (std::size_t i = st_->conns.size(); i-- > 0;)
    if (i < st_->conns.size()) st_->conns[i]->stop_if_idle();
  const clock::time_point until = clock::now() + grace;
  while (!st_->conns.empty()) {
    clock::duration left = until - clock::now();
    if (left <= clock::duration::zero() || !st_->drained.wait_for(left)) break;
  }
  std::vector<tasklet> rest;
  for (auto* c : st_->conns) rest.push_back(c->self_);
  for (auto& t : rest) t.kill();
  while (!st_->conns.empty()) st_->drained.wait();
}

net::listener reuseport_listen(const net::address& a, int backlog) {
  net::socket s = net::socket::open(a.family(), SOCK_STREAM);
  s.set_reuse_address(true);
  s.set_option(SOL_SOCKET, SO_REUSEPORT, 1);
  s.bind(a);
  s.listen(backlog);
  return net::listener(std::move(s));
}

void serve_threads(const router& r, const net::address& a, int threads, server_options opt,
                   const std::function<void(const net::address&)>& on_listening) {
  net::listener first = reuseport_listen(a);
  const net::address bound = first.local_address();
  std::vector<net::listener> more;
  for (int i = 1; i < threads; ++i) more.push_back(reuseport_listen(bound));
  if (on_listening) on_listening(bound);
  for (auto& l : more) {
    std::thread([&r, opt, l = std::move(l)]() mutable {
      server s(r, opt);
      s.serve(l);
    }).detach();
  }
  server s(r, std::move(opt));
  for (;;) s.serve(first);
}

}  // namespace weft::http
