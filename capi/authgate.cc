// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI: argument checks and conversions between C and the core, and
// nothing else. No exception leaves this file.

#include "authgate/authgate.h"
#include "internal.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "jose/jws.h"
#include "jwt/jwt_verifier.h"
#include "jwt/verifier_config.h"
#include "jose/json.h"
#include "engine/decision.h"
#include "net/http_client.h"
#include "reason.h"
#include "text.h"

static_assert(static_cast<uint32_t>(authgate::Reason::kLifetimeTooLong) ==
                      AUTHGATE_REASON_LIFETIME_TOO_LONG &&
                  static_cast<uint32_t>(authgate::Reason::kProviderUnavailable) ==
                      AUTHGATE_REASON_PROVIDER_UNAVAILABLE &&
                  static_cast<uint32_t>(authgate::Reason::kInvalidMethod) ==
                      AUTHGATE_REASON_INVALID_METHOD &&
                  static_cast<uint32_t>(authgate::Reason::kRateLimited) ==
                      AUTHGATE_REASON_RATE_LIMITED &&
                  authgate::kMaxReason == AUTHGATE_REASON_RATE_LIMITED,
              "the C reasons must mirror authgate::Reason");

struct authgate_verifier {
  std::unique_ptr<authgate::JwtVerifier> verifier;
  std::vector<std::string> warnings;
};

struct authgate_result {
  authgate::VerifiedToken token;
  std::string claims_json;  // NUL-terminated copies for the C caller
  std::string header_json;
  std::string key_id;
  std::optional<std::string> subject;
  std::optional<std::string> issuer;
};

namespace {

using authgate::capi::CopyOut;
using authgate::capi::Fail;
using authgate::capi::Guard;
using authgate::capi::kOutOfMemory;
using authgate::capi::Ok;

// LookUpClaim checks the arguments every claim getter shares and finds the
// claim `name` in *value: AUTHGATE_OK, or the failure already reported.
template <typename Out>
authgate_status LookUpClaim(Out* out, const authgate_result* result, const char* name,
                            size_t name_len, authgate_error** error, authgate::JsonValue* value) {
  if (out == nullptr || result == nullptr || (name == nullptr && name_len != 0)) {
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_value and result must not be NULL");
  }
  *value = result->token.claims().Find(std::string_view(name == nullptr ? "" : name, name_len));
  if (!value->valid()) return Fail(error, AUTHGATE_NOT_FOUND, "no such claim");
  return AUTHGATE_OK;
}

std::optional<std::string> StringClaim(const authgate::VerifiedToken& token,
                                       std::string_view name) {
  authgate::JsonValue value = token.claims().Find(name);
  if (!value.is_string()) return std::nullopt;
  return std::string(value.string());
}

std::unique_ptr<authgate_result> MakeResult(authgate::VerifiedToken verified) {
  auto result = std::make_unique<authgate_result>();
  result->claims_json = std::string(verified.claims_json());
  result->header_json = std::string(verified.header_json());
  if (verified.key_id()) result->key_id = *verified.key_id();
  result->subject = StringClaim(verified, "sub");
  result->issuer = StringClaim(verified, "iss");
  result->token = std::move(verified);
  return result;
}

void AppendJsonNumber(std::string* out, double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3f", value);
  *out += buffer;
}

std::string StatsJson(const authgate::JwtVerifier& verifier) {
  std::string json = "{\"sources\":[";
  bool first = true;
  for (const authgate::KeyProvider& provider : verifier.providers()) {
    authgate::KeySourceStats stats = provider.keys->Stats();
    json += first ? "{" : ",{";
    first = false;
    json += "\"location\":";
    authgate::JsonQuote(stats.location, &json);
    json += ",\"issuer\":";
    if (provider.issuer) {
      authgate::JsonQuote(*provider.issuer, &json);
    } else {
      json += "null";
    }
    json += authgate::StrCat(",\"keys\":", stats.key_count,
                             ",\"fetch_successes\":", stats.fetch_successes,
                             ",\"fetch_failures\":", stats.fetch_failures,
                             ",\"last_success_unix\":");
    json += stats.last_success ? std::to_string(absl::ToUnixSeconds(*stats.last_success)) : "null";
    json += ",\"age_seconds\":";
    if (stats.age) {
      AppendJsonNumber(&json, absl::ToDoubleSeconds(*stats.age));
    } else {
      json += "null";
    }
    json += ",\"last_error\":";
    authgate::JsonQuote(stats.last_error, &json);
    json += ",\"warnings\":[";
    for (size_t i = 0; i < stats.warnings.size(); ++i) {
      if (i > 0) json += ",";
      authgate::JsonQuote(stats.warnings[i], &json);
    }
    json += "]}";
  }
  const authgate::TokenCache& cache = verifier.cache();
  json += authgate::StrCat("],\"token_cache\":{\"entries\":", cache.size(),
                           ",\"hits\":", cache.hits(), ",\"misses\":", cache.misses(), "}}");
  return json;
}

authgate_status Verify(authgate_result** out_result, authgate_verifier* verifier,
                       const char* token, size_t token_len, absl::Time now,
                       authgate_error** error) {
  if (out_result != nullptr) *out_result = nullptr;
  if (verifier == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "verifier is NULL");
  if (token == nullptr && token_len != 0) {
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "token is NULL");
  }
  return Guard(error, [&]() -> authgate_status {
    std::string_view text(token == nullptr ? "" : token, token_len);
    authgate::VerifiedToken verified;
    authgate::Rejection why;
    if (!verifier->verifier->Verify(text, now, out_result ? &verified : nullptr, &why)) {
      return Fail(error, AUTHGATE_REJECTED, why.detail, static_cast<authgate_reason>(why.reason));
    }
    if (out_result != nullptr) *out_result = MakeResult(std::move(verified)).release();
    return Ok(error);
  });
}

}  // namespace

