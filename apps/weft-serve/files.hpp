// files: answering GET/HEAD for a path under a root directory, safely.
#pragma once

#include <string>
#include <string_view>

#include "weft/http/server.hpp"

namespace weft_serve {

// `root` must be an absolute path without a trailing slash and without symlinks (realpath).
// Answers: the file (200, or 206 for a Range, 304 for a matching If-None-Match /
// If-Modified-Since, 416 for an unsatisfiable range), a directory listing or its
// index.html, 301 to add a directory's trailing slash, 403 for a path that leaves the root
// (a ".." segment, however encoded, or a symlink resolving outside), 404 otherwise.
void serve_path(const std::string& root, weft::http::request& req, weft::http::response& res);

}  // namespace weft_serve
