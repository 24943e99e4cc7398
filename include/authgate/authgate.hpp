// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// authgate.hpp: a header-only C++17 wrapper over the C ABI (authgate.h) with
// RAII ownership. It adds no behaviour: every call is one C call.
//
//   auto verifier = authgate::api::Verifier::Create(config_json);  // throws Error
//   authgate::api::Verdict verdict = verifier.Verify(token);
//   if (verdict.ok()) {
//     std::cout << verdict.result.claims_json() << "\n";
//   } else {
//     std::cerr << authgate_reason_name(verdict.reason) << ": " << verdict.message << "\n";
//   }
//
// The wrapper lives in namespace authgate::api so that it never collides with
// the library's internal C++ names when both end up in one static link.
// Thread-safety is that of the C handles: a Verifier, an Engine and a
// CookieSigner may be shared across threads; a Result and a Decision are
// immutable; a Request belongs to one thread.

#ifndef AUTHGATE_AUTHGATE_HPP_
#define AUTHGATE_AUTHGATE_HPP_

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "authgate/authgate.h"

namespace authgate::api {

// Error is thrown for failures of a call itself (bad configuration, bad
// argument, out of memory), never for a rejected token.
class Error : public std::runtime_error {
 public:
  Error(authgate_status status, std::string message)
      : std::runtime_error(std::move(message)), status_(status) {}
  authgate_status status() const { return status_; }

 private:
  authgate_status status_;
};

namespace internal {

struct ErrorDeleter {
  void operator()(authgate_error* error) const { authgate_error_free(error); }
};
struct VerifierDeleter {
  void operator()(authgate_verifier* verifier) const { authgate_verifier_free(verifier); }
};
struct ResultDeleter {
  void operator()(authgate_result* result) const { authgate_result_free(result); }
};
struct StringDeleter {
  void operator()(char* text) const { authgate_string_free(text); }
};
struct EngineDeleter {
  void operator()(authgate_engine* engine) const { authgate_engine_free(engine); }
};
struct RequestDeleter {
  void operator()(authgate_request* request) const { authgate_request_free(request); }
};
struct DecisionDeleter {
  void operator()(authgate_decision* decision) const { authgate_decision_free(decision); }
};
struct SignerDeleter {
  void operator()(authgate_cookie_signer* signer) const { authgate_cookie_signer_free(signer); }
};

using ErrorPtr = std::unique_ptr<authgate_error, ErrorDeleter>;

inline std::string MessageOf(const ErrorPtr& error) {
  return error ? authgate_error_message(error.get()) : "";
}

// OwnedString runs `call(&text, &len, &error)`, a C call returning a string
// the caller owns, and returns a copy of it; throws Error when it fails.
template <typename Call>
std::string OwnedString(Call call) {
  char* text = nullptr;
  size_t len = 0;
  authgate_error* raw_error = nullptr;
  authgate_status status = call(&text, &len, &raw_error);
  ErrorPtr error(raw_error);
  std::unique_ptr<char, StringDeleter> owned(text);
  if (status != AUTHGATE_OK) throw Error(status, MessageOf(error));
  return std::string(text, len);
}

// ReadCounters runs `call(values, capacity, &count, &error)`, a C counters
// call, twice if needed: first with room for the counters this header knows
// of, again when the library has more.
template <typename Call>
std::vector<uint64_t> ReadCounters(Call call) {
  std::vector<uint64_t> values(64);
  size_t count = 0;
  for (;;) {
    authgate_error* raw_error = nullptr;
    authgate_status status = call(values.data(), values.size(), &count, &raw_error);
    ErrorPtr error(raw_error);
    if (status != AUTHGATE_OK) throw Error(status, MessageOf(error));
    if (count <= values.size()) break;
    values.resize(count);
  }
  values.resize(count);
  return values;
}

}  // namespace internal

// Result is a verified token's header and claims; empty when default-made.
class Result {
 public:
  Result() = default;
  explicit Result(authgate_result* result) : result_(result) {}

  explicit operator bool() const { return result_ != nullptr; }
  const authgate_result* get() const { return result_.get(); }

