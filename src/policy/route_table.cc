// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/route_table.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "config_object.h"
#include "net/url.h"
#include "policy/path_normalizer.h"
#include "text.h"

namespace authgate {
namespace {

absl::Status PathError(std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(path, ": ", message));
}

// RFC 9110 5.6.2.
bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool EndsWithIgnoreCase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         EqualsIgnoreCase(text.substr(text.size() - suffix.size()), suffix);
}

// Validates a configured host (already lowercased): "[v6]" or dot-separated
// labels, optionally after "*.".
bool IsValidHostPattern(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
    });
  }
  if (host.substr(0, 2) == "*.") host.remove_prefix(2);
  return IsDomainName(host);
}

bool HostMatches(std::string_view pattern, std::string_view authority) {
  const std::string_view host = HostOfAuthority(authority);
  if (pattern.substr(0, 2) != "*.") return EqualsIgnoreCase(host, pattern);
  const std::string_view suffix = pattern.substr(1);  // ".example.com"
  if (host.size() <= suffix.size() || !EndsWithIgnoreCase(host, suffix)) return false;
  const std::string_view labels = host.substr(0, host.size() - suffix.size());
  return labels.front() != '.' && labels.back() != '.';
}

// A configured path or prefix must be in the form requests are normalised
// to; otherwise the rule could silently never match.
absl::Status CheckNormalized(const ConfigObject& match, std::string_view key,
                             std::string_view configured) {
  absl::StatusOr<std::string> normalized = NormalizePath(configured);
  if (!normalized.ok()) return match.Error(key, FromAbsl(normalized.status().message()));
  if (*normalized != configured) {
    std::string message = "must be in normalised form, ";
    JsonQuote(*normalized, &message);
    return match.Error(key, message);
  }
  return absl::OkStatus();
}

absl::Status ParseMethods(JsonValue methods, const std::string& path, RouteRule* rule) {
  if (!methods.is_array()) return PathError(path, "must be a list of method names");
  if (methods.size() == 0) return PathError(path, "must not be empty (omit it for any method)");
  size_t index = 0;
  for (JsonValue method : methods.elements()) {
    const std::string element_path = StrCat(path, "[", index++, "]");
    if (!method.is_string() || method.string().empty() ||
        !std::all_of(method.string().begin(), method.string().end(), IsTokenChar)) {
      return PathError(element_path, "must be an HTTP method name");
    }
    // Methods are case-sensitive (RFC 9110 9.1): "get" would never match a GET.
    if (!IsUpperCaseMethod(method.string())) {
      return PathError(element_path, "must be uppercase (methods are case-sensitive)");
    }
    rule->methods.emplace_back(method.string());
  }
  return absl::OkStatus();
}

absl::Status ParseMatch(JsonValue value, std::string path, bool case_insensitive_paths,
                        RouteRule* rule) {
  absl::StatusOr<ConfigObject> match = ConfigObject::Open(value, std::move(path));
  if (!match.ok()) return match.status();
  std::optional<std::string> exact, prefix, regex, host;
  if (absl::Status s = match->GetString("path", &exact); !s.ok()) return s;
  if (absl::Status s = match->GetString("prefix", &prefix); !s.ok()) return s;
  if (absl::Status s = match->GetString("regex", &regex); !s.ok()) return s;
  if (absl::Status s = match->GetString("host", &host); !s.ok()) return s;
  const JsonValue methods = match->Get("methods");
  if (absl::Status s = match->CheckAllKeysKnown(); !s.ok()) return s;

  if (exact.has_value() + prefix.has_value() + regex.has_value() > 1) {
    return match->Error(regex ? "regex" : "prefix", "give at most one of path, prefix, regex");
  }
  if (exact) {
    if (absl::Status s = CheckNormalized(*match, "path", *exact); !s.ok()) return s;
    rule->exact_path = std::move(exact);
  }
  if (prefix) {
    if (absl::Status s = CheckNormalized(*match, "prefix", *prefix); !s.ok()) return s;
    if (prefix->back() == '/') prefix->pop_back();
    rule->prefix = std::move(prefix);
  }
  if (regex) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!case_insensitive_paths);
    auto compiled = std::make_shared<const re2::RE2>(*regex, options);
    if (!compiled->ok()) {
      return match->Error("regex", StrCat("invalid regular expression: ", compiled->error()));
    }
    rule->regex = std::move(compiled);
  }
  if (methods.valid()) {
    if (absl::Status s = ParseMethods(methods, match->Path("methods"), rule); !s.ok()) return s;
  }
  if (host) {
    std::transform(host->begin(), host->end(), host->begin(), AsciiLower);
    if (!IsValidHostPattern(*host)) {
      return match->Error("host",
                          "must be a host name without port, optionally starting with \"*.\"");
    }
    rule->host = std::move(host);
  }
  return absl::OkStatus();
}

