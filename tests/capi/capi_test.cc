// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// capi_test.cc: every function of the C ABI (include/authgate/authgate.h)
// against its header comment, through nothing but that header: arguments and
// misuse (NULL outputs, NULL handles, NULL tokens), the error out-parameter
// conventions, configuration errors and warnings, verdicts, result getters,
// unverified decoding, thread safety and ownership.
//
// All tests share the suite name `capi` so that `ctest -R capi` selects them.

#include "authgate/authgate.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/token_factory.h"

namespace {

using authgate::testing::Base64Url;
using authgate::testing::Compact;
using authgate::testing::SignToken;
using authgate::testing::TestKey;
using ::testing::HasSubstr;

constexpr int64_t kFarFuture = 4102444800;  // 2100-01-01T00:00:00Z
constexpr int64_t kNow = 1700000000;        // 2023-11-14T22:13:20Z

// ---------------------------------------------------------------------------
// Ownership helpers (local to the test; the C++ wrapper is tested elsewhere).

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
using VerifierPtr = std::unique_ptr<authgate_verifier, VerifierDeleter>;
using ResultPtr = std::unique_ptr<authgate_result, ResultDeleter>;
using StringPtr = std::unique_ptr<char, StringDeleter>;

// Sentinels: pointer values no call may leave in place. They point at a
// static byte and are never dereferenced or freed.
char sentinel_byte;
authgate_error* const kErrorSentinel = reinterpret_cast<authgate_error*>(&sentinel_byte);
authgate_verifier* const kVerifierSentinel =
    reinterpret_cast<authgate_verifier*>(&sentinel_byte);
authgate_result* const kResultSentinel = reinterpret_cast<authgate_result*>(&sentinel_byte);
char* const kStringSentinel = &sentinel_byte;

// Keys are slow to generate: made once for the whole binary.
struct Keys {
  TestKey rsa = TestKey::Rsa(2048);
  TestKey rsa_other = TestKey::Rsa(2048);
  TestKey rsa_weak = TestKey::Rsa(1024);
  TestKey ec = TestKey::Ec("P-256");
  TestKey ed = TestKey::Ed25519();
  TestKey hmac = TestKey::Hmac(std::string(64, 'k'));
};

const Keys& K() {
  static const Keys* keys = new Keys();
  return *keys;
}

// Config returns a verifier configuration with `jwks` (JSON) and `extra`
// members ("\"issuers\":[...]").
std::string Config(const std::string& jwks, const std::string& extra = "") {
  return "{\"jwks\":" + jwks + (extra.empty() ? "" : "," + extra) + "}";
}

// JsonQuote turns text (PEM, JWKS) into a JSON string literal.
std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// NewVerifier creates a verifier or fails the test with the error message.
VerifierPtr NewVerifier(const std::string& config) {
  authgate_verifier* verifier = nullptr;
  authgate_error* raw_error = nullptr;
  authgate_status status =
      authgate_verifier_new(&verifier, config.data(), config.size(), &raw_error);
  ErrorPtr error(raw_error);
  EXPECT_EQ(status, AUTHGATE_OK) << authgate_error_message(error.get());
  EXPECT_EQ(raw_error, nullptr);
  return VerifierPtr(verifier);
}

// RsaVerifier trusts K().rsa with kid "k1"; `extra` as for Config().
VerifierPtr RsaVerifier(const std::string& extra = "") {
  return NewVerifier(Config(K().rsa.PublicJwks("k1"), extra));
}

std::string RsaToken(const std::string& payload, const std::string& header =
                                                     R"({"alg":"RS256","kid":"k1"})") {
  return SignToken(K().rsa, "RS256", header, payload);
}

std::string ValidPayload() {
  return R"({"iss":"https://idp.example","sub":"alice","aud":"api","exp":4102444800})";
}

// Outcome of one configuration attempt.
struct NewOutcome {
  authgate_status status;
  std::string message;
  bool verifier_null;
};

NewOutcome TryNew(const std::string& config) {
  authgate_verifier* verifier = kVerifierSentinel;
  authgate_error* raw_error = kErrorSentinel;
  authgate_status status =
      authgate_verifier_new(&verifier, config.data(), config.size(), &raw_error);
  NewOutcome outcome{status, "", verifier == nullptr};
  if (status == AUTHGATE_OK) {
    EXPECT_EQ(raw_error, nullptr);
    EXPECT_NE(verifier, nullptr);
    if (verifier != kVerifierSentinel) authgate_verifier_free(verifier);
    return outcome;
  }
  EXPECT_NE(raw_error, kErrorSentinel) << "*error left untouched on failure";
  if (raw_error == kErrorSentinel) return outcome;
  ErrorPtr error(raw_error);
  EXPECT_NE(raw_error, nullptr);
  EXPECT_EQ(authgate_error_status(raw_error), status);
  EXPECT_EQ(authgate_error_reason(raw_error), AUTHGATE_REASON_NONE);
  outcome.message = authgate_error_message(raw_error);
  return outcome;
}

// Outcome of one verification.
struct Verdict {
  authgate_status status = AUTHGATE_INTERNAL;
  authgate_reason reason = AUTHGATE_REASON_NONE;
  std::string message;
  ResultPtr result;
};

// Verify calls authgate_verifier_verify_at (or _verify when now < 0) with
// sentinel outputs and checks the out-parameter conventions on the way.
Verdict Verify(authgate_verifier* verifier, const std::string& token, int64_t now = kNow) {
  authgate_result* result = kResultSentinel;
  authgate_error* raw_error = kErrorSentinel;
  Verdict verdict;
  verdict.status =
      now < 0 ? authgate_verifier_verify(&result, verifier, token.data(), token.size(), &raw_error)
              : authgate_verifier_verify_at(&result, verifier, token.data(), token.size(), now,
                                            &raw_error);
  if (verdict.status == AUTHGATE_OK) {
    EXPECT_EQ(raw_error, nullptr) << "*error must be NULL on success";
    EXPECT_NE(result, nullptr);
    EXPECT_NE(result, kResultSentinel);
    if (result != kResultSentinel) verdict.result.reset(result);
    return verdict;
  }
  EXPECT_EQ(result, nullptr) << "*out_result must be NULL on failure";
  EXPECT_NE(raw_error, kErrorSentinel) << "*error left untouched on failure";
  EXPECT_NE(raw_error, nullptr) << "*error must be set on failure";
  if (raw_error == kErrorSentinel || raw_error == nullptr) return verdict;
  ErrorPtr error(raw_error);
  EXPECT_EQ(authgate_error_status(raw_error), verdict.status);
  verdict.reason = authgate_error_reason(raw_error);
  if (verdict.status != AUTHGATE_REJECTED) {
    EXPECT_EQ(verdict.reason, AUTHGATE_REASON_NONE);
  }
  const char* message = authgate_error_message(raw_error);
  EXPECT_NE(message, nullptr);
  if (message != nullptr) verdict.message = message;
  return verdict;
}

std::string ReasonOf(const Verdict& verdict) {
  return std::string(authgate_status_name(verdict.status)) + "/" +
         authgate_reason_name(verdict.reason) + ": " + verdict.message;
}

#define EXPECT_VALID(verdict) \
  EXPECT_EQ((verdict).status, AUTHGATE_OK) << ReasonOf(verdict)
#define EXPECT_REJECTED(verdict, why)                               \
  do {                                                              \
    EXPECT_EQ((verdict).status, AUTHGATE_REJECTED) << ReasonOf(verdict); \
    EXPECT_EQ((verdict).reason, (why)) << ReasonOf(verdict);        \
  } while (0)

// ---------------------------------------------------------------------------
// Version, status and reason names.

TEST(capi, VersionText) {
  ASSERT_NE(authgate_version(), nullptr);
  EXPECT_STREQ(authgate_version(), "0.2.0");
  EXPECT_EQ(authgate_version(), authgate_version()) << "the string is static";
}

TEST(capi, VersionNumberMatchesHeader) {
  EXPECT_EQ(authgate_version_num(), static_cast<uint32_t>(AUTHGATE_VERSION_NUM));
  EXPECT_EQ(AUTHGATE_VERSION_NUM, AUTHGATE_VERSION_MAJOR * 10000 + AUTHGATE_VERSION_MINOR * 100 +
                                      AUTHGATE_VERSION_PATCH);
  EXPECT_EQ(std::to_string(AUTHGATE_VERSION_MAJOR) + "." + std::to_string(AUTHGATE_VERSION_MINOR) +
                "." + std::to_string(AUTHGATE_VERSION_PATCH),
            authgate_version());
}

TEST(capi, StatusNumbersArePinned) {
  EXPECT_EQ(AUTHGATE_OK, 0);
  EXPECT_EQ(AUTHGATE_REJECTED, 1);
  EXPECT_EQ(AUTHGATE_INVALID_ARGUMENT, 2);
  EXPECT_EQ(AUTHGATE_INVALID_CONFIG, 3);
  EXPECT_EQ(AUTHGATE_OUT_OF_MEMORY, 4);
  EXPECT_EQ(AUTHGATE_TIMEOUT, 5);
  EXPECT_EQ(AUTHGATE_NOT_FOUND, 6);
  EXPECT_EQ(AUTHGATE_WRONG_TYPE, 7);
  EXPECT_EQ(AUTHGATE_INTERNAL, 8);
  EXPECT_EQ(AUTHGATE_PENDING, 9);
  EXPECT_EQ(AUTHGATE_CANCELLED, 10);
}

// authgate_global_init may be called any number of times, from any thread,
// before or after the library initialised itself.
TEST(capi, GlobalInitIsIdempotent) {
  authgate_error* error = reinterpret_cast<authgate_error*>(1);
  EXPECT_EQ(authgate_global_init(&error), AUTHGATE_OK);
  EXPECT_EQ(error, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&ok] {
      if (authgate_global_init(nullptr) == AUTHGATE_OK) ok.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST(capi, StatusNames) {
  const char* const expected[] = {"ok",        "rejected",  "invalid_argument",
                                  "invalid_config", "out_of_memory", "timeout",
                                  "not_found", "wrong_type", "internal", "pending",
                                  "cancelled"};
  for (int i = 0; i <= 10; ++i) {
    const char* name = authgate_status_name(static_cast<authgate_status>(i));
    ASSERT_NE(name, nullptr) << i;
    EXPECT_STREQ(name, expected[i]) << i;
  }
  // Values 11..15 are representable in C++ for this enum; a C caller may pass
  // any int.
  EXPECT_STREQ(authgate_status_name(static_cast<authgate_status>(11)), "unknown");
  EXPECT_STREQ(authgate_status_name(static_cast<authgate_status>(15)), "unknown");
}

TEST(capi, ReasonNumbersArePinned) {
  EXPECT_EQ(AUTHGATE_REASON_NONE, 0);
  EXPECT_EQ(AUTHGATE_REASON_MALFORMED, 1);
  EXPECT_EQ(AUTHGATE_REASON_UNSUPPORTED_TOKEN_TYPE, 2);
  EXPECT_EQ(AUTHGATE_REASON_UNSUPPORTED_ALG, 3);
  EXPECT_EQ(AUTHGATE_REASON_ALG_NOT_ALLOWED, 4);
  EXPECT_EQ(AUTHGATE_REASON_KEY_NOT_FOUND, 5);
  EXPECT_EQ(AUTHGATE_REASON_SIGNATURE_INVALID, 6);
  EXPECT_EQ(AUTHGATE_REASON_EXPIRED, 7);
  EXPECT_EQ(AUTHGATE_REASON_NOT_YET_VALID, 8);
  EXPECT_EQ(AUTHGATE_REASON_ISSUER_MISMATCH, 9);
  EXPECT_EQ(AUTHGATE_REASON_AUDIENCE_MISMATCH, 10);
  EXPECT_EQ(AUTHGATE_REASON_MISSING_CLAIM, 11);
  EXPECT_EQ(AUTHGATE_REASON_INVALID_CLAIM, 12);
  EXPECT_EQ(AUTHGATE_REASON_TOKEN_TOO_LARGE, 13);
  EXPECT_EQ(AUTHGATE_REASON_JWKS_UNAVAILABLE, 14);
  EXPECT_EQ(AUTHGATE_REASON_UNSUPPORTED_HEADER, 15);
  EXPECT_EQ(AUTHGATE_REASON_TYPE_MISMATCH, 16);
  EXPECT_EQ(AUTHGATE_REASON_SUBJECT_NOT_ALLOWED, 17);
  EXPECT_EQ(AUTHGATE_REASON_LIFETIME_TOO_LONG, 18);
  EXPECT_EQ(AUTHGATE_REASON_NONCE_MISMATCH, 19);
  EXPECT_EQ(AUTHGATE_REASON_PROVIDER_UNAVAILABLE, 33);
  EXPECT_EQ(AUTHGATE_REASON_INVALID_METHOD, 34);
  EXPECT_EQ(AUTHGATE_REASON_RATE_LIMITED, 35);
}

TEST(capi, ReasonNames) {
  const char* const expected[] = {
      "none",          "malformed",          "unsupported_token_type", "unsupported_alg",
      "alg_not_allowed", "key_not_found",    "signature_invalid",      "expired",
      "not_yet_valid", "issuer_mismatch",    "audience_mismatch",      "missing_claim",
      "invalid_claim", "token_too_large",    "jwks_unavailable",       "unsupported_header",
      "type_mismatch", "subject_not_allowed", "lifetime_too_long", "nonce_mismatch",
      "session_invalid", "session_expired", "state_mismatch", "flow_cookie_missing",
      "authorization_error", "token_exchange_failed", "refresh_failed", "token_missing",
      "multiple_tokens", "insufficient_claims", "no_matching_rule", "invalid_path",
      "login_required", "provider_unavailable", "invalid_method", "rate_limited"};
  static_assert(sizeof(expected) / sizeof(expected[0]) == 36, "reasons 0..35");
  for (int i = 0; i <= 35; ++i) {
    const char* name = authgate_reason_name(static_cast<authgate_reason>(i));
    ASSERT_NE(name, nullptr) << i;
    EXPECT_STREQ(name, expected[i]) << i;
    EXPECT_EQ(name, authgate_reason_name(static_cast<authgate_reason>(i))) << "static";
  }
  EXPECT_STREQ(authgate_reason_name(static_cast<authgate_reason>(36)), "unknown");
  // 1000 is what a C caller (or a newer header) may pass; C++ code would need
  // a fixed underlying type to form it without UB, so go through an integer
  // of the enum's size as a C caller does.
  authgate_reason big;
  const uint32_t thousand = 1000;
  static_assert(sizeof(big) == sizeof(thousand), "C enums are int-sized here");
  std::memcpy(&big, &thousand, sizeof(big));
  EXPECT_STREQ(authgate_reason_name(big), "unknown");
}

// ---------------------------------------------------------------------------
// Free functions and NULL.

TEST(capi, FreeFunctionsAcceptNull) {
  authgate_error_free(nullptr);
  authgate_verifier_free(nullptr);
  authgate_result_free(nullptr);
  authgate_string_free(nullptr);
  SUCCEED();
}

// ---------------------------------------------------------------------------
// authgate_verifier_new: arguments.

TEST(capi, NewWithNullOutVerifierIsInvalidArgument) {
  std::string config = Config(K().rsa.PublicJwks("k1"));
  authgate_error* raw_error = kErrorSentinel;
  EXPECT_EQ(authgate_verifier_new(nullptr, config.data(), config.size(), &raw_error),
            AUTHGATE_INVALID_ARGUMENT);
  ASSERT_NE(raw_error, kErrorSentinel);
  ASSERT_NE(raw_error, nullptr);
  ErrorPtr error(raw_error);
  EXPECT_EQ(authgate_error_status(raw_error), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_error_reason(raw_error), AUTHGATE_REASON_NONE);
  EXPECT_STRNE(authgate_error_message(raw_error), "");
  // error may be NULL too.
  EXPECT_EQ(authgate_verifier_new(nullptr, config.data(), config.size(), nullptr),
            AUTHGATE_INVALID_ARGUMENT);
}

TEST(capi, NewWithNullConfigIsInvalidArgument) {
  authgate_verifier* verifier = kVerifierSentinel;
  authgate_error* raw_error = kErrorSentinel;
  EXPECT_EQ(authgate_verifier_new(&verifier, nullptr, 10, &raw_error),
            AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(verifier, nullptr) << "*out_verifier is NULL on failure";
  ASSERT_NE(raw_error, kErrorSentinel);
  ASSERT_NE(raw_error, nullptr);
  ErrorPtr error(raw_error);
  EXPECT_EQ(authgate_error_status(raw_error), AUTHGATE_INVALID_ARGUMENT);

  verifier = kVerifierSentinel;
  EXPECT_EQ(authgate_verifier_new(&verifier, nullptr, 0, nullptr), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(verifier, nullptr);
}

TEST(capi, NewSuccessClearsErrorAndReturnsVerifier) {
  std::string config = Config(K().rsa.PublicJwks("k1"));
  authgate_verifier* verifier = kVerifierSentinel;
  authgate_error* error = kErrorSentinel;
  ASSERT_EQ(authgate_verifier_new(&verifier, config.data(), config.size(), &error), AUTHGATE_OK);
  EXPECT_EQ(error, nullptr) << "*error is set to NULL on success";
  ASSERT_NE(verifier, nullptr);
  ASSERT_NE(verifier, kVerifierSentinel);
  VerifierPtr owned(verifier);
  EXPECT_EQ(authgate_verifier_key_count(verifier), 1u);
  EXPECT_EQ(authgate_verifier_warning_count(verifier), 0u);
  EXPECT_EQ(authgate_verifier_warning(verifier, 0), nullptr);
}

TEST(capi, NewWithNullErrorOnSuccessAndFailure) {
  std::string config = Config(K().rsa.PublicJwks("k1"));
  authgate_verifier* verifier = nullptr;
  ASSERT_EQ(authgate_verifier_new(&verifier, config.data(), config.size(), nullptr), AUTHGATE_OK);
  VerifierPtr owned(verifier);
  ASSERT_NE(verifier, nullptr);

  verifier = kVerifierSentinel;
  EXPECT_EQ(authgate_verifier_new(&verifier, "{", 1, nullptr), AUTHGATE_INVALID_CONFIG);
  EXPECT_EQ(verifier, nullptr);
}

TEST(capi, NewReadsExactlyConfigLenBytes) {
  // The text need not be NUL-terminated: trailing bytes past config_len are
  // not part of it.
  std::string config = Config(K().rsa.PublicJwks("k1"));
  std::string buffer = config + "garbage that is not JSON";
  authgate_verifier* verifier = nullptr;
  ASSERT_EQ(authgate_verifier_new(&verifier, buffer.data(), config.size(), nullptr), AUTHGATE_OK);
  authgate_verifier_free(verifier);

  // And a prefix of a valid document is not accepted as the whole.
  verifier = kVerifierSentinel;
  EXPECT_EQ(authgate_verifier_new(&verifier, config.data(), config.size() - 1, nullptr),
            AUTHGATE_INVALID_CONFIG);
  EXPECT_EQ(verifier, nullptr);
}

// ---------------------------------------------------------------------------
// authgate_verifier_new: configuration errors name the key.

TEST(capi, ConfigNotJson) {
  NewOutcome outcome = TryNew("{\"jwks\":");
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_TRUE(outcome.verifier_null);
  EXPECT_FALSE(outcome.message.empty());
  EXPECT_EQ(TryNew("").status, AUTHGATE_INVALID_CONFIG);
  EXPECT_EQ(TryNew("[]").status, AUTHGATE_INVALID_CONFIG);
}

TEST(capi, ConfigUnknownKeyIsNamed) {
  NewOutcome outcome = TryNew(Config(K().rsa.PublicJwks("k1"), R"("foo":1)"));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_TRUE(outcome.verifier_null);
  EXPECT_NE(outcome.message.find("foo"), std::string::npos) << outcome.message;
}

TEST(capi, ConfigBadClockSkewIsNamed) {
  NewOutcome outcome = TryNew(Config(K().rsa.PublicJwks("k1"), R"("clock_skew":"60")"));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_TRUE(outcome.verifier_null);
  EXPECT_NE(outcome.message.find("clock_skew"), std::string::npos) << outcome.message;

  outcome = TryNew(Config(K().rsa.PublicJwks("k1"), R"("clock_skew":60)"));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_NE(outcome.message.find("clock_skew"), std::string::npos) << outcome.message;
}

TEST(capi, ConfigAlgorithmNoneIsRejected) {
  for (const char* algs : {R"(["none"])", R"(["None"])", R"(["RS256","none"])", R"([])"}) {
    NewOutcome outcome =
        TryNew(Config(K().rsa.PublicJwks("k1"), std::string("\"algorithms\":") + algs));
    EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG) << algs;
    EXPECT_TRUE(outcome.verifier_null) << algs;
    EXPECT_NE(outcome.message.find("algorithms"), std::string::npos) << outcome.message;
  }
}

TEST(capi, ConfigAlgorithmsTheKeysCannotVerify) {
  NewOutcome outcome = TryNew(Config(K().rsa.PublicJwks("k1"), R"("algorithms":["ES256"])"));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_FALSE(outcome.message.empty());
}

TEST(capi, ConfigJwksMissing) {
  NewOutcome outcome = TryNew(R"({"issuers":["https://idp.example"]})");
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_TRUE(outcome.verifier_null);
  EXPECT_NE(outcome.message.find("jwks"), std::string::npos) << outcome.message;
  EXPECT_EQ(TryNew("{}").status, AUTHGATE_INVALID_CONFIG);
}

TEST(capi, ConfigOnlyWeakRsaKeyIsInvalid) {
  NewOutcome outcome = TryNew(Config(K().rsa_weak.PublicJwks("weak")));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_TRUE(outcome.verifier_null);
  EXPECT_NE(outcome.message.find("jwks"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("2048"), std::string::npos) << outcome.message;
}

TEST(capi, ConfigEmptyKeySetIsInvalid) {
  NewOutcome outcome = TryNew(Config(R"({"keys":[]})"));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_NE(outcome.message.find("jwks"), std::string::npos) << outcome.message;
}

TEST(capi, ConfigMixingSymmetricAndAsymmetricKeysIsInvalid) {
  std::string jwks = "{\"keys\":[" + K().rsa.PublicJwk("r") + "," + K().hmac.PublicJwk("h") + "]}";
  EXPECT_EQ(TryNew(Config(jwks)).status, AUTHGATE_INVALID_CONFIG);
}

TEST(capi, ConfigNestedAndRangeErrorsAreNamed) {
  struct Case {
    const char* extra;
    const char* named;
  } cases[] = {
      {R"("token_cache":{"foo":1})", "foo"},
      {R"("token_cache":{"max_entries":-1})", "max_entries"},
      {R"("token_cache":[])", "token_cache"},
      {R"("max_key_candidates":0)", "max_key_candidates"},
      {R"("max_token_size":1)", "max_token_size"},
      {R"("issuers":"https://idp.example")", "issuers"},
      {R"("audiences":[1])", "audiences"},
      {R"("require_exp":"yes")", "require_exp"},
      {R"("max_lifetime":"1y")", "max_lifetime"},
      {R"("typ":7)", "typ"},
  };
  for (const Case& c : cases) {
    NewOutcome outcome = TryNew(Config(K().rsa.PublicJwks("k1"), c.extra));
    EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG) << c.extra;
    EXPECT_TRUE(outcome.verifier_null) << c.extra;
    EXPECT_NE(outcome.message.find(c.named), std::string::npos)
        << c.extra << " -> " << outcome.message;
  }
}

TEST(capi, ConfigMessageHoldsNoKeyMaterial) {
  // A secret that cannot be used must not be echoed back.
  NewOutcome outcome = TryNew(Config(R"({"kty":"oct","k":"c2VjcmV0LXNlY3JldA","alg":"RS256"})"));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_EQ(outcome.message.find("c2VjcmV0LXNlY3JldA"), std::string::npos) << outcome.message;
}

// ---------------------------------------------------------------------------
// authgate_verifier_new: the forms of "jwks".

TEST(capi, JwksForms) {
  const std::string jwk = K().rsa.PublicJwk("k1");
  const std::string jwks = K().rsa.PublicJwks("k1");
  const std::string forms[] = {
      jwks,                                // JWKS object
      jwk,                                 // JWK object
      JsonQuote(jwks),                     // JWKS as a string
      JsonQuote(jwk),                      // JWK as a string
      JsonQuote(K().rsa.PublicPem()),      // PEM public key
      JsonQuote(K().rsa.CertificatePem()), // PEM certificate
  };
  const std::string token = RsaToken(ValidPayload());
  for (const std::string& form : forms) {
    VerifierPtr verifier = NewVerifier(Config(form));
    ASSERT_NE(verifier, nullptr) << form;
    EXPECT_EQ(authgate_verifier_key_count(verifier.get()), 1u) << form;
    EXPECT_EQ(authgate_verifier_warning_count(verifier.get()), 0u) << form;
    EXPECT_VALID(Verify(verifier.get(), token));
  }
}

// ---------------------------------------------------------------------------
// Warnings and key counts.

TEST(capi, WarningForOneUnusableKey) {
  std::string jwks =
      "{\"keys\":[" + K().rsa.PublicJwk("good") + "," + K().rsa_weak.PublicJwk("weak") + "]}";
  VerifierPtr verifier = NewVerifier(Config(jwks));
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(authgate_verifier_key_count(verifier.get()), 1u);
  ASSERT_EQ(authgate_verifier_warning_count(verifier.get()), 1u);
  const char* warning = authgate_verifier_warning(verifier.get(), 0);
  ASSERT_NE(warning, nullptr);
  EXPECT_GT(std::strlen(warning), 0u);
  EXPECT_NE(std::string(warning).find("2048"), std::string::npos) << warning;
  EXPECT_EQ(authgate_verifier_warning(verifier.get(), 1), nullptr);
  EXPECT_EQ(authgate_verifier_warning(verifier.get(), static_cast<size_t>(-1)), nullptr);
  EXPECT_VALID(Verify(verifier.get(), RsaToken(ValidPayload(), R"({"alg":"RS256","kid":"good"})")));

  // A malformed member is a warning too.
  jwks = "{\"keys\":[" + K().rsa.PublicJwk("good") + R"(,{"kty":"RSA","n":"!!","e":"AQAB"}]})";
  verifier = NewVerifier(Config(jwks));
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(authgate_verifier_key_count(verifier.get()), 1u);
  EXPECT_EQ(authgate_verifier_warning_count(verifier.get()), 1u);
  ASSERT_NE(authgate_verifier_warning(verifier.get(), 0), nullptr);
}

TEST(capi, KeysSharingAKidAreAllDropped) {
  std::string jwks = "{\"keys\":[" + K().rsa.PublicJwk("dup") + "," +
                     K().rsa_other.PublicJwk("dup") + "," + K().ec.PublicJwk("third") + "]}";
  VerifierPtr verifier = NewVerifier(Config(jwks));
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(authgate_verifier_key_count(verifier.get()), 1u);
  ASSERT_EQ(authgate_verifier_warning_count(verifier.get()), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const char* warning = authgate_verifier_warning(verifier.get(), i);
    ASSERT_NE(warning, nullptr);
    EXPECT_NE(std::string(warning).find("kid"), std::string::npos) << warning;
  }
  EXPECT_EQ(authgate_verifier_warning(verifier.get(), 2), nullptr);
  // Neither dropped key verifies; the third does.
  Verdict verdict =
      Verify(verifier.get(), RsaToken(ValidPayload(), R"({"alg":"RS256","kid":"dup"})"));
  EXPECT_REJECTED(verdict, AUTHGATE_REASON_KEY_NOT_FOUND);
  std::string ec_token =
      SignToken(K().ec, "ES256", R"({"alg":"ES256","kid":"third"})", ValidPayload());
  EXPECT_VALID(Verify(verifier.get(), ec_token));
}

TEST(capi, KeysSharingAKidOnlyIsInvalidConfig) {
  std::string jwks =
      "{\"keys\":[" + K().rsa.PublicJwk("dup") + "," + K().rsa_other.PublicJwk("dup") + "]}";
  NewOutcome outcome = TryNew(Config(jwks));
  EXPECT_EQ(outcome.status, AUTHGATE_INVALID_CONFIG);
  EXPECT_NE(outcome.message.find("kid"), std::string::npos) << outcome.message;
}

TEST(capi, CountsOnNullVerifier) {
  EXPECT_EQ(authgate_verifier_warning_count(nullptr), 0u);
  EXPECT_EQ(authgate_verifier_warning(nullptr, 0), nullptr);
  EXPECT_EQ(authgate_verifier_key_count(nullptr), 0u);
}

// ---------------------------------------------------------------------------
// authgate_verifier_verify / _verify_at: arguments.

TEST(capi, VerifyNullVerifierIsInvalidArgument) {
  std::string token = RsaToken(ValidPayload());
  for (bool at : {false, true}) {
    authgate_result* result = kResultSentinel;
    authgate_error* raw_error = kErrorSentinel;
    authgate_status status =
        at ? authgate_verifier_verify_at(&result, nullptr, token.data(), token.size(), kNow,
                                         &raw_error)
           : authgate_verifier_verify(&result, nullptr, token.data(), token.size(), &raw_error);
    EXPECT_EQ(status, AUTHGATE_INVALID_ARGUMENT);
    EXPECT_EQ(result, nullptr);
    ASSERT_NE(raw_error, kErrorSentinel);
    ASSERT_NE(raw_error, nullptr);
    ErrorPtr error(raw_error);
    EXPECT_EQ(authgate_error_status(raw_error), AUTHGATE_INVALID_ARGUMENT);
    EXPECT_EQ(authgate_error_reason(raw_error), AUTHGATE_REASON_NONE);
    // Without outputs at all.
    EXPECT_EQ(authgate_verifier_verify(nullptr, nullptr, token.data(), token.size(), nullptr),
              AUTHGATE_INVALID_ARGUMENT);
  }
}

TEST(capi, VerifyNullTokenWithLengthIsInvalidArgument) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  for (bool at : {false, true}) {
    authgate_result* result = kResultSentinel;
    authgate_error* raw_error = kErrorSentinel;
    authgate_status status =
        at ? authgate_verifier_verify_at(&result, verifier.get(), nullptr, 5, kNow, &raw_error)
           : authgate_verifier_verify(&result, verifier.get(), nullptr, 5, &raw_error);
    EXPECT_EQ(status, AUTHGATE_INVALID_ARGUMENT);
    EXPECT_EQ(result, nullptr);
    ASSERT_NE(raw_error, kErrorSentinel);
    ASSERT_NE(raw_error, nullptr);
    ErrorPtr error(raw_error);
    EXPECT_EQ(authgate_error_status(raw_error), AUTHGATE_INVALID_ARGUMENT);
    EXPECT_EQ(authgate_verifier_verify(nullptr, verifier.get(), nullptr, 5, nullptr),
              AUTHGATE_INVALID_ARGUMENT);
  }
}

TEST(capi, VerifyEmptyTokenIsMalformed) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  // NULL with length 0 and a zero-length non-NULL token: both a verdict.
  for (const char* text : {static_cast<const char*>(nullptr), ""}) {
    for (bool at : {false, true}) {
      authgate_result* result = kResultSentinel;
      authgate_error* raw_error = kErrorSentinel;
      authgate_status status =
          at ? authgate_verifier_verify_at(&result, verifier.get(), text, 0, kNow, &raw_error)
             : authgate_verifier_verify(&result, verifier.get(), text, 0, &raw_error);
      EXPECT_EQ(status, AUTHGATE_REJECTED);
      EXPECT_EQ(result, nullptr);
      ASSERT_NE(raw_error, kErrorSentinel);
      ASSERT_NE(raw_error, nullptr);
      ErrorPtr error(raw_error);
      EXPECT_EQ(authgate_error_status(raw_error), AUTHGATE_REJECTED);
      EXPECT_EQ(authgate_error_reason(raw_error), AUTHGATE_REASON_MALFORMED);
    }
  }
}

TEST(capi, VerifySuccessSetsErrorToNull) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  std::string token = RsaToken(ValidPayload());
  Verdict verdict = Verify(verifier.get(), token);  // checks *error == NULL
  EXPECT_VALID(verdict);
  EXPECT_NE(verdict.result, nullptr);
  verdict = Verify(verifier.get(), token, /*now=*/-1);  // the system clock
  EXPECT_VALID(verdict);
}

TEST(capi, VerifyWithoutResultGivesVerdictOnly) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  std::string good = RsaToken(ValidPayload());
  std::string expired = RsaToken(R"({"exp":1000000000})");

  authgate_error* error = kErrorSentinel;
  EXPECT_EQ(authgate_verifier_verify(nullptr, verifier.get(), good.data(), good.size(), &error),
            AUTHGATE_OK);
  EXPECT_EQ(error, nullptr);
  error = kErrorSentinel;
  EXPECT_EQ(authgate_verifier_verify_at(nullptr, verifier.get(), good.data(), good.size(), kNow,
                                        &error),
            AUTHGATE_OK);
  EXPECT_EQ(error, nullptr);

  error = kErrorSentinel;
  EXPECT_EQ(authgate_verifier_verify(nullptr, verifier.get(), expired.data(), expired.size(),
                                     &error),
            AUTHGATE_REJECTED);
  ASSERT_NE(error, kErrorSentinel);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(authgate_error_reason(error), AUTHGATE_REASON_EXPIRED);
  authgate_error_free(error);

  // Neither output nor error.
  EXPECT_EQ(authgate_verifier_verify(nullptr, verifier.get(), good.data(), good.size(), nullptr),
            AUTHGATE_OK);
  EXPECT_EQ(authgate_verifier_verify(nullptr, verifier.get(), expired.data(), expired.size(),
                                     nullptr),
            AUTHGATE_REJECTED);
}

TEST(capi, VerifyWithNullErrorOnRejection) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  std::string expired = RsaToken(R"({"exp":1000000000})");
  authgate_result* result = kResultSentinel;
  EXPECT_EQ(authgate_verifier_verify(&result, verifier.get(), expired.data(), expired.size(),
                                     nullptr),
            AUTHGATE_REJECTED);
  EXPECT_EQ(result, nullptr);
  result = kResultSentinel;
  EXPECT_EQ(authgate_verifier_verify_at(&result, verifier.get(), "x", 1, kNow, nullptr),
            AUTHGATE_REJECTED);
  EXPECT_EQ(result, nullptr);
}

TEST(capi, VerifyReadsExactlyTokenLenBytes) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  std::string token = RsaToken(ValidPayload());
  std::string buffer = token + "trailing-bytes";
  authgate_result* result = nullptr;
  ASSERT_EQ(authgate_verifier_verify_at(&result, verifier.get(), buffer.data(), token.size(), kNow,
                                        nullptr),
            AUTHGATE_OK);
  authgate_result_free(result);
  // Surrounding whitespace is not stripped.
  std::string with_newline = token + "\n";
  EXPECT_REJECTED(Verify(verifier.get(), with_newline), AUTHGATE_REASON_MALFORMED);
}