  std::string_view claims_json() const {
    size_t len = 0;
    const char* text = authgate_result_claims_json(result_.get(), &len);
    return std::string_view(text, len);
  }
  std::string_view header_json() const {
    size_t len = 0;
    const char* text = authgate_result_header_json(result_.get(), &len);
    return std::string_view(text, len);
  }
  // algorithm and key_id are "" for an empty Result (the C calls return NULL).
  std::string_view algorithm() const { return OrEmpty(authgate_result_algorithm(result_.get())); }
  std::string_view key_id() const { return OrEmpty(authgate_result_key_id(result_.get())); }
  std::optional<std::string_view> subject() const {
    const char* sub = authgate_result_subject(result_.get());
    return sub ? std::optional<std::string_view>(sub) : std::nullopt;
  }
  std::optional<std::string_view> issuer() const {
    const char* iss = authgate_result_issuer(result_.get());
    return iss ? std::optional<std::string_view>(iss) : std::nullopt;
  }
  // expires_at is `exp` in whole seconds, or nullopt without one.
  std::optional<int64_t> expires_at() const {
    int64_t exp = authgate_result_expires_at(result_.get());
    return exp < 0 ? std::nullopt : std::optional<int64_t>(exp);
  }
  // claim_string is a top-level string claim, or nullopt (absent or not a string).
  std::optional<std::string_view> claim_string(std::string_view name) const {
    const char* value = nullptr;
    size_t len = 0;
    if (authgate_result_claim_string(&value, &len, result_.get(), name.data(), name.size(),
                                     nullptr) != AUTHGATE_OK) {
      return std::nullopt;
    }
    return std::string_view(value, len);
  }
  std::optional<double> claim_number(std::string_view name) const {
    double value = 0;
    if (authgate_result_claim_number(&value, result_.get(), name.data(), name.size(),
                                     nullptr) != AUTHGATE_OK) {
      return std::nullopt;
    }
    return value;
  }
  // claim_int64 is a top-level integer claim, exact, or nullopt (absent, not
  // an integer, or outside int64).
  std::optional<int64_t> claim_int64(std::string_view name) const {
    int64_t value = 0;
    if (authgate_result_claim_int64(&value, result_.get(), name.data(), name.size(), nullptr) !=
        AUTHGATE_OK) {
      return std::nullopt;
    }
    return value;
  }
  // claim_json is any top-level claim as JSON text, or nullopt when absent.
  std::optional<std::string> claim_json(std::string_view name) const {
    char* json = nullptr;
    size_t len = 0;
    if (authgate_result_claim_json(&json, &len, result_.get(), name.data(), name.size(),
                                   nullptr) != AUTHGATE_OK) {
      return std::nullopt;
    }
    std::unique_ptr<char, internal::StringDeleter> owned(json);
    return std::string(json, len);
  }

 private:
  static std::string_view OrEmpty(const char* text) { return text ? text : ""; }

  std::unique_ptr<authgate_result, internal::ResultDeleter> result_;
};

// Verdict is the outcome of one verification.
struct Verdict {
  authgate_status status = AUTHGATE_OK;
  authgate_reason reason = AUTHGATE_REASON_NONE;
  std::string message;
  Result result;  // set when ok()

  bool ok() const { return status == AUTHGATE_OK; }
  bool rejected() const { return status == AUTHGATE_REJECTED; }
};

class Verifier {
 public:
  // Create builds a verifier from its JSON configuration; throws Error.
  static Verifier Create(std::string_view config) {
    authgate_verifier* verifier = nullptr;
    authgate_error* raw_error = nullptr;
    authgate_status status =
        authgate_verifier_new(&verifier, config.data(), config.size(), &raw_error);
    internal::ErrorPtr error(raw_error);
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
    return Verifier(verifier);
  }

  // Verify checks `token` now; `with_claims` false skips building a Result.
  Verdict Verify(std::string_view token, bool with_claims = true) const {
    return Finish(with_claims, [&](authgate_result** out, authgate_error** error) {
      return authgate_verifier_verify(out, verifier_.get(), token.data(), token.size(), error);
    });
  }

