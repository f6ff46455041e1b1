// Name resolution: in a tasklet, getaddrinfo, getnameinfo and gethostbyname(_r) run on
// weft's worker pool (run_blocking's pool) while only the tasklet waits (a getaddrinfo of a
// literal address runs in place: literal_lookup). Each job owns
// copies of everything it reads and writes, since a killed tasklet's stack is gone while
// the lookup still runs; the results are copied back to the caller's buffers afterwards.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hook/mode.hpp"
#include "sys/real.hpp"
#include "weft/run_blocking.hpp"

namespace real = weft::sys::real;
using namespace weft::hook::detail;

namespace {

std::optional<std::string> copy(const char* s) {
  return s ? std::optional<std::string>(s) : std::nullopt;
}
const char* c_str(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

struct addrinfo_job final : weft::detail::blocking_job {
  std::optional<std::string> node, service;
  addrinfo hints{};
  bool has_hints = false;
  int rc = 0;
  int err = 0;
  addrinfo* res = nullptr;  // handed to the caller, or freed here if it was killed
  void run() noexcept override {
    rc = real::getaddrinfo(c_str(node), c_str(service), has_hints ? &hints : nullptr, &res);
    err = errno;
  }
  ~addrinfo_job() override {
    if (res) ::freeaddrinfo(res);
  }
};

struct nameinfo_job final : weft::detail::blocking_job {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::vector<char> host, serv;
  int flags = 0;
  int rc = 0;
  int err = 0;
  void run() noexcept override {
    rc = real::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host.empty() ? nullptr : host.data(),
                           static_cast<socklen_t>(host.size()), serv.empty() ? nullptr : serv.data(),
                           static_cast<socklen_t>(serv.size()), flags);
    err = errno;
  }
};

struct hostent_job final : weft::detail::blocking_job {
  std::string name;
  hostent ent{};
  std::vector<char> buf;
  bool grow = false;  // gethostbyname: retry with a larger buffer on ERANGE
  hostent* result = nullptr;
  int herr = 0;
  int rc = 0;
  void run() noexcept override {
    for (;;) {
      rc = real::gethostbyname_r(name.c_str(), &ent, buf.data(), buf.size(), &result, &herr);
      if (rc != ERANGE || !grow || buf.size() >= (1u << 20)) return;
      buf.resize(buf.size() * 2);
    }
  }
};

// Moves pointers into `from` (size n) to the same offsets in `to`.
char* relocate(char* p, const char* from, char* to, std::size_t n) noexcept {
  if (p >= from && p < from + n) return to + (p - from);
  return p;
}

void relocate_list(char**& list, const char* from, char* to, std::size_t n) noexcept {
  if (!list) return;
  list = reinterpret_cast<char**>(relocate(reinterpret_cast<char*>(list), from, to, n));
  for (char** p = list; *p; ++p) *p = relocate(*p, from, to, n);
}

// A literal address (or none) with a numeric service (or none) needs no resolver: libc
// answers it from the text alone, so it runs on the tasklet and no pool thread is woken (or
// started: a hundred clients connecting to "127.0.0.1" at once would start the pool's
// threads, stacks and malloc arenas for nothing). A canonical name is a lookup: not here.
bool literal_lookup(const char* node, const char* service, const addrinfo* hints) noexcept {
  if (hints && (hints->ai_flags & AI_CANONNAME)) return false;
  if (service) {
    if (*service == '\0') return false;
    for (const char* p = service; *p; ++p)
      if (*p < '0' || *p > '9') return false;
  }
  if (node == nullptr) return service != nullptr;
  unsigned char addr[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, node, addr) == 1 || ::inet_pton(AF_INET6, node, addr) == 1;
}

// The last gethostbyname result of this thread (libc's is static too; ours is per thread).
thread_local std::shared_ptr<hostent_job> t_last_hostent;

}  // namespace

extern "C" {

int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  scheduler_impl* s = enter(call::getaddrinfo);
  if (!s || literal_lookup(node, service, hints)) return real::getaddrinfo(node, service, hints, res);
  auto job = std::make_shared<addrinfo_job>();
  job->node = copy(node);
  job->service = copy(service);
  if (hints) {
    job->has_hints = true;
    job->hints.ai_flags = hints->ai_flags;
    job->hints.ai_family = hints->ai_family;
    job->hints.ai_socktype = hints->ai_socktype;
    job->hints.ai_protocol = hints->ai_protocol;
  }
  note_progress();
  weft::detail::run_on_pool(job);
  *res = std::exchange(job->res, nullptr);
  if (job->rc == EAI_SYSTEM) errno = job->err;
  return job->rc;
}

int getnameinfo(const sockaddr* addr, socklen_t len, char* host, socklen_t hostlen, char* serv,
                socklen_t servlen, int flags) {
  scheduler_impl* s = enter(call::getnameinfo);
  if (!s || addr == nullptr || len > sizeof(sockaddr_storage))
    return real::getnameinfo(addr, len, host, hostlen, serv, servlen, flags);
  auto job = std::make_shared<nameinfo_job>();
  std::memcpy(&job->addr, addr, len);
  job->len = len;
  if (host) job->host.resize(hostlen);
  if (serv) job->serv.resize(servlen);
  job->flags = flags;
  note_progress();
  weft::detail::run_on_pool(job);
  if (job->rc == 0) {
    if (host && hostlen) std::memcpy(host, job->host.data(), hostlen);
    if (serv && servlen) std::memcpy(serv, job->serv.data(), servlen);
  }
  if (job->rc == EAI_SYSTEM) errno = job->err;
  return job->rc;
}

int gethostbyname_r(const char* name, hostent* ret, char* buf, size_t buflen, hostent** result,
                    int* h_errnop) {
  scheduler_impl* s = name ? enter(call::gethostbyname_r) : nullptr;
  if (!s) return real::gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
  auto job = std::make_shared<hostent_job>();
  job->name = name;
  job->buf.resize(buflen);
  note_progress();
  weft::detail::run_on_pool(job);
  if (h_errnop) *h_errnop = job->herr;
  *result = nullptr;
  if (job->rc != 0 || job->result == nullptr) return job->rc;
  std::memcpy(buf, job->buf.data(), buflen);
  hostent e = job->ent;
  const char* from = job->buf.data();
  e.h_name = relocate(e.h_name, from, buf, buflen);
  relocate_list(e.h_aliases, from, buf, buflen);
  relocate_list(e.h_addr_list, from, buf, buflen);
  *ret = e;
  *result = ret;
  return 0;
}

hostent* gethostbyname(const char* name) {
  scheduler_impl* s = name ? enter(call::gethostbyname) : nullptr;
  if (!s) return real::gethostbyname(name);
  auto job = std::make_shared<hostent_job>();
  job->name = name;
  job->buf.resize(1024);
  job->grow = true;
  note_progress();
  weft::detail::run_on_pool(job);
  h_errno = job->herr;
  if (job->rc != 0 || job->result == nullptr) {
    if (job->rc == ERANGE) h_errno = NETDB_INTERNAL;
    return nullptr;
  }
  t_last_hostent = job;
  return &job->ent;
}

}  // extern "C"