// ---------------------------------------------------------------------------
// Verdicts through the C ABI.

TEST(capi, VerdictReasons) {
  VerifierPtr verifier = RsaVerifier(
      R"("issuers":["https://idp.example"],"audiences":["api"],"algorithms":["RS256","PS256"])");
  ASSERT_NE(verifier, nullptr);
  const std::string kid1 = R"({"alg":"RS256","kid":"k1"})";
  struct Case {
    std::string token;
    authgate_reason reason;
  } cases[] = {
      {"a.b", AUTHGATE_REASON_MALFORMED},
      {"not a token", AUTHGATE_REASON_MALFORMED},
      {Compact(R"({"alg":"RSA-OAEP","enc":"A128GCM"})", "x", "y") + ".e.f",
       AUTHGATE_REASON_UNSUPPORTED_TOKEN_TYPE},
      {Compact(R"({"alg":"none"})", ValidPayload(), ""), AUTHGATE_REASON_UNSUPPORTED_ALG},
      {SignToken(K().rsa, "RS384", R"({"alg":"RS384","kid":"k1"})", ValidPayload()),
       AUTHGATE_REASON_ALG_NOT_ALLOWED},
      {RsaToken(ValidPayload(), R"({"alg":"RS256","kid":"k9"})"), AUTHGATE_REASON_KEY_NOT_FOUND},
      {SignToken(K().rsa_other, "RS256", kid1, ValidPayload()),
       AUTHGATE_REASON_SIGNATURE_INVALID},
      {RsaToken(R"({"iss":"https://idp.example","aud":"api","exp":1000})"),
       AUTHGATE_REASON_EXPIRED},
      {RsaToken(R"({"iss":"https://idp.example","aud":"api","exp":4102444800,)"
                R"("nbf":4000000000})"),
       AUTHGATE_REASON_NOT_YET_VALID},
      {RsaToken(R"({"iss":"https://other","aud":"api","exp":4102444800})"),
       AUTHGATE_REASON_ISSUER_MISMATCH},
      {RsaToken(R"({"iss":"https://idp.example","aud":"web","exp":4102444800})"),
       AUTHGATE_REASON_AUDIENCE_MISMATCH},
      {RsaToken(R"({"aud":"api","exp":4102444800})"), AUTHGATE_REASON_MISSING_CLAIM},
      {RsaToken(R"({"iss":"https://idp.example","aud":"api","exp":"tomorrow"})"),
       AUTHGATE_REASON_INVALID_CLAIM},
      {RsaToken(ValidPayload(), R"({"alg":"RS256","kid":"k1","crit":["x"],"x":1})"),
       AUTHGATE_REASON_UNSUPPORTED_HEADER},
  };
  EXPECT_VALID(Verify(verifier.get(), RsaToken(ValidPayload())));
  for (const Case& c : cases) {
    SCOPED_TRACE(authgate_reason_name(c.reason));
    EXPECT_REJECTED(Verify(verifier.get(), c.token), c.reason);
  }
}

TEST(capi, VerdictReasonsFromOptions) {
  VerifierPtr verifier = RsaVerifier(
      R"("max_token_size":64,"typ":"at+jwt","subjects":["bob"],"max_lifetime":"1h")");
  ASSERT_NE(verifier, nullptr);
  EXPECT_REJECTED(Verify(verifier.get(), RsaToken(ValidPayload())),
                  AUTHGATE_REASON_TOKEN_TOO_LARGE);

  verifier = RsaVerifier(R"("typ":"at+jwt","subjects":["bob"],"max_lifetime":"1h")");
  ASSERT_NE(verifier, nullptr);
  const std::string at_jwt = R"({"alg":"RS256","kid":"k1","typ":"at+jwt"})";
  EXPECT_VALID(Verify(verifier.get(),
                      RsaToken(R"({"sub":"bob","iat":1700000000,"exp":1700003600})", at_jwt)));
  EXPECT_REJECTED(Verify(verifier.get(),
                         RsaToken(R"({"sub":"bob","iat":1700000000,"exp":1700003600})")),
                  AUTHGATE_REASON_TYPE_MISMATCH);
  EXPECT_REJECTED(Verify(verifier.get(),
                         RsaToken(R"({"sub":"eve","iat":1700000000,"exp":1700003600})", at_jwt)),
                  AUTHGATE_REASON_SUBJECT_NOT_ALLOWED);
  EXPECT_REJECTED(Verify(verifier.get(),
                         RsaToken(R"({"sub":"bob","iat":1700000000,"exp":1700003601})", at_jwt)),
                  AUTHGATE_REASON_LIFETIME_TOO_LONG);
}

TEST(capi, RejectionMessageHoldsNoToken) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  std::string forged = SignToken(K().rsa_other, "RS256", R"({"alg":"RS256","kid":"k1"})",
                                 ValidPayload());
  Verdict verdict = Verify(verifier.get(), forged);
  EXPECT_REJECTED(verdict, AUTHGATE_REASON_SIGNATURE_INVALID);
  EXPECT_FALSE(verdict.message.empty());
  std::string signature = forged.substr(forged.rfind('.') + 1);
  std::string payload_segment = forged.substr(forged.find('.') + 1, 40);
  EXPECT_EQ(verdict.message.find(signature.substr(0, 16)), std::string::npos) << verdict.message;
  EXPECT_EQ(verdict.message.find(payload_segment), std::string::npos) << verdict.message;
}

// ---------------------------------------------------------------------------
// Time: verify_at and the exp/nbf boundaries.

TEST(capi, VerifyAtExpBoundaryWithDefaultSkew) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  std::string token = RsaToken(R"({"exp":1700000000})");
  EXPECT_VALID(Verify(verifier.get(), token, kNow - 3600));
  EXPECT_VALID(Verify(verifier.get(), token, kNow));
  EXPECT_VALID(Verify(verifier.get(), token, kNow + 59));  // default skew: 60 s
  EXPECT_REJECTED(Verify(verifier.get(), token, kNow + 60), AUTHGATE_REASON_EXPIRED);
  EXPECT_REJECTED(Verify(verifier.get(), token, kNow + 100000), AUTHGATE_REASON_EXPIRED);
  // The system clock is long past 2023.
  EXPECT_REJECTED(Verify(verifier.get(), token, /*now=*/-1), AUTHGATE_REASON_EXPIRED);
}

TEST(capi, VerifyAtExpBoundaryWithoutSkew) {
  VerifierPtr verifier = RsaVerifier(R"("clock_skew":"0s")");
  ASSERT_NE(verifier, nullptr);
  std::string token = RsaToken(R"({"exp":1700000000})");
  EXPECT_VALID(Verify(verifier.get(), token, kNow - 1));
  EXPECT_REJECTED(Verify(verifier.get(), token, kNow), AUTHGATE_REASON_EXPIRED);
  // A fractional exp: valid strictly before it.
  std::string fractional = RsaToken(R"({"exp":1700000000.5})");
  EXPECT_VALID(Verify(verifier.get(), fractional, kNow));
  EXPECT_REJECTED(Verify(verifier.get(), fractional, kNow + 1), AUTHGATE_REASON_EXPIRED);
}

TEST(capi, VerifyAtNbfBoundary) {
  VerifierPtr verifier = RsaVerifier(R"("clock_skew":"0s")");
  ASSERT_NE(verifier, nullptr);
  std::string token = RsaToken(R"({"nbf":1700000000,"exp":4102444800})");
  EXPECT_REJECTED(Verify(verifier.get(), token, kNow - 1), AUTHGATE_REASON_NOT_YET_VALID);
  EXPECT_VALID(Verify(verifier.get(), token, kNow));

  verifier = RsaVerifier();  // 60 s skew
  ASSERT_NE(verifier, nullptr);
  EXPECT_VALID(Verify(verifier.get(), token, kNow - 60));
  EXPECT_REJECTED(Verify(verifier.get(), token, kNow - 61), AUTHGATE_REASON_NOT_YET_VALID);
}

TEST(capi, VerifyAtExtremeTimes) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  std::string token = RsaToken(R"({"exp":1700000000})");
  EXPECT_VALID(Verify(verifier.get(), token, 0));
  EXPECT_REJECTED(Verify(verifier.get(), token, INT64_MAX), AUTHGATE_REASON_EXPIRED);
  // A negative time is before the epoch; it is not a "use the clock" flag.
  authgate_status status = authgate_verifier_verify_at(nullptr, verifier.get(), token.data(),
                                                       token.size(), INT64_MIN, nullptr);
  EXPECT_EQ(status, AUTHGATE_OK);
}

// ---------------------------------------------------------------------------
// Result getters.

// A payload exercising every getter; the spacing and order are deliberate
// (claims_json must return these bytes exactly).
const char kRichPayload[] =
    R"({ "iss" : "https://idp.example", "sub":"alice",  "exp": 4102444800.75,)"
    R"( "n": 42.5, "int": -7, "big": 1e3, "s":"a\u0000b", "esc":"line\nq\"\u00e9\/",)"
    R"( "obj": {"a": [1, 2, {"b": null}], "c": "\u0041"}, "arr":[1,"x"], "t":true, "nul":null,)"
    " \"utf8\":\"\xc3\xa9\xe2\x82\xac\" }";
const char kRichHeader[] = R"({"alg":"RS256", "kid":"k1", "typ":"JWT"})";

ResultPtr RichResult(authgate_verifier* verifier) {
  Verdict verdict = Verify(verifier, RsaToken(kRichPayload, kRichHeader));
  EXPECT_VALID(verdict);
  return std::move(verdict.result);
}

TEST(capi, ResultClaimsJsonIsTheExactPayload) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  size_t len = 0;
  const char* claims = authgate_result_claims_json(result.get(), &len);
  ASSERT_NE(claims, nullptr);
  EXPECT_EQ(std::string(claims, len), kRichPayload);
  EXPECT_EQ(claims[len], '\0') << "NUL-terminated";
  EXPECT_EQ(authgate_result_claims_json(result.get(), nullptr), claims) << "out_len optional";
}

