// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/config_loader.h"

#include <cstdlib>
#include <fstream>

#include "jose/json.h"
#include "text.h"

namespace authgate {
namespace {

constexpr JsonLimits kConfigLimits{/*max_size=*/8 << 20, /*max_depth=*/32};
constexpr size_t kMaxSecretFileBytes = 1 << 20;

bool IsVariableName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::InvalidArgumentError(StrCat("cannot read file ", path));
  std::string content;
  char buffer[4096];
  while (file.read(buffer, sizeof(buffer)) || file.gcount() > 0) {
    content.append(buffer, static_cast<size_t>(file.gcount()));
    if (content.size() > kMaxSecretFileBytes) {
      return absl::InvalidArgumentError(StrCat("file ", path, " is larger than 1 MiB"));
    }
  }
  if (file.bad()) return absl::InvalidArgumentError(StrCat("cannot read file ", path));
  if (!content.empty() && content.back() == '\n') content.pop_back();
  if (!content.empty() && content.back() == '\r') content.pop_back();
  return content;
}

class Resolver {
 public:
  explicit Resolver(const Environment& environment) : environment_(environment) {}

  absl::Status Emit(JsonValue value, const std::string& path, std::string* out) {
    switch (value.type()) {
      case JsonType::kObject: {
        out->push_back('{');
        bool first = true;
        for (const JsonValue::Member& member : value.members()) {
          if (!first) out->push_back(',');
          first = false;
          JsonQuote(member.name, out);
          out->push_back(':');
          std::string child = path.empty() ? std::string(member.name)
                                           : StrCat(path, ".", member.name);
          if (absl::Status s = Emit(member.value, child, out); !s.ok()) return s;
        }
        out->push_back('}');
        return absl::OkStatus();
      }
      case JsonType::kArray: {
        out->push_back('[');
        size_t index = 0;
        for (JsonValue element : value.elements()) {
          if (index > 0) out->push_back(',');
          if (absl::Status s = Emit(element, StrCat(path, "[", index, "]"), out); !s.ok()) {
            return s;
          }
          ++index;
        }
        out->push_back(']');
        return absl::OkStatus();
      }
      case JsonType::kString: {
        absl::StatusOr<std::string> resolved = Resolve(value.string(), path);
        if (!resolved.ok()) return resolved.status();
        JsonQuote(*resolved, out);
        return absl::OkStatus();
      }
      default:
        out->append(value.raw_text());
        return absl::OkStatus();
    }
  }

 private:
  absl::StatusOr<std::string> Resolve(std::string_view text, const std::string& path) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
      size_t dollar = text.find('$', i);
      if (dollar == std::string_view::npos) {
        out.append(text.substr(i));
        break;
      }
      out.append(text.substr(i, dollar - i));
      std::string_view rest = text.substr(dollar);
      if (rest.substr(0, 3) == "$${") {
        out.append("${");
        i = dollar + 3;
        continue;
      }
      if (rest.substr(0, 2) != "${") {
        out.push_back('$');
        i = dollar + 1;
        continue;
      }
      size_t close = text.find('}', dollar + 2);
      if (close == std::string_view::npos) {
        return Error(path, "a \"${\" reference is not closed with \"}\" (write \"$${\" for a "
                           "literal \"${\")");
      }
      std::string_view reference = text.substr(dollar + 2, close - dollar - 2);
      if (reference.substr(0, 5) == "file:") {
        std::string file(reference.substr(5));
        if (file.empty()) return Error(path, "\"${file:}\" names no file");
        absl::StatusOr<std::string> content = ReadSecretFile(file);
        if (!content.ok()) return Error(path, FromAbsl(content.status().message()));
        out.append(*content);
      } else {
        if (!IsVariableName(reference)) {
          return Error(path, StrCat("\"${", reference.substr(0, 64),
                                    "}\" is not a valid environment variable name"));
        }
        std::optional<std::string> value = environment_(reference);
        if (!value) {
          return Error(path, StrCat("environment variable ", reference, " is not set"));
        }
        out.append(*value);
      }
      i = close + 1;
    }
    return out;
  }

  static absl::Status Error(const std::string& path, std::string_view message) {
    return absl::InvalidArgumentError(path.empty() ? std::string(message)
                                                   : StrCat(path, ": ", message));
  }

  const Environment& environment_;
};

}  // namespace

Environment SystemEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::string> ResolveConfigReferences(std::string_view json,
                                                    const Environment& environment) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse(json, kConfigLimits); !s.ok()) {
    return absl::InvalidArgumentError(StrCat("configuration: ", s.message()));
  }
  std::string out;
  out.reserve(json.size());
  Resolver resolver(environment);
  if (absl::Status s = resolver.Emit(doc.root(), "", &out); !s.ok()) return s;
  return out;
}

}  // namespace authgate