absl::Status ParseProviders(JsonValue list, const std::string& path,
                            const std::vector<std::string>& known_providers,
                            std::vector<std::string>* out) {
  if (!list.is_array()) return PathError(path, "must be a list of provider names");
  if (list.size() == 0) return PathError(path, "must not be empty");
  for (JsonValue name : list.elements()) {
    if (!name.is_string()) return PathError(path, "must be a list of provider names");
    const std::string_view provider = name.string();
    if (std::find(known_providers.begin(), known_providers.end(), provider) ==
        known_providers.end()) {
      std::string message = "unknown provider ";
      JsonQuote(provider, &message);
      return PathError(path, message);
    }
    if (std::find(out->begin(), out->end(), provider) != out->end()) {
      std::string message = "lists provider ";
      JsonQuote(provider, &message);
      return PathError(path, StrCat(message, " twice"));
    }
    out->emplace_back(provider);
  }
  return absl::OkStatus();
}

absl::Status ParseRequirement(JsonValue value, std::string path,
                              const std::vector<std::string>& known_providers, Requirement* out) {
  if (value.is_string()) {
    if (value.string() == "none") {
      out->kind = RequirementKind::kNone;
    } else if (value.string() == "login") {
      out->kind = RequirementKind::kLogin;
    } else {
      return PathError(path, "must be \"none\", \"login\" or an object such as {\"jwt\": [...]}");
    }
    return absl::OkStatus();
  }
  if (!value.is_object()) {
    return PathError(path, "must be \"none\", \"login\" or an object such as {\"jwt\": [...]}");
  }
  absl::StatusOr<ConfigObject> object = ConfigObject::Open(value, std::move(path));
  if (!object.ok()) return object.status();
  const JsonValue jwt = object->Get("jwt");
  const JsonValue jwt_all = object->Get("jwt_all");
  const JsonValue login_or_jwt = object->Get("login_or_jwt");
  const bool has_allow_missing = object->Get("allow_missing").valid();
  const bool has_allow_missing_or_failed = object->Get("allow_missing_or_failed").valid();
  if (absl::Status s = object->GetBool("allow_missing", &out->allow_missing); !s.ok()) return s;
  if (absl::Status s = object->GetBool("allow_missing_or_failed", &out->allow_missing_or_failed);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = object->CheckAllKeysKnown(); !s.ok()) return s;

  if (jwt.valid() + jwt_all.valid() + login_or_jwt.valid() != 1) {
    return object->Error(jwt_all.valid() ? "jwt_all" : "login_or_jwt",
                         "give exactly one of jwt, jwt_all, login_or_jwt");
  }
  std::string_view key = "jwt";
  JsonValue providers = jwt;
  out->kind = RequirementKind::kJwtAny;
  if (jwt_all.valid()) {
    key = "jwt_all";
    providers = jwt_all;
    out->kind = RequirementKind::kJwtAll;
  } else if (login_or_jwt.valid()) {
    key = "login_or_jwt";
    providers = login_or_jwt;
    out->kind = RequirementKind::kLoginOrJwt;
  }
  if (absl::Status s =
          ParseProviders(providers, object->Path(key), known_providers, &out->providers);
      !s.ok()) {
    return s;
  }
  if (out->kind != RequirementKind::kJwtAny) {
    if (has_allow_missing) {
      return object->Error("allow_missing", "only with \"jwt\" (any of the providers)");
    }
    if (has_allow_missing_or_failed) {
      return object->Error("allow_missing_or_failed", "only with \"jwt\" (any of the providers)");
    }
  }
  if (out->allow_missing && out->allow_missing_or_failed) {
    return object->Error("allow_missing_or_failed", "cannot be combined with allow_missing");
  }
  return absl::OkStatus();
}

