#include "weft/http/mime.hpp"

#include <utility>

#include "weft/http/headers.hpp"

namespace weft::http {

std::string_view mime_type(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> table[] = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".css", "text/css"},                  {".js", "text/javascript"},
      {".mjs", "text/javascript"},           {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"}, {".md", "text/markdown; charset=utf-8"},
      {".c", "text/plain; charset=utf-8"},   {".h", "text/plain; charset=utf-8"},
      {".cpp", "text/plain; charset=utf-8"}, {".hpp", "text/plain; charset=utf-8"},
      {".py", "text/plain; charset=utf-8"},  {".sh", "text/plain; charset=utf-8"},
      {".xml", "application/xml"},           {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},               {".gif", "image/gif"},
      {".webp", "image/webp"},               {".ico", "image/vnd.microsoft.icon"},
      {".ttf", "font/ttf"},                  {".woff", "font/woff"},
      {".woff2", "font/woff2"},              {".wasm", "application/wasm"},
      {".pdf", "application/pdf"},           {".zip", "application/zip"},
      {".gz", "application/gzip"},           {".tar", "application/x-tar"},
      {".mp4", "video/mp4"},                 {".webm", "video/webm"},
      {".mp3", "audio/mpeg"},                {".ogg", "audio/ogg"},
  };
  std::size_t slash = name.rfind('/');
  std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string_view ext = name.substr(dot);
    for (const auto& [e, type] : table)
      if (http::iequals(e, ext)) return type;
  }
  return "application/octet-stream";
}

}  // namespace weft::http
