// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI of the decision engine, the request and decision objects, and
// the cookie signer: argument checks and conversions only.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "authgate/authgate.h"
#include "engine/decision.h"
#include "engine/engine.h"
#include "engine/request.h"
#include "internal.h"
#include "jose/json.h"
#include "session/cookie_keys.h"
#include "session/signed_value.h"
#include "text.h"

struct authgate_engine {
  std::unique_ptr<authgate::Engine> engine;
};

struct authgate_request {
  authgate::Request request;
};

struct authgate_decision {
  authgate::Decision decision;
};

struct authgate_cookie_signer {
  std::shared_ptr<const authgate::CookieKeys> keys;
};

namespace authgate::capi {
namespace {

authgate_decision* NewDecisionOrNull(authgate::Decision&& decision) {
  return new (std::nothrow) authgate_decision{std::move(decision)};
}

}  // namespace

authgate_decision* (*new_decision)(authgate::Decision&& decision) = NewDecisionOrNull;

}  // namespace authgate::capi

namespace {

using authgate::capi::CopyOut;
using authgate::capi::Fail;
using authgate::capi::Guard;
using authgate::capi::Ok;

const char* Borrow(const std::string& text, size_t* out_len) {
  if (out_len != nullptr) *out_len = text.size();
  return text.c_str();
}

// View of (ptr, len) that accepts (NULL, 0).
bool View(const char* ptr, size_t len, std::string_view* out) {
  if (ptr == nullptr && len != 0) return false;
  *out = ptr == nullptr ? std::string_view() : std::string_view(ptr, len);
  return true;
}

const std::vector<std::pair<std::string, std::string>>* HeaderList(
    const authgate_decision* decision, authgate_header_list list) {
  switch (authgate::capi::EnumValue(list)) {
    case AUTHGATE_HEADERS_SET: return &decision->decision.set_headers;
    case AUTHGATE_HEADERS_RESPONSE: return &decision->decision.response_headers;
    case AUTHGATE_HEADERS_REMOVE: return nullptr;
  }
  return nullptr;
}

authgate_status VerifyCookie(char** out_value, size_t* out_len,
                             const authgate_cookie_signer* signer, const char* name,
                             size_t name_len, const char* host, size_t host_len, const char* text,
                             size_t text_len, absl::Time now, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_value != nullptr) *out_value = nullptr;
    std::string_view n, h, t;
    if (out_value == nullptr || signer == nullptr || !View(name, name_len, &n) ||
        !View(host, host_len, &h) || !View(text, text_len, &t)) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_value and signer must not be NULL");
    }
    std::string value;
    authgate::Rejection why;
    if (!authgate::VerifySignedValue(*signer->keys, authgate::CookieBinding{n, h}, now, t, &value,
                                     &why)) {
      return Fail(error, AUTHGATE_REJECTED, why.detail, static_cast<authgate_reason>(why.reason));
    }
    *out_value = CopyOut(value);
    if (*out_value == nullptr) return Fail(error, AUTHGATE_OUT_OF_MEMORY, "out of memory");
    if (out_len != nullptr) *out_len = value.size();
    return Ok(error);
  });
}

}  // namespace

extern "C" {

authgate_status authgate_engine_new(authgate_engine** out_engine, const char* config,
                                    size_t config_len, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_engine != nullptr) *out_engine = nullptr;
    std::string_view text;
    if (out_engine == nullptr || config == nullptr || !View(config, config_len, &text)) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_engine and config must not be NULL");
    }
    absl::StatusOr<std::unique_ptr<authgate::Engine>> engine = authgate::Engine::Create(text);
    if (!engine.ok()) {
      return Fail(error, AUTHGATE_INVALID_CONFIG, authgate::FromAbsl(engine.status().message()));
    }
    *out_engine = new authgate_engine{std::move(*engine)};
    return Ok(error);
  });
}

void authgate_engine_free(authgate_engine* engine) { delete engine; }

authgate_status authgate_engine_ready(int* out_ready, const authgate_engine* engine,
                                      authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_ready == nullptr || engine == nullptr) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_ready and engine must not be NULL");
    }
    *out_ready = engine->engine->Ready() ? 1 : 0;
    return Ok(error);
  });
}

authgate_status authgate_engine_wait_ready(const authgate_engine* engine, uint32_t timeout_ms,
                                           authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (engine == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "engine is NULL");
    if (!engine->engine->WaitReady(absl::Milliseconds(timeout_ms))) {
      return Fail(error, AUTHGATE_TIMEOUT, "the engine is not ready (keys or discovery)");
    }
    return Ok(error);
  });
}

