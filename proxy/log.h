// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// log.h: the sidecar's two line-oriented outputs, both one JSON object per
// line. Logger writes diagnostics to stderr at or above a level, at once.
// AccessLog buffers one line per request for stdout and writes the buffer
// when it fills or on Flush() (the server calls it every 100 ms), so a busy
// sidecar makes one write(2) per batch rather than per request.
//
// Neither ever receives a token, a cookie value, a query string or a secret:
// callers pass paths without queries and the engine's details, which are
// free of them by contract.

#ifndef AUTHGATE_PROXY_LOG_H_
#define AUTHGATE_PROXY_LOG_H_

#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "json_text.h"

namespace authgate_cli {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// ParseLogLevel reads "debug", "info", "warn" or "error".
bool ParseLogLevel(std::string_view text, LogLevel* out);

// Now3339 returns the current UTC time as "2026-11-28T23:59:59.123Z".
std::string Now3339();

// AppendMilliseconds appends `seconds` in milliseconds with three decimals
// ("1.234").
void AppendMilliseconds(double seconds, std::string* out);

class Logger {
 public:
  explicit Logger(LogLevel level) : level_(level) {}

  bool Enabled(LogLevel level) const { return level >= level_; }
  // Log writes {"time":..,"level":..,"msg":..,<fields as strings>}.
  void Log(LogLevel level, std::string_view message,
           std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {});

 private:
  LogLevel level_;
  std::mutex mutex_;
};

class AccessLog {
 public:
  AccessLog() = default;
  ~AccessLog() { Flush(); }
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Append takes one complete JSON object, without the newline.
  void Append(std::string_view line);
  void Flush();

 private:
  std::mutex mutex_;
  std::string buffer_;
};

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_LOG_H_