TEST(capi, ResultHeaderJson) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  size_t len = 0;
  const char* header = authgate_result_header_json(result.get(), &len);
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(std::string(header, len), kRichHeader);
  EXPECT_EQ(header[len], '\0');
  EXPECT_EQ(authgate_result_header_json(result.get(), nullptr), header);
}

TEST(capi, ResultAlgorithm) {
  std::string jwks = "{\"keys\":[" + K().rsa.PublicJwk("r") + "," + K().ec.PublicJwk("e") + "," +
                     K().ed.PublicJwk("d") + "]}";
  VerifierPtr verifier = NewVerifier(Config(jwks));
  ASSERT_NE(verifier, nullptr);
  struct Case {
    const TestKey& key;
    const char* alg;
    const char* kid;
  } cases[] = {{K().rsa, "RS256", "r"}, {K().rsa, "PS384", "r"}, {K().rsa, "RS512", "r"},
               {K().ec, "ES256", "e"},  {K().ed, "EdDSA", "d"}};
  for (const Case& c : cases) {
    std::string header = std::string(R"({"alg":")") + c.alg + R"(","kid":")" + c.kid + "\"}";
    Verdict verdict = Verify(verifier.get(), SignToken(c.key, c.alg, header, ValidPayload()));
    EXPECT_VALID(verdict) << c.alg;
    if (verdict.result == nullptr) continue;
    ASSERT_NE(authgate_result_algorithm(verdict.result.get()), nullptr);
    EXPECT_STREQ(authgate_result_algorithm(verdict.result.get()), c.alg);
    EXPECT_STREQ(authgate_result_key_id(verdict.result.get()), c.kid);
  }
}