  // VerifyAt checks `token` at `now_unix` seconds since the epoch.
  Verdict VerifyAt(std::string_view token, int64_t now_unix, bool with_claims = true) const {
    return Finish(with_claims, [&](authgate_result** out, authgate_error** error) {
      return authgate_verifier_verify_at(out, verifier_.get(), token.data(), token.size(),
                                         now_unix, error);
    });
  }

  // WaitReady blocks until every key source has keys, up to `timeout_ms`;
  // the verdict's status is AUTHGATE_OK or AUTHGATE_TIMEOUT (with why).
  Verdict WaitReady(uint32_t timeout_ms) const {
    authgate_error* raw_error = nullptr;
    Verdict verdict;
    verdict.status = authgate_verifier_wait_ready(verifier_.get(), timeout_ms, &raw_error);
    internal::ErrorPtr error(raw_error);
    verdict.message = internal::MessageOf(error);
    return verdict;
  }

  // Refresh asks every remote key source to refetch now.
  void Refresh() const { authgate_verifier_refresh(verifier_.get(), nullptr); }

  // StatsJson is a JSON snapshot of the key sources and the token cache.
  std::string StatsJson() const {
    return internal::OwnedString([&](char** json, size_t* len, authgate_error** error) {
      return authgate_verifier_stats_json(json, len, verifier_.get(), error);
    });
  }

  // Counters returns AUTHGATE_COUNTERS_VERIFIER (authgate_verifier_counters()).
  std::vector<uint64_t> Counters() const {
    return internal::ReadCounters([&](uint64_t* values, size_t capacity, size_t* count,
                                      authgate_error** error) {
      return authgate_verifier_counters(values, capacity, count, verifier_.get(),
                                        AUTHGATE_COUNTERS_VERIFIER, error);
    });
  }

  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < authgate_verifier_warning_count(verifier_.get()); ++i) {
      out.emplace_back(authgate_verifier_warning(verifier_.get(), i));
    }
    return out;
  }
  size_t key_count() const { return authgate_verifier_key_count(verifier_.get()); }
  authgate_verifier* get() const { return verifier_.get(); }

 private:
  explicit Verifier(authgate_verifier* verifier) : verifier_(verifier) {}

  template <typename Call>
  static Verdict Finish(bool with_claims, Call call) {
    authgate_result* result = nullptr;
    authgate_error* raw_error = nullptr;
    Verdict verdict;
    verdict.status = call(with_claims ? &result : nullptr, &raw_error);
    internal::ErrorPtr error(raw_error);
    verdict.result = Result(result);
    verdict.reason = authgate_error_reason(error.get());
    verdict.message = internal::MessageOf(error);
    return verdict;
  }

  std::unique_ptr<authgate_verifier, internal::VerifierDeleter> verifier_;
};

// DecodedToken is a token's header and payload, NOT verified.
struct DecodedToken {
  std::string header;
  std::string payload;
};

// DecodeUnverified splits and decodes `token` without any check of its
// signature or claims; returns the verdict's status/reason on failure.
inline Verdict DecodeUnverified(std::string_view token, DecodedToken* out) {
  char* header = nullptr;
  char* payload = nullptr;
  size_t header_len = 0, payload_len = 0;
  authgate_error* raw_error = nullptr;
  Verdict verdict;
  verdict.status = authgate_token_decode(&header, &header_len, &payload, &payload_len,
                                         token.data(), token.size(), &raw_error);
  internal::ErrorPtr error(raw_error);
  std::unique_ptr<char, internal::StringDeleter> owned_header(header), owned_payload(payload);
  verdict.reason = authgate_error_reason(error.get());
  verdict.message = internal::MessageOf(error);
  if (verdict.ok()) {
    out->header.assign(header, header_len);
    out->payload.assign(payload, payload_len);
  }
  return verdict;
}