size_t authgate_engine_warning_count(const authgate_engine* engine) {
  return engine == nullptr ? 0 : engine->engine->warnings().size();
}

const char* authgate_engine_warning(const authgate_engine* engine, size_t index) {
  if (engine == nullptr || index >= engine->engine->warnings().size()) return nullptr;
  return engine->engine->warnings()[index].c_str();
}

authgate_status authgate_engine_key_error(char** out_provider, char** out_error,
                                          const authgate_engine* engine, size_t index,
                                          authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_provider != nullptr) *out_provider = nullptr;
    if (out_error != nullptr) *out_error = nullptr;
    if (out_provider == nullptr || out_error == nullptr || engine == nullptr) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT,
                  "out_provider, out_error and engine must not be NULL");
    }
    std::optional<std::pair<std::string, std::string>> state = engine->engine->KeyError(index);
    if (!state) return Fail(error, AUTHGATE_NOT_FOUND, "no jwt provider with this index");
    char* provider = CopyOut(state->first);
    char* text = CopyOut(state->second);
    if (provider == nullptr || text == nullptr) {
      std::free(provider);
      std::free(text);
      return Fail(error, AUTHGATE_OUT_OF_MEMORY, "out of memory");
    }
    *out_provider = provider;
    *out_error = text;
    return Ok(error);
  });
}

authgate_status authgate_engine_counters(uint64_t* out_values, size_t capacity,
                                         size_t* out_count, const authgate_engine* engine,
                                         authgate_counter_set set, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_count == nullptr || engine == nullptr || (out_values == nullptr && capacity != 0)) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT,
                  "out_count and engine must not be NULL, nor out_values with a capacity");
    }
    authgate::EngineStats stats = engine->engine->Stats();
    std::vector<uint64_t> values;
    switch (authgate::capi::EnumValue(set)) {
      case AUTHGATE_COUNTERS_OUTCOMES:
        values.assign(stats.outcomes.begin(), stats.outcomes.end());
        break;
      case AUTHGATE_COUNTERS_REASONS:
        values.assign(stats.reasons.begin(), stats.reasons.end());
        break;
      case AUTHGATE_COUNTERS_ENGINE:
        // The order of authgate::capi::kEngineCounterNames.
        values = {stats.logins_started,       stats.logins_completed,
                  stats.logins_failed,        stats.refreshes,
                  stats.refresh_failures,     stats.jwks_fetch_successes,
                  stats.jwks_fetch_failures,  stats.token_cache_hits,
                  stats.token_cache_misses};
        break;
      default:
        return Fail(error, AUTHGATE_INVALID_ARGUMENT, "not a counter set of an engine");
    }
    authgate::capi::CopyCounters(values, out_values, capacity, out_count);
    return Ok(error);
  });
}

authgate_status authgate_request_new(authgate_request** out_request, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_request == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_request is NULL");
    *out_request = new authgate_request();
    return Ok(error);
  });
}

void authgate_request_free(authgate_request* request) { delete request; }

authgate_status authgate_request_set(authgate_request* request, authgate_request_field field,
                                     const char* value, size_t len, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    std::string_view text;
    if (request == nullptr || !View(value, len, &text)) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "request and value must not be NULL");
    }
    authgate::Request& r = request->request;
    switch (authgate::capi::EnumValue(field)) {
      case AUTHGATE_REQUEST_METHOD: r.method.assign(text); return Ok(error);
      case AUTHGATE_REQUEST_SCHEME: r.scheme.assign(text); return Ok(error);
      case AUTHGATE_REQUEST_AUTHORITY: r.authority.assign(text); return Ok(error);
      case AUTHGATE_REQUEST_TARGET: r.target.assign(text); return Ok(error);
      case AUTHGATE_REQUEST_CLIENT_ADDRESS: r.client_address.assign(text); return Ok(error);
    }
    return Fail(error, AUTHGATE_INVALID_ARGUMENT, "unknown request field");
  });
}

authgate_status authgate_request_add_header(authgate_request* request, const char* name,
                                            size_t name_len, const char* value, size_t value_len,
                                            authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    std::string_view n, v;
    if (request == nullptr || !View(name, name_len, &n) || !View(value, value_len, &v)) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "request, name and value must not be NULL");
    }
    request->request.headers.emplace_back(std::string(n), std::string(v));
    return Ok(error);
  });
}