TEST(capi, ResultKeyIdIsTheKeys) {
  // A key without a kid: "".
  VerifierPtr verifier = NewVerifier(Config(K().rsa.PublicJwks()));
  ASSERT_NE(verifier, nullptr);
  Verdict verdict = Verify(verifier.get(), RsaToken(ValidPayload(), R"({"alg":"RS256"})"));
  EXPECT_VALID(verdict);
  ASSERT_NE(verdict.result, nullptr);
  ASSERT_NE(authgate_result_key_id(verdict.result.get()), nullptr);
  EXPECT_STREQ(authgate_result_key_id(verdict.result.get()), "");
  // The token names a kid but the key has none: still the key's ("").
  verdict = Verify(verifier.get(), RsaToken(ValidPayload(), R"({"alg":"RS256","kid":"tok"})"));
  EXPECT_VALID(verdict);
  ASSERT_NE(verdict.result, nullptr);
  EXPECT_STREQ(authgate_result_key_id(verdict.result.get()), "");

  // A key with a kid, and a token without: the key's.
  verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  verdict = Verify(verifier.get(), RsaToken(ValidPayload(), R"({"alg":"RS256"})"));
  EXPECT_VALID(verdict);
  ASSERT_NE(verdict.result, nullptr);
  EXPECT_STREQ(authgate_result_key_id(verdict.result.get()), "k1");
}