// Request is an incoming request for Engine::Evaluate(); the engine copies
// what it keeps, so a Request may be reused once the call returns.
class Request {
 public:
  Request() {
    authgate_request* request = nullptr;
    authgate_error* raw_error = nullptr;
    authgate_status status = authgate_request_new(&request, &raw_error);
    Check(status, raw_error);
    request_.reset(request);
  }
  Request& Set(authgate_request_field field, std::string_view value) {
    authgate_error* raw_error = nullptr;
    Check(authgate_request_set(request_.get(), field, value.data(), value.size(), &raw_error),
          raw_error);
    return *this;
  }
  Request& Method(std::string_view v) { return Set(AUTHGATE_REQUEST_METHOD, v); }
  Request& Scheme(std::string_view v) { return Set(AUTHGATE_REQUEST_SCHEME, v); }
  Request& Authority(std::string_view v) { return Set(AUTHGATE_REQUEST_AUTHORITY, v); }
  Request& Target(std::string_view v) { return Set(AUTHGATE_REQUEST_TARGET, v); }
  Request& ClientAddress(std::string_view v) { return Set(AUTHGATE_REQUEST_CLIENT_ADDRESS, v); }
  Request& AddHeader(std::string_view name, std::string_view value) {
    authgate_error* raw_error = nullptr;
    Check(authgate_request_add_header(request_.get(), name.data(), name.size(), value.data(),
                                      value.size(), &raw_error),
          raw_error);
    return *this;
  }
  const authgate_request* get() const { return request_.get(); }

 private:
  static void Check(authgate_status status, authgate_error* raw_error) {
    internal::ErrorPtr error(raw_error);
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
  }
  std::unique_ptr<authgate_request, internal::RequestDeleter> request_;
};

// Decision is the engine's answer about one request (immutable).
class Decision {
 public:
  using Header = std::pair<std::string_view, std::string_view>;

  explicit Decision(authgate_decision* decision) : decision_(decision) {}

  bool allow() const { return authgate_decision_action(get()) == AUTHGATE_ACTION_ALLOW; }
  int status() const { return authgate_decision_status(get()); }
  std::string_view upstream_target() const {
    size_t len = 0;
    const char* text = authgate_decision_upstream_target(get(), &len);
    return std::string_view(text, len);
  }
  std::string_view body() const {
    size_t len = 0;
    const char* text = authgate_decision_body(get(), &len);
    return std::string_view(text, len);
  }
  // Headers returns list `list` (views borrowed from this Decision).
  std::vector<Header> Headers(authgate_header_list list) const {
    std::vector<Header> out;
    size_t count = authgate_decision_header_count(get(), list);
    for (size_t i = 0; i < count; ++i) {
      const char *name = nullptr, *value = nullptr;
      size_t name_len = 0, value_len = 0;
      if (authgate_decision_header(get(), list, i, &name, &name_len, &value, &value_len,
                                   nullptr) == AUTHGATE_OK) {
        out.emplace_back(std::string_view(name, name_len), std::string_view(value, value_len));
      }
    }
    return out;
  }
  authgate_reason reason() const { return authgate_decision_reason(get()); }
  std::string_view detail() const {
    size_t len = 0;
    const char* text = authgate_decision_detail(get(), &len);
    return std::string_view(text, len);
  }
  std::string_view rule() const { return authgate_decision_rule(get()); }
  std::string_view outcome() const { return authgate_decision_outcome(get()); }
  const authgate_decision* get() const { return decision_.get(); }

 private:
  std::unique_ptr<authgate_decision, internal::DecisionDeleter> decision_;
};

// Engine decides about requests: see authgate_engine_new(). Safe to share
// across threads.
class Engine {
 public:
  // Create builds an engine from its JSON configuration; throws Error.
  static Engine Create(std::string_view config) {
    authgate_engine* engine = nullptr;
    authgate_error* raw_error = nullptr;
    authgate_status status =
        authgate_engine_new(&engine, config.data(), config.size(), &raw_error);
    internal::ErrorPtr error(raw_error);
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
    return Engine(engine);
  }

  // Evaluate decides, waiting for a network step up to evaluate_timeout.
  Decision Evaluate(const Request& request) const {
    authgate_decision* decision = nullptr;
    authgate_error* raw_error = nullptr;
    authgate_status status =
        authgate_engine_evaluate(&decision, engine_.get(), request.get(), &raw_error);
    internal::ErrorPtr error(raw_error);
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
    return Decision(decision);
  }