extern "C" {

const char* authgate_version(void) { return AUTHGATE_VERSION_TEXT; }

uint32_t authgate_version_num(void) { return AUTHGATE_VERSION_NUM; }

const char* authgate_status_name(authgate_status status) {
  switch (authgate::capi::EnumValue(status)) {
    case AUTHGATE_OK: return "ok";
    case AUTHGATE_REJECTED: return "rejected";
    case AUTHGATE_INVALID_ARGUMENT: return "invalid_argument";
    case AUTHGATE_INVALID_CONFIG: return "invalid_config";
    case AUTHGATE_OUT_OF_MEMORY: return "out_of_memory";
    case AUTHGATE_TIMEOUT: return "timeout";
    case AUTHGATE_NOT_FOUND: return "not_found";
    case AUTHGATE_WRONG_TYPE: return "wrong_type";
    case AUTHGATE_INTERNAL: return "internal";
    case AUTHGATE_PENDING: return "pending";
    case AUTHGATE_CANCELLED: return "cancelled";
  }
  return "unknown";
}

authgate_status authgate_global_init(authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    absl::Status status = authgate::InitHttpGlobally();
    if (!status.ok()) {
      return Fail(error, AUTHGATE_INTERNAL, authgate::FromAbsl(status.message()));
    }
    return Ok(error);
  });
}

const char* authgate_reason_name(authgate_reason reason) {
  // ReasonName returns views of string literals: NUL-terminated.
  return authgate::ReasonName(static_cast<authgate::Reason>(authgate::capi::EnumValue(reason)))
      .data();
}

authgate_status authgate_error_status(const authgate_error* error) {
  return error == nullptr ? AUTHGATE_OK : error->status;
}

authgate_reason authgate_error_reason(const authgate_error* error) {
  return error == nullptr ? AUTHGATE_REASON_NONE : error->reason;
}

const char* authgate_error_message(const authgate_error* error) {
  return error == nullptr ? "" : error->message.c_str();
}

void authgate_error_free(authgate_error* error) {
  if (error != nullptr && !error->is_static) delete error;
}

authgate_status authgate_verifier_new(authgate_verifier** out_verifier, const char* config,
                                      size_t config_len, authgate_error** error) {
  if (out_verifier == nullptr) {
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_verifier is NULL");
  }
  *out_verifier = nullptr;
  if (config == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "config is NULL");
  return Guard(error, [&]() -> authgate_status {
    absl::StatusOr<authgate::VerifierConfig> parsed =
        authgate::ParseVerifierConfig(std::string_view(config, config_len));
    if (!parsed.ok()) {
      return Fail(error, AUTHGATE_INVALID_CONFIG, authgate::FromAbsl(parsed.status().message()));
    }
    std::vector<std::string> warnings;
    for (const authgate::ProviderSpec& spec : parsed->providers) {
      if (spec.inline_keys) {
        warnings.insert(warnings.end(), spec.inline_keys->warnings.begin(),
                        spec.inline_keys->warnings.end());
      }
    }
    absl::StatusOr<std::unique_ptr<authgate::JwtVerifier>> verifier =
        authgate::BuildVerifier(std::move(*parsed));
    if (!verifier.ok()) {
      return Fail(error, AUTHGATE_INVALID_CONFIG, authgate::FromAbsl(verifier.status().message()));
    }
    auto handle = std::make_unique<authgate_verifier>();
    handle->verifier = std::move(*verifier);
    handle->warnings = std::move(warnings);
    *out_verifier = handle.release();
    return Ok(error);
  });
}

