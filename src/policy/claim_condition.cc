// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/claim_condition.h"

#include <utility>

#include "config_object.h"
#include "text.h"

namespace authgate {
namespace {

absl::Status PathError(std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(path, ": ", message));
}

absl::Status SplitDotted(std::string_view dotted, std::string_view path,
                         std::vector<std::string>* out) {
  out->clear();
  while (true) {
    const size_t dot = dotted.find('.');
    const std::string_view segment = dotted.substr(0, dot);
    if (segment.empty()) {
      return PathError(path,
                       "claim name has an empty segment (for a name containing dots, give the "
                       "segments as a list)");
    }
    out->emplace_back(segment);
    if (dot == std::string_view::npos) return absl::OkStatus();
    dotted.remove_prefix(dot + 1);
  }
}

absl::Status ReadValue(JsonValue json, std::string_view path, ClaimValue* out) {
  if (json.is_string()) {
    out->type = ClaimValue::Type::kString;
    out->text = std::string(json.string());
    return absl::OkStatus();
  }
  if (json.is_bool()) {
    out->type = ClaimValue::Type::kBool;
    out->boolean = json.bool_value();
    out->text = out->boolean ? "true" : "false";
    return absl::OkStatus();
  }
  if (json.is_number()) {
    if (!json.GetDouble(&out->number)) return PathError(path, "number out of range");
    out->type = ClaimValue::Type::kNumber;
    out->text = std::string(json.number_text());
    int64_t integer = 0;
    if (json.GetInt64(&integer)) out->integer = integer;
    return absl::OkStatus();
  }
  return PathError(path, "must be a string, a number or a boolean");
}

// Reads the one operator key of a condition object.
absl::Status ReadOperator(ConfigObject& object, std::string_view object_path, ClaimCondition* out) {
  const JsonValue equals = object.Get("equals");
  const JsonValue one_of = object.Get("one_of");
  const JsonValue contains = object.Get("contains");
  if (equals.valid() + one_of.valid() + contains.valid() != 1) {
    return PathError(object_path, "give exactly one of equals, one_of, contains");
  }
  if (one_of.valid()) {
    out->op = ClaimCondition::Op::kOneOf;
    if (!one_of.is_array()) return object.Error("one_of", "must be a list of values");
    if (one_of.size() == 0) return object.Error("one_of", "must not be empty");
    size_t index = 0;
    for (JsonValue element : one_of.elements()) {
      ClaimValue value;
      const std::string element_path = StrCat(object.Path("one_of"), "[", index++, "]");
      if (absl::Status s = ReadValue(element, element_path, &value); !s.ok()) return s;
      out->values.push_back(std::move(value));
    }
    return absl::OkStatus();
  }
  const bool is_equals = equals.valid();
  out->op = is_equals ? ClaimCondition::Op::kEquals : ClaimCondition::Op::kContains;
  const std::string key = is_equals ? "equals" : "contains";
  ClaimValue value;
  if (absl::Status s = ReadValue(is_equals ? equals : contains, object.Path(key), &value);
      !s.ok()) {
    return s;
  }
  if (!is_equals && value.type == ClaimValue::Type::kString && value.text.empty()) {
    return object.Error(key, "must not be an empty string");
  }
  out->values.push_back(std::move(value));
  return absl::OkStatus();
}

absl::Status ReadClaimName(JsonValue claim, std::string_view path, std::vector<std::string>* out) {
  if (claim.is_string()) return SplitDotted(claim.string(), path, out);
  if (!claim.is_array() || claim.size() == 0) {
    return PathError(path, "must be a dotted claim name or a non-empty list of name segments");
  }
  for (JsonValue segment : claim.elements()) {
    if (!segment.is_string() || segment.string().empty()) {
      return PathError(path, "name segments must be non-empty strings");
    }
    out->emplace_back(segment.string());
  }
  return absl::OkStatus();
}

JsonValue Lookup(JsonValue claims, const std::vector<std::string>& path) {
  JsonValue value = claims;
  for (const std::string& segment : path) {
    if (!value.is_object()) return JsonValue();
    value = value.Find(segment);
  }
  return value;
}

bool ScopeHasToken(std::string_view scope, std::string_view token) {
  while (!scope.empty()) {
    const size_t space = scope.find(' ');
    if (scope.substr(0, space) == token) return true;
    if (space == std::string_view::npos) break;
    scope.remove_prefix(space + 1);
  }
  return false;
}

bool Holds(const ClaimCondition& condition, JsonValue claim) {
  if (!claim.valid()) return false;
  switch (condition.op) {
    case ClaimCondition::Op::kEquals:
    case ClaimCondition::Op::kOneOf:
      for (const ClaimValue& value : condition.values) {
        if (value.Equals(claim)) return true;
      }
      return false;
    case ClaimCondition::Op::kContains: {
      const ClaimValue& value = condition.values.front();
      if (claim.is_array()) {
        for (JsonValue element : claim.elements()) {
          if (value.Equals(element)) return true;
        }
        return false;
      }
      return claim.is_string() && value.type == ClaimValue::Type::kString &&
             ScopeHasToken(claim.string(), value.text);
    }
  }
  return false;
}

void AppendValue(const ClaimValue& value, std::string* out) {
  if (value.type == ClaimValue::Type::kString) {
    JsonQuote(value.text, out);
  } else {
    out->append(value.text);
  }
}

}  // namespace