absl::Status ParseRule(JsonValue value, size_t index, std::string_view path,
                       const std::vector<std::string>& known_providers,
                       bool case_insensitive_paths, RouteRule* rule) {
  const std::string rule_path = StrCat(path, "[", index, "]");
  absl::StatusOr<ConfigObject> object = ConfigObject::Open(value, rule_path);
  if (!object.ok()) return object.status();
  std::optional<std::string> name;
  if (absl::Status s = object->GetString("name", &name); !s.ok()) return s;
  const JsonValue match = object->Get("match");
  const JsonValue requirement = object->Get("requires");
  const JsonValue claims = object->Get("claims");
  if (absl::Status s = object->CheckAllKeysKnown(); !s.ok()) return s;

  if (name && name->empty()) return object->Error("name", "must not be empty");
  rule->name = name ? *name : rule_path;
  rule->case_insensitive_paths = case_insensitive_paths;
  if (match.valid()) {
    if (absl::Status s = ParseMatch(match, object->Path("match"), case_insensitive_paths, rule);
        !s.ok()) {
      return s;
    }
  }
  if (!requirement.valid()) {
    return object->Error("requires", "is required (\"none\" to let every request through)");
  }
  if (absl::Status s = ParseRequirement(requirement, object->Path("requires"), known_providers,
                                        &rule->requirement);
      !s.ok()) {
    return s;
  }
  if (claims.valid()) {
    const Requirement& required = rule->requirement;
    if (required.kind == RequirementKind::kNone) {
      return object->Error("claims", "a rule requiring \"none\" has no identity to check");
    }
    if (required.allow_missing || required.allow_missing_or_failed) {
      return object->Error("claims",
                           "not allowed with allow_missing or allow_missing_or_failed: a request "
                           "without a token would bypass them");
    }
    absl::StatusOr<std::vector<ClaimCondition>> conditions =
        ParseClaimConditions(claims, object->Path("claims"));
    if (!conditions.ok()) return conditions.status();
    rule->claims = std::move(*conditions);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsUpperCaseMethod(std::string_view method) {
  return !method.empty() && std::all_of(method.begin(), method.end(), [](char c) {
    return IsTokenChar(c) && !(c >= 'a' && c <= 'z');
  });
}

bool RouteRule::Matches(std::string_view method, std::string_view host_header,
                        std::string_view normalized_path) const {
  auto same = [this](std::string_view a, std::string_view b) {
    return case_insensitive_paths ? EqualsIgnoreCase(a, b) : a == b;
  };
  if (exact_path && !same(normalized_path, *exact_path)) return false;
  if (prefix && !prefix->empty()) {
    // Whole segments only: "/public" must not match "/publicity".
    if (!same(normalized_path.substr(0, prefix->size()), *prefix)) return false;
    if (normalized_path.size() > prefix->size() && normalized_path[prefix->size()] != '/') {
      return false;
    }
  }
  if (regex && !re2::RE2::FullMatch(
                   re2::StringPiece(normalized_path.data(), normalized_path.size()), *regex)) {
    return false;
  }
  if (!methods.empty() && std::find(methods.begin(), methods.end(), method) == methods.end()) {
    return false;
  }
  if (host && !HostMatches(*host, host_header)) return false;
  return true;
}

absl::StatusOr<RouteTable> RouteTable::Parse(JsonValue rules, std::string_view path,
                                             const std::vector<std::string>& known_providers,
                                             bool case_insensitive_paths) {
  if (!rules.is_array()) return PathError(path, "must be a list of rules");
  if (rules.size() == 0) {
    return PathError(path, "must not be empty (a request no rule matches is denied)");
  }
  RouteTable table;
  absl::flat_hash_set<std::string> names;
  size_t index = 0;
  for (JsonValue value : rules.elements()) {
    RouteRule rule;
    if (absl::Status s =
            ParseRule(value, index, path, known_providers, case_insensitive_paths, &rule);
        !s.ok()) {
      return s;
    }
    if (!names.insert(rule.name).second) {
      std::string message = "duplicate rule name ";
      JsonQuote(rule.name, &message);
      return PathError(StrCat(path, "[", index, "].name"), message);
    }
    table.rules_.push_back(std::move(rule));
    ++index;
  }
  return table;
}

const RouteRule* RouteTable::Match(std::string_view method, std::string_view host,
                                   std::string_view normalized_path) const {
  for (const RouteRule& rule : rules_) {
    if (rule.Matches(method, host, normalized_path)) return &rule;
  }
  return nullptr;
}

}  // namespace authgate