authgate_status authgate_engine_evaluate(authgate_decision** out_decision,
                                         const authgate_engine* engine,
                                         const authgate_request* request, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_decision != nullptr) *out_decision = nullptr;
    if (out_decision == nullptr || engine == nullptr || request == nullptr) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT,
                  "out_decision, engine and request must not be NULL");
    }
    auto decision = std::make_unique<authgate_decision>();
    decision->decision = engine->engine->Evaluate(request->request);
    *out_decision = decision.release();
    return Ok(error);
  });
}

authgate_status authgate_engine_evaluate_async(authgate_decision** out_decision,
                                               const authgate_engine* engine,
                                               const authgate_request* request,
                                               authgate_decision_callback callback,
                                               void* userdata, authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_decision != nullptr) *out_decision = nullptr;
    if (out_decision == nullptr || engine == nullptr || request == nullptr ||
        callback == nullptr) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT,
                  "out_decision, engine, request and callback must not be NULL");
    }
    auto decision = std::make_unique<authgate_decision>();
    bool now = engine->engine->EvaluateAsync(
        request->request, &decision->decision,
        [callback, userdata](absl::StatusOr<authgate::Decision> later) {
          if (!later.ok()) {  // Cancelled: the engine was freed first
            callback(AUTHGATE_CANCELLED, nullptr, userdata);
            return;
          }
          authgate_decision* answer = authgate::capi::new_decision(std::move(*later));
          callback(answer == nullptr ? AUTHGATE_OUT_OF_MEMORY : AUTHGATE_OK, answer, userdata);
        });
    if (!now) {
      if (error != nullptr) *error = nullptr;
      return AUTHGATE_PENDING;
    }
    *out_decision = decision.release();
    return Ok(error);
  });
}

void authgate_decision_free(authgate_decision* decision) { delete decision; }

authgate_action authgate_decision_action(const authgate_decision* decision) {
  return decision != nullptr && decision->decision.action == authgate::Decision::Action::kAllow
             ? AUTHGATE_ACTION_ALLOW
             : AUTHGATE_ACTION_RESPOND;
}

int authgate_decision_status(const authgate_decision* decision) {
  if (decision == nullptr) return 0;
  return decision->decision.action == authgate::Decision::Action::kAllow
             ? 0
             : decision->decision.status;
}

const char* authgate_decision_upstream_target(const authgate_decision* decision,
                                              size_t* out_len) {
  static const std::string kEmpty;
  return Borrow(decision == nullptr ? kEmpty : decision->decision.upstream_target, out_len);
}

const char* authgate_decision_body(const authgate_decision* decision, size_t* out_len) {
  static const std::string kEmpty;
  return Borrow(decision == nullptr ? kEmpty : decision->decision.body, out_len);
}

const char* authgate_decision_claims_json(const authgate_decision* decision, size_t* out_len) {
  static const std::string kEmpty;
  return Borrow(decision == nullptr ? kEmpty : decision->decision.claims_json, out_len);
}

size_t authgate_decision_header_count(const authgate_decision* decision,
                                      authgate_header_list list) {
  if (decision == nullptr) return 0;
  if (authgate::capi::EnumValue(list) == AUTHGATE_HEADERS_REMOVE) {
    return decision->decision.remove_headers.size();
  }
  const auto* headers = HeaderList(decision, list);
  return headers == nullptr ? 0 : headers->size();
}

authgate_status authgate_decision_header(const authgate_decision* decision,
                                         authgate_header_list list, size_t index,
                                         const char** out_name, size_t* out_name_len,
                                         const char** out_value, size_t* out_value_len,
                                         authgate_error** error) {
  static const std::string kEmpty;
  if (decision == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "decision is NULL");
  const std::string* name = nullptr;
  const std::string* value = &kEmpty;
  if (authgate::capi::EnumValue(list) == AUTHGATE_HEADERS_REMOVE) {
    if (index >= decision->decision.remove_headers.size()) {
      return Fail(error, AUTHGATE_NOT_FOUND, "no header with this index");
    }
    name = &decision->decision.remove_headers[index];
  } else {
    const auto* headers = HeaderList(decision, list);
    if (headers == nullptr) return Fail(error, AUTHGATE_INVALID_ARGUMENT, "unknown header list");
    if (index >= headers->size()) return Fail(error, AUTHGATE_NOT_FOUND, "no header with this index");
    name = &(*headers)[index].first;
    value = &(*headers)[index].second;
  }
  if (out_name != nullptr) *out_name = Borrow(*name, out_name_len);
  if (out_value != nullptr) *out_value = Borrow(*value, out_value_len);
  return Ok(error);
}