bool ClaimValue::Equals(JsonValue value) const {
  switch (type) {
    case Type::kString:
      return value.is_string() && value.string() == text;
    case Type::kBool:
      return value.is_bool() && value.bool_value() == boolean;
    case Type::kNumber: {
      if (!value.is_number()) return false;
      // Integers compare exactly: two large IDs that round to the same
      // double are still different IDs.
      int64_t claim_integer = 0;
      if (integer && value.GetInt64(&claim_integer)) return claim_integer == *integer;
      double claim_number = 0;
      return value.GetDouble(&claim_number) && claim_number == number;
    }
  }
  return false;
}

std::string ClaimCondition::PathText() const {
  bool dotted_names = false;
  for (const std::string& segment : path) dotted_names |= segment.find('.') != std::string::npos;
  std::string text;
  if (!dotted_names) {
    for (const std::string& segment : path) {
      if (!text.empty()) text.push_back('.');
      text.append(segment);
    }
    return text;
  }
  text.push_back('[');
  for (const std::string& segment : path) {
    if (text.size() > 1) text.push_back(',');
    JsonQuote(segment, &text);
  }
  text.push_back(']');
  return text;
}

std::string ClaimCondition::Describe() const {
  std::string text = PathText();
  switch (op) {
    case Op::kEquals:
      text.append(" equals ");
      AppendValue(values.front(), &text);
      break;
    case Op::kContains:
      text.append(" contains ");
      AppendValue(values.front(), &text);
      break;
    case Op::kOneOf:
      text.append(" one of [");
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) text.push_back(',');
        AppendValue(values[i], &text);
      }
      text.push_back(']');
      break;
  }
  return text;
}

absl::StatusOr<std::vector<ClaimCondition>> ParseClaimConditions(JsonValue claims,
                                                                 std::string_view path) {
  std::vector<ClaimCondition> conditions;
  if (claims.is_object()) {
    for (JsonValue::Member member : claims.members()) {
      const std::string member_path = StrCat(path, ".", member.name);
      ClaimCondition condition;
      if (absl::Status s = SplitDotted(member.name, member_path, &condition.path); !s.ok()) {
        return s;
      }
      absl::StatusOr<ConfigObject> object = ConfigObject::Open(member.value, member_path);
      if (!object.ok()) return object.status();
      if (absl::Status s = ReadOperator(*object, member_path, &condition); !s.ok()) return s;
      if (absl::Status s = object->CheckAllKeysKnown(); !s.ok()) return s;
      conditions.push_back(std::move(condition));
    }
  } else if (claims.is_array()) {
    size_t index = 0;
    for (JsonValue element : claims.elements()) {
      const std::string element_path = StrCat(path, "[", index++, "]");
      absl::StatusOr<ConfigObject> object = ConfigObject::Open(element, element_path);
      if (!object.ok()) return object.status();
      ClaimCondition condition;
      const JsonValue claim = object->Get("claim");
      if (!claim.valid()) return object->Error("claim", "is required");
      if (absl::Status s = ReadClaimName(claim, object->Path("claim"), &condition.path); !s.ok()) {
        return s;
      }
      if (absl::Status s = ReadOperator(*object, element_path, &condition); !s.ok()) return s;
      if (absl::Status s = object->CheckAllKeysKnown(); !s.ok()) return s;
      conditions.push_back(std::move(condition));
    }
  } else {
    return PathError(path, "must be an object or a list of conditions");
  }
  if (conditions.empty()) return PathError(path, "must not be empty");
  return conditions;
}

bool ClaimsSatisfied(JsonValue claims, const std::vector<ClaimCondition>& conditions,
                     std::string* unmet) {
  for (const ClaimCondition& condition : conditions) {
    if (!Holds(condition, Lookup(claims, condition.path))) {
      if (unmet != nullptr) *unmet = condition.PathText();
      return false;
    }
  }
  return true;
}

}  // namespace authgate
