// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// config_object.h: typed, strict reading of one JSON object of a
// configuration document. Every error names the key by its full path, and
// keys nobody asked for are errors too (a typo must not be silently ignored).
//
//   absl::StatusOr<ConfigObject> obj = ConfigObject::Open(doc.root(), "");
//   bool require_exp = true;
//   if (absl::Status s = obj->GetBool("require_exp", &require_exp); !s.ok()) return s;
//   ...
//   if (absl::Status s = obj->CheckAllKeysKnown(); !s.ok()) return s;

#ifndef AUTHGATE_SRC_CONFIG_OBJECT_H_
#define AUTHGATE_SRC_CONFIG_OBJECT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jose/algorithm.h"
#include "jose/json.h"

namespace authgate {

class ConfigObject {
 public:
  // Open fails unless `value` is an object. `path` prefixes key names in
  // messages ("" for the root, "token_cache" for a nested object).
  static absl::StatusOr<ConfigObject> Open(JsonValue value, std::string path);

  // Each getter leaves *out unchanged when the key is absent and fails when
  // it is present with the wrong type or an invalid value.
  absl::Status GetString(std::string_view key, std::optional<std::string>* out);
  absl::Status GetStringList(std::string_view key, std::vector<std::string>* out);
  absl::Status GetBool(std::string_view key, bool* out);
  absl::Status GetDuration(std::string_view key, std::optional<absl::Duration>* out);
  // This GetDuration also fails, "must not be negative" or "must be
  // positive", on a value outside `range`.
  enum class DurationRange { kAny, kNonNegative, kPositive };
  absl::Status GetDuration(std::string_view key, absl::Duration* out,
                           DurationRange range = DurationRange::kAny);
  // GetAlgorithms reads a non-empty array of JWS algorithm names; `check`,
  // when given, vets each name in order once it is known to be supported.
  using AlgorithmCheck = std::function<absl::Status(const std::string& name, Algorithm alg)>;
  absl::Status GetAlgorithms(std::string_view key, AlgorithmSet* out,
                             const AlgorithmCheck& check = nullptr);
  absl::Status GetInteger(std::string_view key, int64_t min, int64_t max, int64_t* out);
  // Get returns the raw value (invalid when absent) and marks the key known.
  JsonValue Get(std::string_view key);

  // Error returns InvalidArgument "<path.key>: <message>".
  absl::Status Error(std::string_view key, std::string_view message) const;
  // Path returns "<path>.<key>" (or "<key>" at the root).
  std::string Path(std::string_view key) const;

  // CheckAllKeysKnown fails on the first member no getter asked for.
  absl::Status CheckAllKeysKnown() const;

 private:
  ConfigObject(JsonValue value, std::string path) : value_(value), path_(std::move(path)) {}

  JsonValue value_;
  std::string path_;
  absl::flat_hash_set<std::string> known_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_CONFIG_OBJECT_H_
