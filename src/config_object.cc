// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "config_object.h"

#include "text.h"
#include "duration.h"

namespace authgate {

absl::StatusOr<ConfigObject> ConfigObject::Open(JsonValue value, std::string path) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        path.empty() ? std::string("configuration must be a JSON object")
                     : StrCat(path, ": must be an object"));
  }
  return ConfigObject(value, std::move(path));
}

std::string ConfigObject::Path(std::string_view key) const {
  return path_.empty() ? std::string(key) : StrCat(path_, ".", key);
}

absl::Status ConfigObject::Error(std::string_view key, std::string_view message) const {
  return absl::InvalidArgumentError(StrCat(Path(key), ": ", message));
}

JsonValue ConfigObject::Get(std::string_view key) {
  known_.insert(std::string(key));
  return value_.Find(key);
}

absl::Status ConfigObject::GetString(std::string_view key, std::optional<std::string>* out) {
  JsonValue value = Get(key);
  if (!value.valid()) return absl::OkStatus();
  if (!value.is_string()) return Error(key, "must be a string");
  *out = std::string(value.string());
  return absl::OkStatus();
}

absl::Status ConfigObject::GetStringList(std::string_view key, std::vector<std::string>* out) {
  JsonValue value = Get(key);
  if (!value.valid()) return absl::OkStatus();
  if (!value.is_array()) return Error(key, "must be an array of strings");
  std::vector<std::string> list;
  for (JsonValue element : value.elements()) {
    if (!element.is_string()) return Error(key, "must be an array of strings");
    list.emplace_back(element.string());
  }
  *out = std::move(list);
  return absl::OkStatus();
}

absl::Status ConfigObject::GetBool(std::string_view key, bool* out) {
  JsonValue value = Get(key);
  if (!value.valid()) return absl::OkStatus();
  if (!value.is_bool()) return Error(key, "must be true or false");
  *out = value.bool_value();
  return absl::OkStatus();
}

absl::Status ConfigObject::GetDuration(std::string_view key,
                                       std::optional<absl::Duration>* out) {
  JsonValue value = Get(key);
  if (!value.valid()) return absl::OkStatus();
  if (!value.is_string()) return Error(key, "must be a duration string such as \"60s\"");
  absl::StatusOr<absl::Duration> duration = ParseConfigDuration(value.string());
  if (!duration.ok()) return Error(key, FromAbsl(duration.status().message()));
  *out = *duration;
  return absl::OkStatus();
}

absl::Status ConfigObject::GetDuration(std::string_view key, absl::Duration* out,
                                       DurationRange range) {
  std::optional<absl::Duration> value;
  if (absl::Status s = GetDuration(key, &value); !s.ok()) return s;
  if (!value) return absl::OkStatus();
  if (range != DurationRange::kAny &&
      (*value < absl::ZeroDuration() ||
       (range == DurationRange::kPositive && *value == absl::ZeroDuration()))) {
    return Error(key, range == DurationRange::kNonNegative ? "must not be negative"
                                                           : "must be positive");
  }
  *out = *value;
  return absl::OkStatus();
}

absl::Status ConfigObject::GetAlgorithms(std::string_view key, AlgorithmSet* out,
                                         const AlgorithmCheck& check) {
  std::vector<std::string> names;
  if (absl::Status s = GetStringList(key, &names); !s.ok()) return s;
  if (!value_.Find(key).valid()) return absl::OkStatus();
  if (names.empty()) return Error(key, "must not be empty");
  AlgorithmSet set;
  for (const std::string& name : names) {
    std::optional<Algorithm> alg = AlgorithmFromName(name);
    if (!alg) {
      return Error(key, StrCat("\"", name.substr(0, 32), "\" is not a supported JWS algorithm"));
    }
    if (check) {
      if (absl::Status s = check(name, *alg); !s.ok()) return s;
    }
    set.insert(*alg);
  }
  *out = set;
  return absl::OkStatus();
}

absl::Status ConfigObject::GetInteger(std::string_view key, int64_t min, int64_t max,
                                      int64_t* out) {
  JsonValue value = Get(key);
  if (!value.valid()) return absl::OkStatus();
  int64_t number = 0;
  if (!value.GetInt64(&number) || number < min || number > max) {
    return Error(key, StrCat("must be an integer from ", min, " to ", max));
  }
  *out = number;
  return absl::OkStatus();
}

absl::Status ConfigObject::CheckAllKeysKnown() const {
  for (JsonValue::Member member : value_.members()) {
    if (!known_.contains(ToAbsl(member.name))) return Error(member.name, "unknown key");
  }
  return absl::OkStatus();
}

}  // namespace authgate