TEST(capi, ResultSubjectIssuerExpiry) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  ASSERT_NE(authgate_result_subject(result.get()), nullptr);
  EXPECT_STREQ(authgate_result_subject(result.get()), "alice");
  ASSERT_NE(authgate_result_issuer(result.get()), nullptr);
  EXPECT_STREQ(authgate_result_issuer(result.get()), "https://idp.example");
  // exp 4102444800.75: fractions dropped.
  EXPECT_EQ(authgate_result_expires_at(result.get()), 4102444800);
}

TEST(capi, ResultAbsentClaims) {
  VerifierPtr verifier = RsaVerifier(R"("require_exp":false)");
  ASSERT_NE(verifier, nullptr);
  Verdict verdict = Verify(verifier.get(), RsaToken(R"({"scope":"read"})"));
  EXPECT_VALID(verdict);
  ASSERT_NE(verdict.result, nullptr);
  EXPECT_EQ(authgate_result_subject(verdict.result.get()), nullptr);
  EXPECT_EQ(authgate_result_issuer(verdict.result.get()), nullptr);
  EXPECT_EQ(authgate_result_expires_at(verdict.result.get()), -1);
  size_t len = 99;
  const char* claims = authgate_result_claims_json(verdict.result.get(), &len);
  EXPECT_EQ(std::string(claims, len), R"({"scope":"read"})");

  // An empty claims object.
  verdict = Verify(verifier.get(), RsaToken("{}"));
  EXPECT_VALID(verdict);
  ASSERT_NE(verdict.result, nullptr);
  EXPECT_EQ(authgate_result_subject(verdict.result.get()), nullptr);
  EXPECT_EQ(authgate_result_expires_at(verdict.result.get()), -1);
}