void authgate_verifier_free(authgate_verifier* verifier) { delete verifier; }

size_t authgate_verifier_warning_count(const authgate_verifier* verifier) {
  return verifier == nullptr ? 0 : verifier->warnings.size();
}

const char* authgate_verifier_warning(const authgate_verifier* verifier, size_t index) {
  if (verifier == nullptr || index >= verifier->warnings.size()) return nullptr;
  return verifier->warnings[index].c_str();
}

size_t authgate_verifier_key_count(const authgate_verifier* verifier) {
  if (verifier == nullptr) return 0;
  size_t count = 0;
  for (const authgate::KeyProvider& provider : verifier->verifier->providers()) {
    if (const authgate::KeySet* keys = provider.keys->Keys()) count += keys->size();
  }
  return count;
}

authgate_status authgate_verifier_verify(authgate_result** out_result,
                                         authgate_verifier* verifier, const char* token,
                                         size_t token_len, authgate_error** error) {
  return Verify(out_result, verifier, token, token_len, absl::Now(), error);
}

authgate_status authgate_verifier_verify_at(authgate_result** out_result,
                                            authgate_verifier* verifier, const char* token,
                                            size_t token_len, int64_t now_unix,
                                            authgate_error** error) {
  return Verify(out_result, verifier, token, token_len, absl::FromUnixSeconds(now_unix), error);
}

void authgate_result_free(authgate_result* result) { delete result; }

const char* authgate_result_claims_json(const authgate_result* result, size_t* out_len) {
  if (result == nullptr) return nullptr;
  if (out_len != nullptr) *out_len = result->claims_json.size();
  return result->claims_json.c_str();
}

const char* authgate_result_header_json(const authgate_result* result, size_t* out_len) {
  if (result == nullptr) return nullptr;
  if (out_len != nullptr) *out_len = result->header_json.size();
  return result->header_json.c_str();
}

const char* authgate_result_algorithm(const authgate_result* result) {
  if (result == nullptr) return nullptr;
  // Algorithm names are string literals: NUL-terminated.
  return authgate::AlgorithmName(result->token.algorithm()).data();
}

const char* authgate_result_key_id(const authgate_result* result) {
  return result == nullptr ? nullptr : result->key_id.c_str();
}