authgate_reason authgate_decision_reason(const authgate_decision* decision) {
  return decision == nullptr ? AUTHGATE_REASON_NONE
                             : static_cast<authgate_reason>(decision->decision.reason);
}

const char* authgate_decision_detail(const authgate_decision* decision, size_t* out_len) {
  static const std::string kEmpty;
  return Borrow(decision == nullptr ? kEmpty : decision->decision.detail, out_len);
}

const char* authgate_decision_rule(const authgate_decision* decision) {
  return decision == nullptr ? "" : decision->decision.rule.c_str();
}

const char* authgate_decision_outcome(const authgate_decision* decision) {
  if (decision == nullptr) return "unknown";
  // OutcomeName returns views of string literals: NUL-terminated.
  return authgate::OutcomeName(decision->decision.outcome).data();
}

authgate_status authgate_cookie_signer_new(authgate_cookie_signer** out_signer,
                                           const char* const* secrets,
                                           const size_t* secret_lens, size_t count,
                                           authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_signer != nullptr) *out_signer = nullptr;
    if (out_signer == nullptr || (count > 0 && (secrets == nullptr || secret_lens == nullptr))) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_signer and secrets must not be NULL");
    }
    std::vector<std::string> list;
    for (size_t i = 0; i < count; ++i) {
      std::string_view secret;
      if (!View(secrets[i], secret_lens[i], &secret)) {
        return Fail(error, AUTHGATE_INVALID_ARGUMENT, "a secret is NULL");
      }
      list.emplace_back(secret);
    }
    absl::StatusOr<std::shared_ptr<const authgate::CookieKeys>> keys =
        authgate::CookieKeys::Derive(list);
    if (!keys.ok()) {
      return Fail(error, AUTHGATE_INVALID_CONFIG, authgate::FromAbsl(keys.status().message()));
    }
    *out_signer = new authgate_cookie_signer{std::move(*keys)};
    return Ok(error);
  });
}

void authgate_cookie_signer_free(authgate_cookie_signer* signer) { delete signer; }

authgate_status authgate_cookie_sign(char** out_text, size_t* out_len,
                                     const authgate_cookie_signer* signer, const char* name,
                                     size_t name_len, const char* host, size_t host_len,
                                     int64_t expires_at, const char* value, size_t value_len,
                                     authgate_error** error) {
  return Guard(error, [&]() -> authgate_status {
    if (out_text != nullptr) *out_text = nullptr;
    std::string_view n, h, v;
    if (out_text == nullptr || signer == nullptr || !View(name, name_len, &n) ||
        !View(host, host_len, &h) || !View(value, value_len, &v)) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "out_text and signer must not be NULL");
    }
    if (v.size() > 6000) {
      return Fail(error, AUTHGATE_INVALID_ARGUMENT, "value longer than 6000 bytes");
    }
    std::string text = authgate::SignValue(*signer->keys, authgate::CookieBinding{n, h},
                                           absl::FromUnixSeconds(expires_at), v);
    if (text.empty()) return Fail(error, AUTHGATE_INTERNAL, "signing failed");
    *out_text = CopyOut(text);
    if (*out_text == nullptr) return Fail(error, AUTHGATE_OUT_OF_MEMORY, "out of memory");
    if (out_len != nullptr) *out_len = text.size();
    return Ok(error);
  });
}

authgate_status authgate_cookie_verify(char** out_value, size_t* out_len,
                                       const authgate_cookie_signer* signer, const char* name,
                                       size_t name_len, const char* host, size_t host_len,
                                       const char* text, size_t text_len,
                                       authgate_error** error) {
  return VerifyCookie(out_value, out_len, signer, name, name_len, host, host_len, text, text_len,
                      absl::Now(), error);
}

authgate_status authgate_cookie_verify_at(char** out_value, size_t* out_len,
                                          const authgate_cookie_signer* signer, const char* name,
                                          size_t name_len, const char* host, size_t host_len,
                                          const char* text, size_t text_len, int64_t now,
                                          authgate_error** error) {
  return VerifyCookie(out_value, out_len, signer, name, name_len, host, host_len, text, text_len,
                      absl::FromUnixSeconds(now), error);
}

}  // extern "C"