  // EvaluateAsync returns the decision when it is known at once; otherwise
  // nullopt, and `callback(status, decision, userdata)` runs later on a library
  // thread (the C callback owns the decision: wrap it in a Decision).
  std::optional<Decision> EvaluateAsync(const Request& request,
                                        authgate_decision_callback callback,
                                        void* userdata) const {
    authgate_decision* decision = nullptr;
    authgate_error* raw_error = nullptr;
    authgate_status status = authgate_engine_evaluate_async(&decision, engine_.get(), request.get(),
                                                            callback, userdata, &raw_error);
    internal::ErrorPtr error(raw_error);
    if (status == AUTHGATE_PENDING) return std::nullopt;
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
    return Decision(decision);
  }

  bool Ready() const {
    int ready = 0;
    return authgate_engine_ready(&ready, engine_.get(), nullptr) == AUTHGATE_OK && ready == 1;
  }
  bool WaitReady(uint32_t timeout_ms) const {
    return authgate_engine_wait_ready(engine_.get(), timeout_ms, nullptr) == AUTHGATE_OK;
  }
  // Counters returns counter set `set` (authgate_engine_counters());
  // authgate_counter_name(set, i) names value i.
  std::vector<uint64_t> Counters(authgate_counter_set set) const {
    return internal::ReadCounters([&](uint64_t* values, size_t capacity, size_t* count,
                                      authgate_error** error) {
      return authgate_engine_counters(values, capacity, count, engine_.get(), set, error);
    });
  }
  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < authgate_engine_warning_count(engine_.get()); ++i) {
      out.emplace_back(authgate_engine_warning(engine_.get(), i));
    }
    return out;
  }
  authgate_engine* get() const { return engine_.get(); }

 private:
  explicit Engine(authgate_engine* engine) : engine_(engine) {}
  std::unique_ptr<authgate_engine, internal::EngineDeleter> engine_;
};

// CookieSigner signs and verifies cookie values: see authgate_cookie_signer_new().
class CookieSigner {
 public:
  static CookieSigner Create(const std::vector<std::string>& secrets) {
    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (const std::string& secret : secrets) {
      pointers.push_back(secret.data());
      lengths.push_back(secret.size());
    }
    authgate_cookie_signer* signer = nullptr;
    authgate_error* raw_error = nullptr;
    authgate_status status = authgate_cookie_signer_new(&signer, pointers.data(), lengths.data(),
                                                        secrets.size(), &raw_error);
    internal::ErrorPtr error(raw_error);
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
    return CookieSigner(signer);
  }

  std::string Sign(std::string_view name, std::string_view host, int64_t expires_at,
                   std::string_view value) const {
    return internal::OwnedString([&](char** text, size_t* len, authgate_error** error) {
      return authgate_cookie_sign(text, len, signer_.get(), name.data(), name.size(), host.data(),
                                  host.size(), expires_at, value.data(), value.size(), error);
    });
  }

  // Verify returns the value, or nullopt with *reason (session_invalid or
  // session_expired) when `reason` is not null.
  std::optional<std::string> Verify(std::string_view name, std::string_view host,
                                    std::string_view text, int64_t now_unix,
                                    authgate_reason* reason = nullptr) const {
    char* value = nullptr;
    size_t len = 0;
    authgate_error* raw_error = nullptr;
    authgate_status status = authgate_cookie_verify_at(&value, &len, signer_.get(), name.data(),
                                                       name.size(), host.data(), host.size(),
                                                       text.data(), text.size(), now_unix,
                                                       &raw_error);
    internal::ErrorPtr error(raw_error);
    std::unique_ptr<char, internal::StringDeleter> owned(value);
    if (reason != nullptr) *reason = authgate_error_reason(error.get());
    if (status == AUTHGATE_REJECTED) return std::nullopt;
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
    return std::string(value, len);
  }

 private:
  explicit CookieSigner(authgate_cookie_signer* signer) : signer_(signer) {}
  std::unique_ptr<authgate_cookie_signer, internal::SignerDeleter> signer_;
};

}  // namespace authgate::api

#endif  // AUTHGATE_AUTHGATE_HPP_
