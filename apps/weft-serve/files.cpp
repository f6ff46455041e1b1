// files: path checks, conditional requests, ranges, listings.
#include "files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <vector>

#include "weft/http/mime.hpp"

namespace http = weft::http;

namespace weft_serve {

namespace {

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

std::string http_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return {buf, n};
}

std::optional<std::time_t> parse_http_time(std::string_view s) {
  std::tm tm{};
  std::string text(s);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string url_escape(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~/").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// true if every segment is safe: no "..", no empty-name tricks; the decoded path is used, so
// "%2e%2e" is caught here too.
bool safe_segments(std::string_view path) {
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (seg == "..") return false;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return true;
}

bool inside(const std::string& root, const std::string& real) {
  return real == root || (real.size() > root.size() && real.compare(0, root.size(), root) == 0 && real[root.size()] == '/');
}

void listing(const std::string& dir, const std::string& url_path, http::response& res) {
  std::vector<std::pair<std::string, bool>> entries;  // name, is directory
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st{};
      bool is_dir = ::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      entries.emplace_back(std::move(name), is_dir);
    }
    ::closedir(d);
  } else {
    res.send(403, "cannot list this directory\n");
    return;
  }
  std::sort(entries.begin(), entries.end());
  std::string title = "Directory listing for " + html_escape(url_path);
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title + "</title></head>\n<body><h1>" +
                     title + "</h1>\n<hr>\n<ul>\n";
  if (url_path != "/") html += "<li><a href=\"../\">../</a></li>\n";
  for (const auto& [name, is_dir] : entries) {
    std::string shown = name + (is_dir ? "/" : "");
    html += "<li><a href=\"" + html_escape(url_escape(shown)) + "\">" + html_escape(shown) + "</a></li>\n";
  }
  html += "</ul>\n<hr>\n</body></html>\n";
  res.send(200, html, "text/html; charset=utf-8");
}

struct byte_range {
  std::uint64_t first, last;  // inclusive
};

// RFC 9110 14.1.2, one range only. nullopt: ignore the header (serve the whole file);
// first > last marks "unsatisfiable".
std::optional<byte_range> parse_range(std::string_view h, std::uint64_t size) {
  if (h.substr(0, 6) != "bytes=") return std::nullopt;
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::nullopt;  // several ranges: send it all
  std::size_t dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto num = [](std::string_view s, std::uint64_t& v) {
    if (s.empty() || s.size() > 19) return false;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  };
  std::uint64_t a = 0, b = 0;
  std::string_view left = h.substr(0, dash), right = h.substr(dash + 1);
  if (left.empty()) {  // suffix: the last b bytes
    if (!num(right, b)) return std::nullopt;
    if (b == 0 || size == 0) return byte_range{1, 0};
    return byte_range{size - std::min(b, size), size - 1};
  }
  if (!num(left, a)) return std::nullopt;
  if (right.empty())
    b = size == 0 ? 0 : size - 1;
  else if (!num(right, b) || b < a)
    return std::nullopt;
  if (a >= size) return byte_range{1, 0};
  return byte_range{a, std::min(b, size - 1)};
}

void send_file(const std::string& file, const struct stat& st, http::request& req, http::response& res) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    res.send(errno == EACCES ? 403 : 404, "cannot open\n");
    return;
  }
  fd_guard g{fd};
  const auto size = static_cast<std::uint64_t>(st.st_size);
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ull +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec));
  res.set("ETag", etag);
  res.set("Last-Modified", http_time(st.st_mtime));
  res.set("Accept-Ranges", "bytes");
  // RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since.
  if (auto inm = req.fields.get("if-none-match")) {
    if (*inm == "*" || http::header_has_token(*inm, etag) || http::header_has_token(*inm, std::string("W/") + etag)) {
      res.send(304, "");
      return;
    }
  } else if (auto ims = req.fields.get("if-modified-since")) {
    if (auto t = parse_http_time(*ims); t && st.st_mtime <= *t) {
      res.send(304, "");
      return;
    }
  }
  res.set("Content-Type", http::mime_type(file));
  std::optional<byte_range> range;
  if (auto r = req.fields.get("range")) {
    auto if_range = req.fields.get("if-range");
    if (!if_range || *if_range == etag) range = parse_range(*r, size);
  }
  if (range && range->first > range->last) {
    res.set("Content-Range", "bytes */" + std::to_string(size));
    res.send(416, "range not satisfiable\n");
    return;
  }
  if (range) {
    res.status(206);
    res.set("Content-Range", "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" +
                                 std::to_string(size));
    res.send_file(fd, range->first, range->last - range->first + 1);
  } else {
    res.send_file(fd, 0, size);
  }
}

}  // namespace


void serve_path(const std::string& root, http::request& req, http::response& res) {
  const std::string& path = req.path;  // decoded; the server already refused %00 and bad escapes
  if (path.empty() || path.front() != '/' || !safe_segments(path)) {
    res.send(403, "forbidden\n");
    return;
  }
  std::string full = root + path;
  char real[PATH_MAX];
  if (!::realpath(full.c_str(), real)) {
    res.send(errno == EACCES ? 403 : 404, "not found\n");
    return;
  }
  std::string resolved = real;
  if (!inside(root, resolved)) {  // a symlink pointing outside the root
    res.send(403, "forbidden\n");
    return;
  }
  struct stat st{};
  if (::stat(resolved.c_str(), &st) != 0) {
    res.send(404, "not found\n");
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (path.back() != '/') {
      std::string to = url_escape(path) + "/";
      if (!req.query.empty()) to += "?" + req.query;
      res.set("Location", to);
      res.send(301, "moved to " + to + "\n");
      return;
    }
    struct stat ist{};
    std::string index = resolved + "/index.html";
    char ireal[PATH_MAX];
    if (::realpath(index.c_str(), ireal) && inside(root, ireal) && ::stat(ireal, &ist) == 0 && S_ISREG(ist.st_mode)) {
      send_file(ireal, ist, req, res);
      return;
    }
    listing(resolved, path, res);
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    res.send(403, "not a regular file\n");
    return;
  }
  send_file(resolved, st, req, res);
}

}  // namespace weft_serve