authgate_status authgate_result_claim_string(const char** out_value, size_t* out_len,
                                             const authgate_result* result, const char* name,
                                             size_t name_len, authgate_error** error) {
  authgate::JsonValue value;
  authgate_status status = LookUpClaim(out_value, result, name, name_len, error, &value);
  if (status != AUTHGATE_OK) return status;
  if (out_len == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_len is NULL");
  if (!value.is_string()) return Fail(error, AUTHGATE_WRONG_TYPE, "the claim is not a string");
  *out_value = value.string().data();
  *out_len = value.string().size();
  return Ok(error);
}

authgate_status authgate_result_claim_number(double* out_value, const authgate_result* result,
                                             const char* name, size_t name_len,
                                             authgate_error** error) {
  authgate::JsonValue value;
  authgate_status status = LookUpClaim(out_value, result, name, name_len, error, &value);
  if (status != AUTHGATE_OK) return status;
  if (!value.is_number() || !value.GetDouble(out_value)) {
    return Fail(error, AUTHGATE_WRONG_TYPE, "the claim is not a finite number");
  }
  return Ok(error);
}

authgate_status authgate_result_claim_int64(int64_t* out_value, const authgate_result* result,
                                            const char* name, size_t name_len,
                                            authgate_error** error) {
  authgate::JsonValue value;
  authgate_status status = LookUpClaim(out_value, result, name, name_len, error, &value);
  if (status != AUTHGATE_OK) return status;
  if (!value.is_number() || !value.GetInt64(out_value)) {
    return Fail(error, AUTHGATE_WRONG_TYPE, "the claim is not an integer within int64 range");
  }
  return Ok(error);
}

authgate_status authgate_result_claim_json(char** out_json, size_t* out_len,
                                           const authgate_result* result, const char* name,
                                           size_t name_len, authgate_error** error) {
  if (out_json != nullptr) *out_json = nullptr;
  authgate::JsonValue value;
  authgate_status status = LookUpClaim(out_json, result, name, name_len, error, &value);
  if (status != AUTHGATE_OK) return status;
  std::string_view raw = value.raw_text();
  char* copy = CopyOut(raw);
  if (copy == nullptr) return Fail(error, AUTHGATE_OUT_OF_MEMORY, "out of memory");
  *out_json = copy;
  if (out_len != nullptr) *out_len = raw.size();
  return Ok(error);
}

const char* authgate_result_subject(const authgate_result* result) {
  return result == nullptr || !result->subject ? nullptr : result->subject->c_str();
}

const char* authgate_result_issuer(const authgate_result* result) {
  return result == nullptr || !result->issuer ? nullptr : result->issuer->c_str();
}

int64_t authgate_result_expires_at(const authgate_result* result) {
  if (result == nullptr) return -1;
  double exp = 0;
  authgate::JsonValue value = result->token.claims().Find("exp");
  if (!value.GetDouble(&exp)) return -1;
  return static_cast<int64_t>(std::floor(exp));
}

authgate_status authgate_token_decode(char** out_header, size_t* out_header_len,
                                      char** out_payload, size_t* out_payload_len,
                                      const char* token, size_t token_len,
                                      authgate_error** error) {
  if (out_header == nullptr || out_payload == nullptr) {
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_header and out_payload must not be NULL");
  }
  *out_header = nullptr;
  *out_payload = nullptr;
  if (token == nullptr && token_len != 0) {
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "token is NULL");
  }
  return Guard(error, [&]() -> authgate_status {
    std::string_view text(token == nullptr ? "" : token, token_len);
    authgate::ParsedJws jws;
    authgate::Rejection why;
    std::string payload;
    if (!authgate::ParsedJws::Parse(text, &jws, &why) || !jws.DecodePayload(&payload, &why)) {
      return Fail(error, AUTHGATE_REJECTED, why.detail, static_cast<authgate_reason>(why.reason));
    }
    char* header = CopyOut(jws.header().text());
    char* body = CopyOut(payload);
    if (header == nullptr || body == nullptr) {
      std::free(header);
      std::free(body);
      if (error != nullptr) *error = &kOutOfMemory;
      return AUTHGATE_OUT_OF_MEMORY;
    }
    *out_header = header;
    *out_payload = body;
    if (out_header_len != nullptr) *out_header_len = jws.header().text().size();
    if (out_payload_len != nullptr) *out_payload_len = payload.size();
    return Ok(error);
  });
}

authgate_status authgate_verifier_verify_async(authgate_result** out_result,
                                               authgate_verifier* verifier, const char* token,
                                               size_t token_len,
                                               authgate_verify_callback callback,
                                               void* userdata, authgate_error** error) {
  if (out_result != nullptr) *out_result = nullptr;
  if (verifier == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "verifier is NULL");
  if (callback == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "callback is NULL");
  if (token == nullptr && token_len != 0) {
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "token is NULL");
  }
  return Guard(error, [&]() -> authgate_status {
    std::string_view text(token == nullptr ? "" : token, token_len);
    bool valid = false;
    authgate::VerifiedToken verified;
    authgate::Rejection why;
    auto done = [callback, userdata](absl::Status outcome, bool ok, authgate::VerifiedToken late,
                                     authgate::Rejection late_why) {
      authgate_result* result = nullptr;
      authgate_error* late_error = nullptr;
      authgate_status status = Guard(&late_error, [&]() -> authgate_status {
        if (!outcome.ok()) {
          return Fail(&late_error, AUTHGATE_CANCELLED,
                      "the verifier was freed before the verdict was known");
        }
        if (!ok) {
          return Fail(&late_error, AUTHGATE_REJECTED, late_why.detail,
                      static_cast<authgate_reason>(late_why.reason));
        }
        result = MakeResult(std::move(late)).release();
        return AUTHGATE_OK;
      });
      callback(status, result, late_error, userdata);
    };
    bool final = verifier->verifier->VerifyAsync(text, &valid, out_result ? &verified : nullptr,
                                                 &why, std::move(done));
    if (!final) {
      if (error != nullptr) *error = nullptr;
      return AUTHGATE_PENDING;
    }
    if (!valid) {
      return Fail(error, AUTHGATE_REJECTED, why.detail, static_cast<authgate_reason>(why.reason));
    }
    if (out_result != nullptr) *out_result = MakeResult(std::move(verified)).release();
    return Ok(error);
  });
}

