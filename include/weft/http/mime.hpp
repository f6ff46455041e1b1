// mime: the Content-Type a static file is served with, chosen by its extension.
#pragma once

#include <string_view>

namespace weft::http {

// By the last extension of the file name (case-insensitive); "application/octet-stream" for
// an unknown one or none. Text types carry "charset=utf-8".
std::string_view mime_type(std::string_view name);

}  // namespace weft::http