TEST(capi, ResultNonStringSubjectOrIssuerIsNeverAResult) {
  // Registered claims of the wrong type are rejected, so a result can never
  // hold a non-string sub or iss (the getters' NULL case is unreachable).
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  EXPECT_REJECTED(Verify(verifier.get(), RsaToken(R"({"sub":7,"exp":4102444800})")),
                  AUTHGATE_REASON_INVALID_CLAIM);
  EXPECT_REJECTED(Verify(verifier.get(), RsaToken(R"({"iss":["a"],"exp":4102444800})")),
                  AUTHGATE_REASON_INVALID_CLAIM);
}

TEST(capi, ResultExpiresAtFloors) {
  VerifierPtr verifier = RsaVerifier(R"("clock_skew":"0s")");
  ASSERT_NE(verifier, nullptr);
  struct Case {
    const char* payload;
    int64_t expected;
  } cases[] = {{R"({"exp":1700000100})", 1700000100},
               {R"({"exp":1700000100.999})", 1700000100},
               {R"({"exp":1700000100.0})", 1700000100},
               {R"({"exp":17000001e2})", 1700000100},
               {R"({"exp":1.7000001005e9})", 1700000100}};
  for (const Case& c : cases) {
    Verdict verdict = Verify(verifier.get(), RsaToken(c.payload));
    EXPECT_VALID(verdict) << c.payload;
    if (verdict.result == nullptr) continue;
    EXPECT_EQ(authgate_result_expires_at(verdict.result.get()), c.expected) << c.payload;
  }
}