authgate_status authgate_verifier_wait_ready(authgate_verifier* verifier, uint32_t timeout_ms,
                                             authgate_error** error) {
  if (verifier == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "verifier is NULL");
  return Guard(error, [&]() -> authgate_status {
    if (verifier->verifier->WaitReady(absl::Milliseconds(timeout_ms))) return Ok(error);
    std::string why = "key sources not ready";
    for (const authgate::KeyProvider& provider : verifier->verifier->providers()) {
      authgate::KeySourceStats stats = provider.keys->Stats();
      if (stats.key_count == 0) {
        why += authgate::StrCat("; ", stats.location, ": ",
                                stats.last_error.empty() ? "no answer yet" : stats.last_error);
      }
    }
    return Fail(error, AUTHGATE_TIMEOUT, why);
  });
}

authgate_status authgate_verifier_refresh(authgate_verifier* verifier, authgate_error** error) {
  if (verifier == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "verifier is NULL");
  return Guard(error, [&]() -> authgate_status {
    verifier->verifier->Refresh();
    return Ok(error);
  });
}

authgate_status authgate_verifier_stats_json(char** out_json, size_t* out_len,
                                             const authgate_verifier* verifier,
                                             authgate_error** error) {
  if (out_json == nullptr || verifier == nullptr) {
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_json and verifier must not be NULL");
  }
  *out_json = nullptr;
  return Guard(error, [&]() -> authgate_status {
    std::string json = StatsJson(*verifier->verifier);
    char* copy = CopyOut(json);
    if (copy == nullptr) return Fail(error, AUTHGATE_OUT_OF_MEMORY, "out of memory");
    *out_json = copy;
    if (out_len != nullptr) *out_len = json.size();
    return Ok(error);
  });
}

const char* authgate_counter_name(authgate_counter_set set, size_t index) {
  switch (authgate::capi::EnumValue(set)) {
    case AUTHGATE_COUNTERS_OUTCOMES:
      if (index >= static_cast<size_t>(authgate::kOutcomeCount)) return nullptr;
      // OutcomeName returns views of string literals: NUL-terminated.
      return authgate::OutcomeName(static_cast<authgate::Outcome>(index)).data();
    case AUTHGATE_COUNTERS_REASONS:
      if (index > authgate::kMaxReason) return nullptr;
      return authgate::ReasonName(static_cast<authgate::Reason>(index)).data();
    case AUTHGATE_COUNTERS_ENGINE:
      return index < std::size(authgate::capi::kEngineCounterNames)
                 ? authgate::capi::kEngineCounterNames[index]
                 : nullptr;
    case AUTHGATE_COUNTERS_VERIFIER:
      return index < std::size(authgate::capi::kVerifierCounterNames)
                 ? authgate::capi::kVerifierCounterNames[index]
                 : nullptr;
  }
  return nullptr;
}

authgate_status authgate_verifier_counters(uint64_t* out_values, size_t capacity,
                                           size_t* out_count, const authgate_verifier* verifier,
                                           authgate_counter_set set, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_count == nullptr || verifier == nullptr || (out_values == nullptr && capacity != 0)) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT,
                  "out_count and verifier must not be NULL, nor out_values with a capacity");
    }
    if (authgate::capi::EnumValue(set) != AUTHGATE_COUNTERS_VERIFIER) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "not a counter set of a verifier");
    }
    uint64_t keys = 0, successes = 0, failures = 0;
    for (const authgate::KeyProvider& provider : verifier->verifier->providers()) {
      authgate::KeySourceStats stats = provider.keys->Stats();
      keys += stats.key_count;
      successes += stats.fetch_successes;
      failures += stats.fetch_failures;
    }
    const authgate::TokenCache& cache = verifier->verifier->cache();
    // The order of authgate::capi::kVerifierCounterNames.
    std::vector<uint64_t> values = {keys,         successes,    failures,
                                    cache.size(), cache.hits(), cache.misses()};
    authgate::capi::CopyCounters(values, out_values, capacity, out_count);
    return Ok(error);
  });
}

void authgate_string_free(char* text) { std::free(text); }

}  // extern "C"
