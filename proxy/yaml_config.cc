// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "yaml_config.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "json_text.h"

namespace authgate_cli {
namespace {

// Bounds on the YAML as it expands: an alias repeats everything it names, so
// that a few hundred bytes of YAML can stand for gigabytes. The size and the
// depth are the engine's limits on its document (docs/config.md); the number
// of values is far above any real configuration (a few hundred), and keeps
// the walk of a refused document short.
constexpr size_t kMaxExpandedBytes = 8 << 20;
constexpr size_t kMaxExpandedValues = 100'000;
constexpr int kMaxDepth = 32;

// TreeCheck walks the YAML as it expands, before anything else reads it, and
// refuses more than kMaxExpandedBytes or kMaxExpandedValues, nesting deeper
// than kMaxDepth, and a key given twice in one mapping (YAML requires unique
// keys; yaml-cpp keeps both, and a lookup silently takes the first). What
// passes is bounded work for the conversion and the server settings.
class TreeCheck {
 public:
  bool Check(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth) {
      return Fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (++values_ > kMaxExpandedValues) {
      return Fail("the configuration expands to more than " + std::to_string(kMaxExpandedValues) +
                  " values (each YAML alias repeats all it names)");
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return Spend(node.Scalar().size());
      case YAML::NodeType::Sequence: {
        size_t index = 0;
        for (const YAML::Node& element : node) {
          path_.push_back("[" + std::to_string(index++) + "]");
          if (!Check(element, depth + 1)) return false;
          path_.pop_back();
        }
        return true;
      }
      case YAML::NodeType::Map: {
        std::set<std::string> keys;
        for (const auto& member : node) {
          if (member.first.IsScalar()) {
            const std::string& key = member.first.Scalar();
            path_.push_back((path_.empty() ? "" : ".") + key);
            if (!Spend(key.size())) return false;
            if (!keys.insert(key).second) return Fail("duplicate key");
          } else {
            path_.push_back("");
            if (!Check(member.first, depth + 1)) return false;
          }
          if (!Check(member.second, depth + 1)) return false;
          path_.pop_back();
        }
        return true;
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    return true;
  }

  std::string error;

 private:
  bool Spend(size_t bytes) {
    if (bytes > budget_) {
      return Fail("the configuration expands to more than " +
                  std::to_string(kMaxExpandedBytes >> 20) +
                  " MiB (each YAML alias repeats all it names)");
    }
    budget_ -= bytes;
    return true;
  }

  bool Fail(const std::string& message) {
    std::string path;
    for (const std::string& segment : path_) path += segment;
    error = (path.empty() ? std::string() : path + ": ") + message;
    return false;
  }

  size_t budget_ = kMaxExpandedBytes;
  size_t values_ = 0;
  std::vector<std::string> path_;  // segments: "session", ".secret", "[0]"
};

// IsJsonNumber: the JSON number grammar (RFC 8259 section 6),
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(const std::string& text) {
  size_t i = 0, n = text.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < n && text[i] == '-') ++i;
  if (i < n && text[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < n && text[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == n;
}

class Converter {
 public:
  bool Convert(const YAML::Node& node, const std::string& path, bool in_claims, std::string* out) {
    switch (node.Type()) {
      case YAML::NodeType::Null:
        *out += "null";
        return true;
      case YAML::NodeType::Scalar:
        return Scalar(node, path, out);
      case YAML::NodeType::Sequence: {
        *out += "[";
        size_t index = 0;
        for (const YAML::Node& element : node) {
          if (index > 0) *out += ",";
          if (!Convert(element, path + "[" + std::to_string(index) + "]", false, out)) {
            return false;
          }
          ++index;
        }
        *out += "]";
        return true;
      }
      case YAML::NodeType::Map:
        return Map(node, path, in_claims, out);
      case YAML::NodeType::Undefined:
        break;
    }
    return Fail(path, "undefined value");
  }

  std::string error;

 private:
  bool Fail(const std::string& path, const std::string& message) {
    error = (path.empty() ? std::string() : path + ": ") + message;
    return false;
  }

  bool Scalar(const YAML::Node& node, const std::string& path, std::string* out) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!") {  // quoted: always a string
      *out += JsonString(text);
      return true;
    }
    if (tag != "?" && tag != "tag:yaml.org,2002:str") {
      return Fail(path, "unsupported YAML tag " + tag);
    }
    if (tag == "tag:yaml.org,2002:str") {
      *out += JsonString(text);
    } else if (text == "true" || text == "false") {
      *out += text;
    } else if (text == "null" || text == "~" || text.empty()) {
      *out += "null";
    } else if (IsJsonNumber(text)) {
      *out += text;
    } else {
      *out += JsonString(text);
    }
    return true;
  }

  bool Map(const YAML::Node& node, const std::string& path, bool in_claims, std::string* out) {
    bool complex_keys = false;
    for (const auto& member : node) complex_keys |= !member.first.IsScalar();
    if (complex_keys) {
      if (!in_claims) return Fail(path, "mapping keys must be plain scalars");
      return ClaimsList(node, path, out);
    }
    *out += "{";
    bool first = true;
    for (const auto& member : node) {
      const std::string& key = member.first.Scalar();
      if (!first) *out += ",";
      first = false;
      *out += JsonString(key) + ":";
      std::string child = path.empty() ? key : path + "." + key;
      if (!Convert(member.second, child, key == "claims", out)) return false;
    }
    *out += "}";
    return true;
  }

  // `claims` with a list of path segments as a key: the list form, where
  // each entry is {"claim": <key>, <condition members>}.
  bool ClaimsList(const YAML::Node& node, const std::string& path, std::string* out) {
    *out += "[";
    bool first = true;
    for (const auto& member : node) {
      if (!member.second.IsMap()) return Fail(path, "each claim maps to one condition object");
      if (!first) *out += ",";
      first = false;
      *out += "{\"claim\":";
      if (!Convert(member.first, path, false, out)) return false;
      for (const auto& condition : member.second) {
        if (!condition.first.IsScalar()) return Fail(path, "a condition name must be a scalar");
        *out += "," + JsonString(condition.first.Scalar()) + ":";
        if (!Convert(condition.second, path, false, out)) return false;
      }
      *out += "}";
    }
    *out += "]";
    return true;
  }
};

bool TakeString(YAML::Node& root, const char* key, std::string* out, std::string* error) {
  YAML::Node value = root[key];
  if (!value) return true;
  if (!value.IsScalar() || value.Scalar().empty()) {
    *error = std::string(key) + ": must be a non-empty string";
    return false;
  }
  *out = value.Scalar();
  root.remove(key);
  return true;
}

}  // namespace

bool LoadSidecarConfig(std::string_view yaml, SidecarConfig* out, std::string* error) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    *error = "YAML: " + e.msg + " at line " + std::to_string(e.mark.line + 1);
    return false;
  }
  if (!root.IsMap()) {
    *error = "the configuration must be a YAML mapping";
    return false;
  }
  TreeCheck check;
  if (!check.Check(root, 1)) {
    *error = check.error;
    return false;
  }
  std::string listen, upstream, admin;
  if (!TakeString(root, "listen", &listen, error) ||
      !TakeString(root, "upstream", &upstream, error) ||
      !TakeString(root, "admin", &admin, error)) {
    return false;
  }
  YAML::Node server = root["server"];
  if (server) root.remove("server");
  if (!ParseServerSettings(listen, upstream, admin, server, &out->server, error)) return false;
  Converter converter;
  out->engine_json.clear();
  if (!converter.Convert(root, "", false, &out->engine_json)) {
    *error = converter.error;
    return false;
  }
  return true;
}

}  // namespace authgate_cli