TEST(capi, ResultClaimString) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  const authgate_result* r = result.get();

  const char* value = nullptr;
  size_t len = 0;
  ASSERT_EQ(authgate_result_claim_string(&value, &len, r, "sub", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(std::string(value, len), "alice");

  // Embedded NUL: the length is what counts.
  ASSERT_EQ(authgate_result_claim_string(&value, &len, r, "s", 1, nullptr), AUTHGATE_OK);
  ASSERT_EQ(len, 3u);
  EXPECT_EQ(std::string(value, len), std::string("a\0b", 3));

  // Escapes are decoded.
  ASSERT_EQ(authgate_result_claim_string(&value, &len, r, "esc", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(std::string(value, len), "line\nq\"\xc3\xa9/");
  ASSERT_EQ(authgate_result_claim_string(&value, &len, r, "utf8", 4, nullptr), AUTHGATE_OK);
  EXPECT_EQ(std::string(value, len), "\xc3\xa9\xe2\x82\xac");

  // The name is (name, name_len): not NUL-terminated, trailing bytes ignored.
  ASSERT_EQ(authgate_result_claim_string(&value, &len, r, "subXYZ", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(std::string(value, len), "alice");

  EXPECT_EQ(authgate_result_claim_string(&value, &len, r, "missing", 7, nullptr), AUTHGATE_NOT_FOUND);
  EXPECT_EQ(authgate_result_claim_string(&value, &len, r, "su", 2, nullptr), AUTHGATE_NOT_FOUND);
  EXPECT_EQ(authgate_result_claim_string(&value, &len, r, "", 0, nullptr), AUTHGATE_NOT_FOUND);
  EXPECT_EQ(authgate_result_claim_string(&value, &len, r, nullptr, 0, nullptr), AUTHGATE_NOT_FOUND);
  for (const char* name : {"n", "exp", "obj", "arr", "t", "nul"}) {
    EXPECT_EQ(authgate_result_claim_string(&value, &len, r, name, std::strlen(name), nullptr),
              AUTHGATE_WRONG_TYPE)
        << name;
  }
  // Nested members are not top-level claims.
  EXPECT_EQ(authgate_result_claim_string(&value, &len, r, "c", 1, nullptr), AUTHGATE_NOT_FOUND);
}

TEST(capi, ResultClaimStringArguments) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  const char* value = nullptr;
  size_t len = 0;
  EXPECT_EQ(authgate_result_claim_string(nullptr, &len, result.get(), "sub", 3, nullptr),
            AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_result_claim_string(&value, nullptr, result.get(), "sub", 3, nullptr),
            AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_result_claim_string(&value, &len, nullptr, "sub", 3, nullptr),
            AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_result_claim_string(&value, &len, result.get(), nullptr, 3, nullptr),
            AUTHGATE_INVALID_ARGUMENT);
}

TEST(capi, ResultClaimNumber) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  const authgate_result* r = result.get();
  double value = 0;
  ASSERT_EQ(authgate_result_claim_number(&value, r, "n", 1, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, 42.5);
  ASSERT_EQ(authgate_result_claim_number(&value, r, "int", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, -7.0);
  ASSERT_EQ(authgate_result_claim_number(&value, r, "big", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, 1000.0);
  ASSERT_EQ(authgate_result_claim_number(&value, r, "exp", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, 4102444800.75);

  value = 123;
  EXPECT_EQ(authgate_result_claim_number(&value, r, "missing", 7, nullptr), AUTHGATE_NOT_FOUND);
  for (const char* name : {"sub", "s", "obj", "arr", "t", "nul"}) {
    EXPECT_EQ(authgate_result_claim_number(&value, r, name, std::strlen(name), nullptr),
              AUTHGATE_WRONG_TYPE)
        << name;
  }
  EXPECT_EQ(authgate_result_claim_number(nullptr, r, "n", 1, nullptr), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_result_claim_number(&value, nullptr, "n", 1, nullptr), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_result_claim_number(&value, r, nullptr, 1, nullptr), AUTHGATE_INVALID_ARGUMENT);
}

// Integers above 2^53 survive exactly; anything but an integer literal in
// int64 range is the wrong type, with a message.
TEST(capi, ResultClaimInt64IsExact) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  Verdict verdict = Verify(
      verifier.get(),
      RsaToken(R"({"iss":"https://idp.example","exp":4102444800,"id":9007199254740993,)"
               R"("max":9223372036854775807,"min":-9223372036854775808,)"
               R"("over":9223372036854775808,"frac":1.5,"e":1e3,"s":"1"})"));
  EXPECT_VALID(verdict);
  const authgate_result* r = verdict.result.get();
  int64_t value = 0;
  ASSERT_EQ(authgate_result_claim_int64(&value, r, "id", 2, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, INT64_C(9007199254740993));
  double lossy = 0;
  ASSERT_EQ(authgate_result_claim_number(&lossy, r, "id", 2, nullptr), AUTHGATE_OK);
  EXPECT_NE(static_cast<int64_t>(lossy), value) << "why the int64 getter exists";
  ASSERT_EQ(authgate_result_claim_int64(&value, r, "max", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, INT64_MAX);
  ASSERT_EQ(authgate_result_claim_int64(&value, r, "min", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, INT64_MIN);
  ASSERT_EQ(authgate_result_claim_int64(&value, r, "exp", 3, nullptr), AUTHGATE_OK);
  EXPECT_EQ(value, 4102444800);
  for (const char* name : {"over", "frac", "e", "s"}) {
    authgate_error* error = nullptr;
    value = 77;
    EXPECT_EQ(authgate_result_claim_int64(&value, r, name, std::strlen(name), &error),
              AUTHGATE_WRONG_TYPE)
        << name;
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(authgate_error_status(error), AUTHGATE_WRONG_TYPE);
    EXPECT_THAT(authgate_error_message(error), HasSubstr("int64"));
    authgate_error_free(error);
    EXPECT_EQ(value, 77) << "untouched on failure";
  }
  authgate_error* error = nullptr;
  EXPECT_EQ(authgate_result_claim_int64(&value, r, "missing", 7, &error), AUTHGATE_NOT_FOUND);
  EXPECT_EQ(authgate_error_status(error), AUTHGATE_NOT_FOUND);
  authgate_error_free(error);
  EXPECT_EQ(authgate_result_claim_int64(nullptr, r, "id", 2, nullptr), AUTHGATE_INVALID_ARGUMENT);
}

// A verifier's counters come as numbers with stable names.
TEST(capi, VerifierCounters) {
  VerifierPtr verifier = NewVerifier(
      Config(K().rsa.PublicJwks("k1"), R"("token_cache": {"max_entries": 16})"));
  ASSERT_NE(verifier, nullptr);
  std::string token = RsaToken(ValidPayload());
  for (int i = 0; i < 3; ++i) EXPECT_VALID(Verify(verifier.get(), token));
  uint64_t values[16] = {};
  size_t count = 0;
  ASSERT_EQ(authgate_verifier_counters(values, 16, &count, verifier.get(),
                                       AUTHGATE_COUNTERS_VERIFIER, nullptr),
            AUTHGATE_OK);
  ASSERT_EQ(count, 6u);
  std::map<std::string, uint64_t> named;
  for (size_t i = 0; i < count; ++i) {
    const char* name = authgate_counter_name(AUTHGATE_COUNTERS_VERIFIER, i);
    ASSERT_NE(name, nullptr) << i;
    named[name] = values[i];
  }
  EXPECT_EQ(authgate_counter_name(AUTHGATE_COUNTERS_VERIFIER, count), nullptr);
  EXPECT_EQ(named["keys"], 1u);
  EXPECT_EQ(named["token_cache_entries"], 1u);
  EXPECT_EQ(named["token_cache_misses"], 1u);
  EXPECT_EQ(named["token_cache_hits"], 2u);
  EXPECT_EQ(named["jwks_fetch_failures"], 0u);
  authgate_error* error = nullptr;
  EXPECT_EQ(authgate_verifier_counters(values, 16, &count, verifier.get(),
                                       AUTHGATE_COUNTERS_ENGINE, &error),
            AUTHGATE_INVALID_ARGUMENT);
  authgate_error_free(error);
  EXPECT_EQ(authgate_verifier_counters(nullptr, 4, &count, verifier.get(),
                                       AUTHGATE_COUNTERS_VERIFIER, nullptr),
            AUTHGATE_INVALID_ARGUMENT);
}

TEST(capi, ResultClaimJsonIsRawText) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  const authgate_result* r = result.get();
  struct Case {
    const char* name;
    std::string expected;
  } cases[] = {
      {"obj", R"({"a": [1, 2, {"b": null}], "c": "\u0041"})"},
      {"arr", R"([1,"x"])"},
      {"s", R"("a\u0000b")"},
      {"esc", R"("line\nq\"\u00e9\/")"},
      {"n", "42.5"},
      {"big", "1e3"},
      {"exp", "4102444800.75"},
      {"t", "true"},
      {"nul", "null"},
      {"sub", R"("alice")"},
  };
  for (const Case& c : cases) {
    char* json = kStringSentinel;
    size_t len = 0;
    ASSERT_EQ(authgate_result_claim_json(&json, &len, r, c.name, std::strlen(c.name), nullptr), AUTHGATE_OK)
        << c.name;
    ASSERT_NE(json, nullptr);
    ASSERT_NE(json, kStringSentinel);
    StringPtr owned(json);
    EXPECT_EQ(std::string(json, len), c.expected) << c.name;
    EXPECT_EQ(json[len], '\0') << c.name;
  }
  // out_len is optional.
  char* json = nullptr;
  ASSERT_EQ(authgate_result_claim_json(&json, nullptr, r, "arr", 3, nullptr), AUTHGATE_OK);
  ASSERT_NE(json, nullptr);
  EXPECT_STREQ(json, R"([1,"x"])");
  authgate_string_free(json);

  json = kStringSentinel;
  EXPECT_EQ(authgate_result_claim_json(&json, nullptr, r, "missing", 7, nullptr), AUTHGATE_NOT_FOUND);
  EXPECT_EQ(json, nullptr);
  EXPECT_EQ(authgate_result_claim_json(nullptr, nullptr, r, "arr", 3, nullptr), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_result_claim_json(&json, nullptr, nullptr, "arr", 3, nullptr),
            AUTHGATE_INVALID_ARGUMENT);
}

TEST(capi, ResultOutlivesVerifier) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  const char* value = nullptr;
  size_t value_len = 0;
  ASSERT_EQ(authgate_result_claim_string(&value, &value_len, result.get(), "esc", 3, nullptr),
            AUTHGATE_OK);
  const char* subject = authgate_result_subject(result.get());
  const char* kid = authgate_result_key_id(result.get());

  verifier.reset();  // the verifier goes first

  size_t len = 0;
  const char* claims = authgate_result_claims_json(result.get(), &len);
  EXPECT_EQ(std::string(claims, len), kRichPayload);
  const char* header = authgate_result_header_json(result.get(), &len);
  EXPECT_EQ(std::string(header, len), kRichHeader);
  EXPECT_STREQ(authgate_result_algorithm(result.get()), "RS256");
  EXPECT_STREQ(kid, "k1");
  EXPECT_STREQ(subject, "alice");
  EXPECT_EQ(std::string(value, value_len), "line\nq\"\xc3\xa9/");
  EXPECT_EQ(authgate_result_expires_at(result.get()), 4102444800);
  char* json = nullptr;
  ASSERT_EQ(authgate_result_claim_json(&json, &len, result.get(), "obj", 3, nullptr), AUTHGATE_OK);
  StringPtr owned(json);
  EXPECT_EQ(std::string(json, len), R"({"a": [1, 2, {"b": null}], "c": "\u0041"})");
  double number = 0;
  EXPECT_EQ(authgate_result_claim_number(&number, result.get(), "n", 1, nullptr), AUTHGATE_OK);
  EXPECT_EQ(number, 42.5);
}

TEST(capi, ResultsAreIndependentOfEachOther) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  Verdict first = Verify(verifier.get(), RsaToken(R"({"sub":"one","exp":4102444800})"));
  Verdict second = Verify(verifier.get(), RsaToken(R"({"sub":"two","exp":4102444800})"));
  ASSERT_NE(first.result, nullptr);
  ASSERT_NE(second.result, nullptr);
  EXPECT_NE(first.result.get(), second.result.get());
  first.result.reset();
  EXPECT_STREQ(authgate_result_subject(second.result.get()), "two");
}

TEST(capi, ResultsFromTheTokenCache) {
  // With the cache on, a second verification of the same token may be served
  // from it: the result must be the same and still outlive the verifier, and
  // the cache must not extend the token's life.
  VerifierPtr verifier =
      RsaVerifier(R"("token_cache":{"max_entries":16,"max_bytes":1048576})");
  ASSERT_NE(verifier, nullptr);
  const std::string token = RsaToken(kRichPayload, kRichHeader);
  Verdict first = Verify(verifier.get(), token);
  Verdict second = Verify(verifier.get(), token);
  Verdict third = Verify(verifier.get(), token, /*now=*/-1);
  EXPECT_VALID(first);
  EXPECT_VALID(second);
  EXPECT_VALID(third);
  ASSERT_NE(first.result, nullptr);
  ASSERT_NE(second.result, nullptr);
  EXPECT_NE(first.result.get(), second.result.get()) << "each result is its own handle";
  EXPECT_EQ(authgate_verifier_verify_at(nullptr, verifier.get(), token.data(), token.size(), kNow,
                                        nullptr),
            AUTHGATE_OK);

  const std::string short_lived = RsaToken(R"({"sub":"c","exp":1700000000})");
  EXPECT_VALID(Verify(verifier.get(), short_lived, kNow));
  EXPECT_VALID(Verify(verifier.get(), short_lived, kNow));
  EXPECT_REJECTED(Verify(verifier.get(), short_lived, kNow + 60), AUTHGATE_REASON_EXPIRED);
  EXPECT_REJECTED(Verify(verifier.get(), short_lived, /*now=*/-1), AUTHGATE_REASON_EXPIRED);
  // A cached token is still subject to the verifier's rules: a rejected
  // variant (other signature) is not served from the entry of the good one.
  std::string tampered = token;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_REJECTED(Verify(verifier.get(), tampered), AUTHGATE_REASON_SIGNATURE_INVALID);

  verifier.reset();
  for (const Verdict* verdict : {&first, &second, &third}) {
    size_t len = 0;
    const char* claims = authgate_result_claims_json(verdict->result.get(), &len);
    EXPECT_EQ(std::string(claims, len), kRichPayload);
    const char* header = authgate_result_header_json(verdict->result.get(), &len);
    EXPECT_EQ(std::string(header, len), kRichHeader);
    EXPECT_STREQ(authgate_result_key_id(verdict->result.get()), "k1");
    EXPECT_STREQ(authgate_result_subject(verdict->result.get()), "alice");
    const char* value = nullptr;
    ASSERT_EQ(authgate_result_claim_string(&value, &len, verdict->result.get(), "s", 1, nullptr),
              AUTHGATE_OK);
    EXPECT_EQ(std::string(value, len), std::string("a\0b", 3));
  }
}

// ---------------------------------------------------------------------------
// authgate_token_decode.

struct Decoded {
  authgate_status status = AUTHGATE_INTERNAL;
  authgate_reason reason = AUTHGATE_REASON_NONE;
  std::string header;
  std::string payload;
};

Decoded Decode(const std::string& token) {
  char* header = kStringSentinel;
  char* payload = kStringSentinel;
  size_t header_len = 0, payload_len = 0;
  authgate_error* raw_error = kErrorSentinel;
  Decoded out;
  out.status = authgate_token_decode(&header, &header_len, &payload, &payload_len, token.data(),
                                     token.size(), &raw_error);
  if (out.status == AUTHGATE_OK) {
    EXPECT_EQ(raw_error, nullptr);
    EXPECT_NE(header, nullptr);
    EXPECT_NE(payload, nullptr);
    if (header == nullptr || payload == nullptr || header == kStringSentinel ||
        payload == kStringSentinel) {
      return out;
    }
    StringPtr owned_header(header), owned_payload(payload);
    EXPECT_EQ(header[header_len], '\0');
    EXPECT_EQ(payload[payload_len], '\0');
    out.header.assign(header, header_len);
    out.payload.assign(payload, payload_len);
    return out;
  }
  EXPECT_EQ(header, nullptr);
  EXPECT_EQ(payload, nullptr);
  EXPECT_NE(raw_error, kErrorSentinel);
  EXPECT_NE(raw_error, nullptr);
  if (raw_error == kErrorSentinel || raw_error == nullptr) return out;
  ErrorPtr error(raw_error);
  EXPECT_EQ(authgate_error_status(raw_error), out.status);
  out.reason = authgate_error_reason(raw_error);
  return out;
}

TEST(capi, DecodeValidToken) {
  const std::string header = R"({"alg":"RS256", "kid":"k1"})";
  const std::string payload = R"({"sub":"alice", "exp":1})";
  Decoded decoded = Decode(RsaToken(payload, header));
  ASSERT_EQ(decoded.status, AUTHGATE_OK);
  EXPECT_EQ(decoded.header, header);
  EXPECT_EQ(decoded.payload, payload);
}

TEST(capi, DecodeChecksNothingButSyntax) {
  // A forged signature, an expired token and an unknown kid all decode.
  std::string forged = SignToken(K().rsa_other, "RS256", R"({"alg":"RS256"})", R"({"exp":1})");
  EXPECT_EQ(Decode(forged).status, AUTHGATE_OK);
  EXPECT_EQ(Decode(Compact(R"({"alg":"HS256"})", R"({"a":1})", "sig")).status, AUTHGATE_OK);
}

TEST(capi, DecodeNonJsonPayloadAsBytes) {
  std::string payload("not json\0with nul", 17);
  Decoded decoded = Decode(Compact(R"({"alg":"RS256"})", payload, "sig"));
  ASSERT_EQ(decoded.status, AUTHGATE_OK);
  EXPECT_EQ(decoded.payload, payload);
  EXPECT_EQ(decoded.payload.size(), 17u);
}

TEST(capi, DecodeMalformed) {
  for (const std::string& token :
       {std::string(""), std::string("abc"), std::string("a.b"), std::string("a.b.c.d"),
        std::string("!!!.e30.sig"), Compact("not json", "{}", "s"),
        Compact(R"({"alg":"RS256","alg":"none"})", "{}", "s"),
        Base64Url(R"({"alg":"RS256"})") + "=." + Base64Url("{}") + ".c2ln"}) {
    Decoded decoded = Decode(token);
    EXPECT_EQ(decoded.status, AUTHGATE_REJECTED) << token;
    EXPECT_EQ(decoded.reason, AUTHGATE_REASON_MALFORMED) << token;
  }
  Decoded jwe = Decode(Compact(R"({"alg":"RSA-OAEP","enc":"A128GCM"})", "k", "iv") + ".c.t");
  EXPECT_EQ(jwe.status, AUTHGATE_REJECTED);
  EXPECT_EQ(jwe.reason, AUTHGATE_REASON_UNSUPPORTED_TOKEN_TYPE);
}

TEST(capi, DecodeArguments) {
  std::string token = RsaToken(ValidPayload());
  char* header = kStringSentinel;
  char* payload = kStringSentinel;
  authgate_error* raw_error = kErrorSentinel;

  // Lengths are optional; error too.
  ASSERT_EQ(authgate_token_decode(&header, nullptr, &payload, nullptr, token.data(), token.size(),
                                  nullptr),
            AUTHGATE_OK);
  ASSERT_NE(header, kStringSentinel);
  ASSERT_NE(payload, kStringSentinel);
  EXPECT_STREQ(header, R"({"alg":"RS256","kid":"k1"})");
  EXPECT_STREQ(payload, ValidPayload().c_str());
  authgate_string_free(header);
  authgate_string_free(payload);

  // NULL outputs.
  payload = kStringSentinel;
  EXPECT_EQ(authgate_token_decode(nullptr, nullptr, &payload, nullptr, token.data(), token.size(),
                                  &raw_error),
            AUTHGATE_INVALID_ARGUMENT);
  ASSERT_NE(raw_error, kErrorSentinel);
  ASSERT_NE(raw_error, nullptr);
  EXPECT_EQ(authgate_error_status(raw_error), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_error_reason(raw_error), AUTHGATE_REASON_NONE);
  authgate_error_free(raw_error);

  header = kStringSentinel;
  raw_error = kErrorSentinel;
  EXPECT_EQ(authgate_token_decode(&header, nullptr, nullptr, nullptr, token.data(), token.size(),
                                  &raw_error),
            AUTHGATE_INVALID_ARGUMENT);
  ASSERT_NE(raw_error, kErrorSentinel);
  ASSERT_NE(raw_error, nullptr);
  authgate_error_free(raw_error);
  EXPECT_EQ(authgate_token_decode(nullptr, nullptr, nullptr, nullptr, token.data(), token.size(),
                                  nullptr),
            AUTHGATE_INVALID_ARGUMENT);

  // NULL token with a length; NULL token without one is an empty token.
  header = payload = kStringSentinel;
  raw_error = kErrorSentinel;
  EXPECT_EQ(authgate_token_decode(&header, nullptr, &payload, nullptr, nullptr, 4, &raw_error),
            AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(header, nullptr);
  EXPECT_EQ(payload, nullptr);
  ASSERT_NE(raw_error, kErrorSentinel);
  ASSERT_NE(raw_error, nullptr);
  EXPECT_EQ(authgate_error_status(raw_error), AUTHGATE_INVALID_ARGUMENT);
  authgate_error_free(raw_error);

  header = payload = kStringSentinel;
  raw_error = kErrorSentinel;
  EXPECT_EQ(authgate_token_decode(&header, nullptr, &payload, nullptr, nullptr, 0, &raw_error),
            AUTHGATE_REJECTED);
  EXPECT_EQ(header, nullptr);
  EXPECT_EQ(payload, nullptr);
  ASSERT_NE(raw_error, kErrorSentinel);
  ASSERT_NE(raw_error, nullptr);
  EXPECT_EQ(authgate_error_reason(raw_error), AUTHGATE_REASON_MALFORMED);
  authgate_error_free(raw_error);

  // Rejection with a NULL error.
  header = payload = kStringSentinel;
  EXPECT_EQ(authgate_token_decode(&header, nullptr, &payload, nullptr, "x", 1, nullptr),
            AUTHGATE_REJECTED);
  EXPECT_EQ(header, nullptr);
  EXPECT_EQ(payload, nullptr);
}

TEST(capi, DecodeReadsExactlyTokenLenBytes) {
  std::string token = RsaToken(ValidPayload());
  std::string buffer = token + ".extra";
  char* header = nullptr;
  char* payload = nullptr;
  ASSERT_EQ(authgate_token_decode(&header, nullptr, &payload, nullptr, buffer.data(), token.size(),
                                  nullptr),
            AUTHGATE_OK);
  authgate_string_free(header);
  authgate_string_free(payload);
}

// ---------------------------------------------------------------------------
// Errors.

TEST(capi, ErrorsAreIndependentAndReadable) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  authgate_error* first = nullptr;
  authgate_error* second = nullptr;
  std::string expired = RsaToken(R"({"exp":1000})");
  EXPECT_EQ(authgate_verifier_verify_at(nullptr, verifier.get(), expired.data(), expired.size(),
                                        kNow, &first),
            AUTHGATE_REJECTED);
  EXPECT_EQ(authgate_verifier_verify_at(nullptr, verifier.get(), "x", 1, kNow, &second),
            AUTHGATE_REJECTED);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first, second) << "no shared (thread-local) error state";
  EXPECT_EQ(authgate_error_reason(first), AUTHGATE_REASON_EXPIRED);
  EXPECT_EQ(authgate_error_reason(second), AUTHGATE_REASON_MALFORMED);
  const char* message = authgate_error_message(first);
  ASSERT_NE(message, nullptr);
  EXPECT_GT(std::strlen(message), 0u);
  authgate_error_free(second);
  EXPECT_EQ(authgate_error_message(first), message) << "borrowed from its own error";
  EXPECT_EQ(authgate_error_reason(first), AUTHGATE_REASON_EXPIRED);
  authgate_error_free(first);
}

// ---------------------------------------------------------------------------
// Thread safety.

class capi_concurrent : public ::testing::TestWithParam<const char*> {};

TEST_P(capi_concurrent, OneVerifierManyThreads) {
  VerifierPtr verifier = RsaVerifier(GetParam());
  ASSERT_NE(verifier, nullptr);
  authgate_verifier* shared = verifier.get();
  struct Case {
    std::string token;
    authgate_status status;
    authgate_reason reason;
  };
  const std::string valid = RsaToken(ValidPayload());
  std::string tampered = valid;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  const std::vector<Case> cases = {
      {valid, AUTHGATE_OK, AUTHGATE_REASON_NONE},
      {RsaToken(R"({"iss":"https://idp.example","exp":1000})"), AUTHGATE_REJECTED,
       AUTHGATE_REASON_EXPIRED},
      {tampered, AUTHGATE_REJECTED, AUTHGATE_REASON_SIGNATURE_INVALID},
      {"garbage", AUTHGATE_REJECTED, AUTHGATE_REASON_MALFORMED},
      {RsaToken(R"({"iss":"https://evil","exp":4102444800})"), AUTHGATE_REJECTED,
       AUTHGATE_REASON_ISSUER_MISMATCH},
  };
  constexpr int kThreads = 4;
  constexpr int kIterations = 500;
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        const Case& c = cases[static_cast<size_t>(i + t) % cases.size()];
        authgate_result* result = nullptr;
        authgate_error* error = nullptr;
        bool want_result = i % 2 == 0;
        authgate_status status =
            i % 3 == 0 ? authgate_verifier_verify(want_result ? &result : nullptr, shared,
                                                  c.token.data(), c.token.size(), &error)
                       : authgate_verifier_verify_at(want_result ? &result : nullptr, shared,
                                                     c.token.data(), c.token.size(), kNow, &error);
        bool right = status == c.status && authgate_error_reason(error) == c.reason &&
                     (status == AUTHGATE_OK) == (error == nullptr) &&
                     (want_result && status == AUTHGATE_OK) == (result != nullptr);
        if (right && result != nullptr) {
          const char* sub = authgate_result_subject(result);
          right = sub != nullptr && std::strcmp(sub, "alice") == 0;
        }
        if (!right) wrong.fetch_add(1);
        done.fetch_add(1);
        authgate_result_free(result);
        authgate_error_free(error);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(done.load(), kThreads * kIterations);
  EXPECT_EQ(wrong.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    capi, capi_concurrent,
    ::testing::Values(R"("issuers":["https://idp.example"])",
                      R"("issuers":["https://idp.example"],)"
                      R"("token_cache":{"max_entries":4,"max_bytes":1048576})"),
    [](const ::testing::TestParamInfo<const char*>& param) {
      return param.index == 0 ? std::string("NoCache") : std::string("WithCache");
    });

TEST(capi, ConcurrentReadsOfOneResult) {
  VerifierPtr verifier = RsaVerifier();
  ASSERT_NE(verifier, nullptr);
  ResultPtr result = RichResult(verifier.get());
  ASSERT_NE(result, nullptr);
  verifier.reset();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const char* value = nullptr;
        size_t len = 0;
        char* json = nullptr;
        if (authgate_result_claim_string(&value, &len, result.get(), "s", 1, nullptr) != AUTHGATE_OK ||
            std::string(value, len) != std::string("a\0b", 3)) {
          wrong.fetch_add(1);
        }
        if (authgate_result_claim_json(&json, &len, result.get(), "arr", 3, nullptr) != AUTHGATE_OK ||
            std::string(json, len) != R"([1,"x"])") {
          wrong.fetch_add(1);
        }
        authgate_string_free(json);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
