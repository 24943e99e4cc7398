// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "log.h"

#include <unistd.h>

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

// Utf8Length returns the length of the valid UTF-8 sequence at the start of
// `text`, or 0 when it is not one.
size_t Utf8Length(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  size_t length;
  uint32_t min;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  uint32_t code = lead & (0x3f >> (length - 1));
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
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
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char text[64];
  snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
           utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
           now.tv_nsec / 1'000'000);
  return text;
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t length = Utf8Length(text.substr(i));
      if (length == 0) {
        out->append("\xef\xbf\xbd");
        ++i;
      } else {
        out->append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(static_cast<char>(c));
    }
    ++i;
  }
  out->push_back('"');
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
