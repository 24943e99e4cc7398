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
// Thread-safety is that of the C handles: a Verifier may be shared across
// threads; a Result is immutable.

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

using ErrorPtr = std::unique_ptr<authgate_error, ErrorDeleter>;

inline std::string MessageOf(const ErrorPtr& error) {
  return error ? authgate_error_message(error.get()) : "";
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
    if (authgate_result_claim_string(&value, &len, result_.get(), name.data(), name.size()) !=
        AUTHGATE_OK) {
      return std::nullopt;
    }
    return std::string_view(value, len);
  }
  std::optional<double> claim_number(std::string_view name) const {
    double value = 0;
    if (authgate_result_claim_number(&value, result_.get(), name.data(), name.size()) !=
        AUTHGATE_OK) {
      return std::nullopt;
    }
    return value;
  }
  // claim_json is any top-level claim as JSON text, or nullopt when absent.
  std::optional<std::string> claim_json(std::string_view name) const {
    char* json = nullptr;
    size_t len = 0;
    if (authgate_result_claim_json(&json, &len, result_.get(), name.data(), name.size()) !=
        AUTHGATE_OK) {
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
    char* json = nullptr;
    size_t len = 0;
    authgate_error* raw_error = nullptr;
    authgate_status status = authgate_verifier_stats_json(&json, &len, verifier_.get(), &raw_error);
    internal::ErrorPtr error(raw_error);
    if (status != AUTHGATE_OK) throw Error(status, internal::MessageOf(error));
    std::unique_ptr<char, internal::StringDeleter> owned(json);
    return std::string(json, len);
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

}  // namespace authgate::api

#endif  // AUTHGATE_AUTHGATE_HPP_
