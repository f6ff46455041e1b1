// client_connection: deadline-bounded I/O over a socket or a TLS session; the idle pool.
#include "client_connection.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <vector>

#include "net/throw.hpp"
#include "weft/channel.hpp"
#include "weft/net/connect.hpp"
#include "weft/net/dns.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace weft::http::detail {
namespace {

// What is left before `d` (nullopt: no limit); nullopt-or-positive, or an error if none.
std::optional<clock::duration> remaining(std::optional<clock::time_point> d, std::error_code& ec) {
  if (!d) return std::nullopt;
  auto left = *d - clock::now();
  if (left <= clock::duration::zero()) ec = std::make_error_code(std::errc::timed_out);
  return left;
}

}  // namespace

namespace {

// The host's addresses before `deadline`. getaddrinfo has no timeout of its own, so with a
// deadline the lookup runs in a helper tasklet (on the worker pool underneath) and is
// abandoned when the deadline passes: the helper is killed, the lookup's result dropped.
std::vector<net::address> resolve_before(const std::string& host, std::uint16_t port,
                                         std::optional<clock::time_point> deadline) {
  // An IP literal needs no lookup (and errors then name just the address).
  auto literal = net::address::try_parse(host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                                                            : host + ":" + std::to_string(port));
  if (literal) return {*literal};
  if (!deadline) return net::resolve(host, port);
  auto answer = std::make_shared<weft::channel<std::vector<net::address>>>(1);
  weft::tasklet helper = weft::spawn([answer, host, port] {
    try {
      answer->send(net::resolve(host, port));
    } catch (const std::exception&) {
      answer->send_exception(std::current_exception());
    }
  });
  std::error_code ec;
  auto left = remaining(deadline, ec);
  try {
    if (!ec) return answer->receive_for(*left);
  } catch (const timeout_error&) {
    ec = std::make_error_code(std::errc::timed_out);
  }
  helper.kill();
  net::detail::throw_error(ec, "resolve", host);
}

// A connected socket to the first of `addrs` that accepts before `deadline`; else the last
// failure, naming its address (as net::tcp_connect(host, port) reports it).
net::socket connect_first(const std::vector<net::address>& addrs, std::optional<clock::time_point> deadline) {
  std::exception_ptr last;
  for (const net::address& a : addrs) {
    std::error_code ec;
    auto left = remaining(deadline, ec);
    if (ec) net::detail::throw_error(ec, "connect to", a);
    try {
      return net::tcp_connect(a, left);
    } catch (const std::system_error& e) {
      if (e.code() == std::errc::timed_out) throw;  // the deadline is spent for all of them
      last = std::current_exception();
    }
  }
  if (!last) net::detail::throw_error(std::make_error_code(std::errc::address_not_available), "connect");
  std::rethrow_exception(last);
}

}  // namespace

std::unique_ptr<client_connection> client_connection::open(const std::string& host, std::uint16_t port, bool tls,
                                                           const net::tls_context& ctx,
                                                           std::optional<clock::time_point> deadline) {
  auto c = std::make_unique<client_connection>();
  net::socket s = connect_first(resolve_before(host, port, deadline), deadline);
  s.set_no_delay(true);
  if (tls) {
    c->tls_.emplace(std::move(s), ctx);
    c->tls_->set_deadline(deadline);
    c->tls_->connect(host);
  } else {
    c->plain_ = std::move(s);
  }
  c->set_deadline(deadline);
  return c;
}

int client_connection::fd() const noexcept { return tls_ ? tls_->sock().native_handle() : plain_.native_handle(); }

void client_connection::set_deadline(std::optional<clock::time_point> d) noexcept {
  deadline_ = d;
  if (tls_) tls_->set_deadline(d);
}

bool client_connection::arm(std::error_code& ec) {
  ec.clear();
  auto left = remaining(deadline_, ec);
  plain_.set_timeout(left);
  return !ec;
}

std::size_t client_connection::read_some(std::span<std::byte> buf, std::error_code& ec) {
  if (tls_) return tls_->read_some(buf, ec);
  return arm(ec) ? plain_.read_some(buf, ec) : 0;
}

std::size_t client_connection::write_some(std::span<const std::byte> data, std::error_code& ec) {
  if (tls_) return tls_->write_some(data, ec);
  return arm(ec) ? plain_.write_some(data, ec) : 0;
}

void client_connection::write_all(std::string_view data) {
  auto bytes = std::as_bytes(std::span(data));
  if (tls_) return tls_->write_all(bytes);
  std::error_code ec;
  if (!arm(ec)) net::detail::throw_error(ec, "send to", describe());
  plain_.sendall(bytes);
}

std::string client_connection::describe() const { return tls_ ? tls_->describe() : plain_.describe(); }

bool client_connection::still_idle() const noexcept {
  char b;
  ssize_t n = ::recv(fd(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::unique_ptr<client_connection> connection_pool::take(const std::string& key, clock::duration idle_timeout) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& v = it->second;
  std::unique_ptr<client_connection> found;
  const auto oldest_ok = clock::now() - idle_timeout;
  while (!v.empty() && !found) {
    std::unique_ptr<client_connection> c = std::move(v.back());
    v.pop_back();
    if (c->idle_since >= oldest_ok && c->still_idle()) found = std::move(c);
  }
  if (v.empty()) idle_.erase(it);
  return found;
}

void connection_pool::give(const std::string& key, std::unique_ptr<client_connection> c, std::size_t max_per_host) {
  if (max_per_host == 0) return;
  c->set_deadline(std::nullopt);
  c->idle_since = clock::now();
  auto& v = idle_[key];
  if (v.size() >= max_per_host) v.erase(v.begin());  // the oldest goes
  v.push_back(std::move(c));
}

std::size_t connection_pool::size() const noexcept {
  std::size_t n = 0;
  for (auto& [key, v] : idle_) n += v.size();
  return n;
}

}  // namespace weft::http::detail
