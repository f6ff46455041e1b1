// router: method + path pattern, tried in order; 404 and 405 (with Allow) built in.
#include <algorithm>

#include "weft/http/server.hpp"

namespace weft::http {

namespace {
// "/a/b/" -> {"a", "b", ""}: empty segments count, so "/a" and "/a/" differ.
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}
}  // namespace

void router::add(std::string_view method, std::string_view pattern, handler h) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("http::router::add: pattern must start with '/': " + std::string(pattern));
  route r{std::string(method), {}, std::move(h)};
  auto segs = split(pattern);
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (!segs[i].empty() && segs[i].front() == '*' && i + 1 != segs.size())
      throw std::invalid_argument("http::router::add: '*' must be the last segment: " + std::string(pattern));
    r.segments.emplace_back(segs[i]);
  }
  routes_.push_back(std::move(r));
}

bool router::match(const route& r, std::string_view path, request* req) {
  if (path.empty() || path.front() != '/') return false;
  if (req) req->params.clear();
  std::string_view rest = path.substr(1);
  bool exhausted = false;  // every path segment is matched
  for (const std::string& seg : r.segments) {
    if (!seg.empty() && seg.front() == '*') {
      if (req && seg.size() > 1) req->params.insert_or_assign(seg.substr(1), std::string(exhausted ? "" : rest));
      return true;
    }
    if (exhausted) return false;
    std::size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (!seg.empty() && seg.front() == ':') {
      if (part.empty()) return false;
      if (req) req->params.insert_or_assign(seg.substr(1), std::string(part));
    } else if (seg != part) {
      return false;
    }
    if (slash == std::string_view::npos)
      exhausted = true;
    else
      rest.remove_prefix(slash + 1);
  }
  return exhausted;
}

void router::operator()(request& req, response& res) const {
  const route* fallback = nullptr;  // a GET route for HEAD
  for (const auto& r : routes_) {
    bool same = r.method == req.method;
    bool head_get = !same && req.method == "HEAD" && r.method == "GET";
    if (!same && !head_get) continue;
    if (same && match(r, req.path, &req)) {
      r.fn(req, res);
      return;
    }
    if (head_get && !fallback && match(r, req.path, nullptr)) fallback = &r;
  }
  if (fallback) {
    match(*fallback, req.path, &req);
    fallback->fn(req, res);
    return;
  }
  std::vector<std::string_view> allow;
  for (const auto& r : routes_) {
    if (!match(r, req.path, nullptr)) continue;
    if (std::find(allow.begin(), allow.end(), r.method) == allow.end()) allow.push_back(r.method);
    if (r.method == "GET" && std::find(allow.begin(), allow.end(), "HEAD") == allow.end()) allow.push_back("HEAD");
  }
  if (allow.empty()) {
    res.send(404, "not found\n");
    return;
  }
  std::string list;
  for (auto m : allow) {
    if (!list.empty()) list.append(", ");
    list.append(m);
  }
  res.set("Allow", list);
  res.send(405, "method not allowed\n");
}

}  // namespace weft::http
