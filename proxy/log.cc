// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "log.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ctime>

namespace authgate_cli {
namespace {

constexpr size_t kAccessLogBuffer = 64 * 1024;

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n <= 0) return;  // nowhere to report a failing log; drop the rest
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* out) {
  if (text == "debug") {
    *out = LogLevel::kDebug;
  } else if (text == "info") {
    *out = LogLevel::kInfo;
  } else if (text == "warn") {
    *out = LogLevel::kWarn;
  } else if (text == "error") {
    *out = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

std::string Now3339() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  // The formatted second is kept per thread: an access log line per request
  // would otherwise pay gmtime_r and snprintf each time.
  thread_local time_t cached_second = -1;
  thread_local char cached[80];  // "2026-11-28T23:59:59."
  if (now.tv_sec != cached_second) {
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", utc.tm_year + 1900,
             utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    cached_second = now.tv_sec;
  }
  std::string text = cached;
  long millis = now.tv_nsec / 1'000'000;
  text.push_back(static_cast<char>('0' + millis / 100));
  text.push_back(static_cast<char>('0' + millis / 10 % 10));
  text.push_back(static_cast<char>('0' + millis % 10));
  text.push_back('Z');
  return text;
}

void AppendMilliseconds(double seconds, std::string* out) {
  // Three decimals, from whole microseconds (no locale, no printf).
  uint64_t micros = seconds <= 0 ? 0 : static_cast<uint64_t>(seconds * 1e6 + 0.5);
  *out += std::to_string(micros / 1000);
  out->push_back('.');
  uint64_t fraction = micros % 1000;
  out->push_back(static_cast<char>('0' + fraction / 100));
  out->push_back(static_cast<char>('0' + fraction / 10 % 10));
  out->push_back(static_cast<char>('0' + fraction % 10));
}

void Logger::Log(LogLevel level, std::string_view message,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  if (!Enabled(level)) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  std::string line = "{\"time\":\"" + Now3339() + "\",\"level\":\"" +
                     kNames[static_cast<int>(level)] + "\",\"msg\":";
  AppendJsonString(message, &line);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    AppendJsonString(key, &line);
    line.push_back(':');
    AppendJsonString(value, &line);
  }
  line += "}\n";
  std::lock_guard<std::mutex> lock(mutex_);
  WriteAll(STDERR_FILENO, line);
}

void AccessLog::Append(std::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  buffer_.append(line);
  buffer_.push_back('\n');
  if (buffer_.size() >= kAccessLogBuffer) {
    WriteAll(STDOUT_FILENO, buffer_);
    buffer_.clear();
  }
}

void AccessLog::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (buffer_.empty()) return;
  WriteAll(STDOUT_FILENO, buffer_);
  buffer_.clear();
}

}  // namespace authgate_cli
