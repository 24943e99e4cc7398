// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// ID token validation (OIDC Core 3.1.3.7 and 12.2): one case per attack or
// defect, each refused with its own reason, against fixed keys; and the
// asynchronous variant waiting for a key refetch after a rotation.

#include "oidc/id_token_validator.h"

#include <future>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/fake_http_client.h"
#include "oidc/fake_provider.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::FakeHttpClient;
using ::authgate::testing::IdTokenClaims;
using ::authgate::testing::JsonResponse;
using ::authgate::testing::kTestNow;
using ::authgate::testing::SignToken;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://idp.example";
constexpr char kNonce[] = "n-123";
const absl::Time kNow = absl::FromUnixSeconds(kTestNow);

OidcConfig Config() {
  OidcConfig config;
  config.issuer = kIssuer;
  config.client_id = "app";
  config.client_secret = "a-client-secret-of-at-least-32-bytes";
  config.redirect_uri = "https://app.example/callback";
  return config;
}

std::unique_ptr<KeySource> Keys(const std::string& jwks) {
  absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromText(jwks);
  EXPECT_TRUE(loaded.ok()) << FromAbsl(loaded.status().message());
  return KeySource::Fixed(loaded->keys, {});
}

std::string Jwks(const std::vector<std::pair<const TestKey*, std::string>>& keys) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < keys.size(); ++i) {
    out += (i ? "," : "") +
           keys[i].first->PublicJwk(
               keys[i].second.empty() ? std::nullopt : std::optional<std::string>(keys[i].second));
  }
  return out + "]}";
}

class IdTokenValidatorTest : public ::testing::Test {
 protected:
  IdTokenValidatorTest() : key_(TestKey::Ec("P-256")), other_(TestKey::Ec("P-256")) {}

  std::unique_ptr<IdTokenValidator> Make(const OidcConfig& config, const std::string& jwks) {
    absl::StatusOr<std::unique_ptr<IdTokenValidator>> validator =
        IdTokenValidator::Create(config, nullptr, nullptr, Keys(jwks));
    EXPECT_TRUE(validator.ok()) << FromAbsl(validator.status().message());
    return validator.ok() ? std::move(*validator) : nullptr;
  }
  std::unique_ptr<IdTokenValidator> Make() { return Make(Config(), Jwks({{&key_, "k1"}})); }

  std::string Sign(const IdTokenClaims& claims, const TestKey* key = nullptr,
                   const std::string& header = R"({"alg":"ES256","kid":"k1"})") {
    return SignToken(key ? *key : key_, "ES256", header, claims.Json());
  }

  // The reason `token` is refused with (kNone when accepted).
  Reason Check(const IdTokenValidator& validator, const std::string& token,
               const std::string& nonce = kNonce) {
    VerifiedToken out;
    Rejection why;
    if (validator.Validate(token, nonce, kNow, &out, &why)) {
      EXPECT_TRUE(out.has_value());
      return Reason::kNone;
    }
    last_detail_ = why.detail;
    return why.reason;
  }

  IdTokenClaims Claims() { return IdTokenClaims(kIssuer); }

  TestKey key_, other_;
  std::string last_detail_;
};

TEST_F(IdTokenValidatorTest, AcceptsAGoodToken) {
  auto validator = Make();
  VerifiedToken out;
  Rejection why;
  ASSERT_TRUE(validator->Validate(Sign(Claims()), kNonce, kNow, &out, &why)) << why.detail;
  EXPECT_EQ(out.claims().Find("sub").string(), "alice");
  EXPECT_EQ(out.algorithm(), Algorithm::kES256);
}

TEST_F(IdTokenValidatorTest, BadSignature) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims(), &other_)), Reason::kSignatureInvalid);
  std::string token = Sign(Claims());
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Check(*validator, token), Reason::kSignatureInvalid);
}

TEST_F(IdTokenValidatorTest, WrongIssuer) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().SetString("iss", "https://evil.example"))),
            Reason::kIssuerMismatch);
  EXPECT_EQ(Check(*validator, Sign(Claims().SetString("iss", "https://idp.example/"))),
            Reason::kIssuerMismatch);
  EXPECT_EQ(Check(*validator, Sign(Claims().Erase("iss"))), Reason::kMissingClaim);
}

TEST_F(IdTokenValidatorTest, WrongAudience) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().SetString("aud", "other-app"))),
            Reason::kAudienceMismatch);
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("aud", R"(["other","another"])"))),
            Reason::kAudienceMismatch);
}

TEST_F(IdTokenValidatorTest, MissingAudience) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().Erase("aud"))), Reason::kMissingClaim);
}

TEST_F(IdTokenValidatorTest, AzpMismatch) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().SetString("azp", "other-app"))),
            Reason::kAudienceMismatch);
  EXPECT_THAT(last_detail_, HasSubstr("azp"));
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("azp", "7"))), Reason::kInvalidClaim);
  EXPECT_EQ(Check(*validator, Sign(Claims().SetString("azp", "app"))), Reason::kNone);
}

TEST_F(IdTokenValidatorTest, MultipleAudiencesWithoutAzp) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("aud", R"(["app","api://orders"])"))),
            Reason::kMissingClaim);
  EXPECT_THAT(last_detail_, HasSubstr("azp"));
  EXPECT_EQ(Check(*validator,
                  Sign(Claims().Set("aud", R"(["app","api://orders"])").SetString("azp", "app"))),
            Reason::kNone);
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("aud", R"(["app"])"))), Reason::kNone)
      << "a one-element array is a single audience";
}

TEST_F(IdTokenValidatorTest, MissingSubject) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().Erase("sub"))), Reason::kMissingClaim);
  EXPECT_EQ(Check(*validator, Sign(Claims().SetString("sub", ""))), Reason::kInvalidClaim);
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("sub", "42"))), Reason::kInvalidClaim);
}

TEST_F(IdTokenValidatorTest, MissingIssuedAt) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().Erase("iat"))), Reason::kMissingClaim);
  EXPECT_THAT(last_detail_, HasSubstr("iat"));
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("iat", std::to_string(kTestNow + 3600)))),
            Reason::kNotYetValid)
      << "issued in the future";
}

TEST_F(IdTokenValidatorTest, WrongNonce) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().SetString("nonce", "n-124"))), Reason::kNonceMismatch);
  EXPECT_EQ(Check(*validator, Sign(Claims()), "n-124"), Reason::kNonceMismatch);
  EXPECT_EQ(Check(*validator, Sign(Claims()), ""), Reason::kNonceMismatch)
      << "no expected nonce never matches";
}

TEST_F(IdTokenValidatorTest, MissingNonce) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().Erase("nonce"))), Reason::kMissingClaim);
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("nonce", "123"))), Reason::kInvalidClaim);
}

TEST_F(IdTokenValidatorTest, Expired) {
  auto validator = Make();
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("exp", std::to_string(kTestNow - 61)))),
            Reason::kExpired);
  EXPECT_EQ(Check(*validator, Sign(Claims().Set("exp", std::to_string(kTestNow - 30)))),
            Reason::kNone)
      << "within the 60 s clock skew";
  EXPECT_EQ(Check(*validator, Sign(Claims().Erase("exp"))), Reason::kMissingClaim);
}

TEST_F(IdTokenValidatorTest, KidAbsentWithOneKeyIsAccepted) {
  auto validator = Make(Config(), Jwks({{&key_, "k1"}}));
  EXPECT_EQ(Check(*validator, Sign(Claims(), &key_, R"({"alg":"ES256"})")), Reason::kNone);
}

TEST_F(IdTokenValidatorTest, KidAbsentWithSeveralKeysTriesTheCandidates) {
  TestKey third = TestKey::Ec("P-256");
  auto validator = Make(Config(), Jwks({{&other_, "k0"}, {&third, "k2"}, {&key_, "k1"}}));
  EXPECT_EQ(Check(*validator, Sign(Claims(), &key_, R"({"alg":"ES256"})")), Reason::kNone);
  TestKey stranger = TestKey::Ec("P-256");
  EXPECT_EQ(Check(*validator, Sign(Claims(), &stranger, R"({"alg":"ES256"})")),
            Reason::kSignatureInvalid);
  EXPECT_THAT(last_detail_, HasSubstr("3 keys"));
}

TEST_F(IdTokenValidatorTest, AlgNone) {
  auto validator = Make();
  for (const char* header : {R"({"alg":"none"})", R"({"alg":"None","kid":"k1"})"}) {
    std::string token = testing::Compact(header, Claims().Json(), "");
    EXPECT_EQ(Check(*validator, token), Reason::kUnsupportedAlg) << header;
  }
}

TEST_F(IdTokenValidatorTest, Hs256SignedWithTheRsaPublicKeyFails) {
  TestKey rsa = TestKey::Rsa(2048);
  std::string jwks = Jwks({{&rsa, "k1"}});
  // The classic algorithm confusion: the public key (as published) used as
  // an HMAC secret.
  for (const std::string& secret : {rsa.PublicPem(), rsa.PublicJwk("k1")}) {
    TestKey forged = TestKey::Hmac(secret);
    std::string token =
        SignToken(forged, "HS256", R"({"alg":"HS256","kid":"k1"})", Claims().Json());
    auto by_default = Make(Config(), jwks);
    EXPECT_EQ(Check(*by_default, token), Reason::kAlgNotAllowed);
    OidcConfig with_hmac = Config();
    with_hmac.id_token_algorithms.insert(Algorithm::kHS256);
    auto hmac_allowed = Make(with_hmac, jwks);
    EXPECT_EQ(Check(*hmac_allowed, token), Reason::kSignatureInvalid)
        << "HS256 is verified with the client secret only";
  }
  EXPECT_EQ(Check(*Make(Config(), jwks),
                  SignToken(rsa, "RS256", R"({"alg":"RS256","kid":"k1"})", Claims().Json())),
            Reason::kNone);
}

TEST_F(IdTokenValidatorTest, Hs256WithTheClientSecretWhenConfigured) {
  OidcConfig config = Config();
  config.id_token_algorithms = AlgorithmSet();
  config.id_token_algorithms.insert(Algorithm::kHS256);
  auto validator = Make(config, Jwks({{&key_, "k1"}}));
  TestKey secret = TestKey::Hmac(config.client_secret);
  EXPECT_EQ(Check(*validator, SignToken(secret, "HS256", R"({"alg":"HS256"})", Claims().Json())),
            Reason::kNone);
  EXPECT_EQ(Check(*validator, Sign(Claims())), Reason::kAlgNotAllowed)
      << "only HS256 is configured";
}

TEST_F(IdTokenValidatorTest, AlgorithmsOutsideTheConfiguredListAreRefused) {
  OidcConfig config = Config();
  config.id_token_algorithms = AlgorithmSet();
  config.id_token_algorithms.insert(Algorithm::kRS256);
  TestKey rsa = TestKey::Rsa(2048);
  auto validator = Make(config, Jwks({{&key_, "k1"}, {&rsa, "r1"}}));
  EXPECT_EQ(Check(*validator, Sign(Claims())), Reason::kAlgNotAllowed);
}

class RefreshedIdTokenTest : public IdTokenValidatorTest {
 protected:
  Reason CheckRefreshed(const IdTokenClaims& fresh, const IdTokenClaims& previous) {
    auto validator = Make();
    JsonDocument doc;
    EXPECT_TRUE(doc.Parse(previous.Json(), JsonLimits{}).ok());
    VerifiedToken out;
    Rejection why;
    if (validator->ValidateRefreshed(Sign(fresh), doc.root(), kNow, &out, &why)) {
      return Reason::kNone;
    }
    last_detail_ = why.detail;
    return why.reason;
  }
};

TEST_F(RefreshedIdTokenTest, SameLoginIsAccepted) {
  EXPECT_EQ(CheckRefreshed(Claims().Erase("nonce"), Claims()), Reason::kNone)
      << "no nonce needed after a refresh";
  EXPECT_EQ(CheckRefreshed(Claims(), Claims()), Reason::kNone) << "the same nonce";
  EXPECT_EQ(CheckRefreshed(Claims().Set("auth_time", "1799999000"),
                           Claims().Set("auth_time", "1799999000")),
            Reason::kNone);
}

TEST_F(RefreshedIdTokenTest, DifferentSubjectFails) {
  EXPECT_EQ(CheckRefreshed(Claims().SetString("sub", "mallory"), Claims()), Reason::kRefreshFailed);
  EXPECT_THAT(last_detail_, HasSubstr("\"sub\""));
}

TEST_F(RefreshedIdTokenTest, DifferentAudienceIssuerNonceOrAuthTimeFails) {
  EXPECT_EQ(CheckRefreshed(Claims().Set("aud", R"(["app","x"])").SetString("azp", "app"), Claims()),
            Reason::kRefreshFailed);
  EXPECT_EQ(CheckRefreshed(Claims(), Claims().SetString("iss", "https://old.example")),
            Reason::kRefreshFailed);
  EXPECT_EQ(CheckRefreshed(Claims().SetString("nonce", "other"), Claims()), Reason::kRefreshFailed);
  EXPECT_EQ(CheckRefreshed(Claims(), Claims().Erase("nonce")), Reason::kRefreshFailed)
      << "a nonce the session never had";
  EXPECT_EQ(CheckRefreshed(Claims().Set("auth_time", "1799999999"),
                           Claims().Set("auth_time", "1799999000")),
            Reason::kRefreshFailed);
}

TEST_F(RefreshedIdTokenTest, OtherChecksKeepTheirReasons) {
  EXPECT_EQ(CheckRefreshed(Claims().Set("exp", std::to_string(kTestNow - 600)), Claims()),
            Reason::kExpired);
  EXPECT_EQ(CheckRefreshed(Claims().SetString("aud", "other"), Claims()),
            Reason::kAudienceMismatch);
}

// Keys from a remote source whose answers the test delivers.
class AsyncIdTokenTest : public IdTokenValidatorTest {
 protected:
  AsyncIdTokenTest() : clock_(kNow), scheduler_(clock_) {
    jwks_ = Jwks({{&key_, "k1"}});
    http_.SetResponder([this](const HttpRequest&) { return JsonResponse(200, jwks_); });
    OidcConfig config = Config();
    config.jwks_uri = "https://idp.example/jwks";
    auto validator = IdTokenValidator::Create(config, &http_, &scheduler_);
    EXPECT_TRUE(validator.ok()) << FromAbsl(validator.status().message());
    validator_ = std::move(*validator);
    http_.Deliver();
    // Past the key source's rate limit for refetches (one per 30 s).
    clock_.Advance(absl::Seconds(31));
  }

  ManualClock clock_;
  ManualScheduler scheduler_;
  FakeHttpClient http_;
  std::string jwks_;
  std::unique_ptr<IdTokenValidator> validator_;
};

TEST_F(AsyncIdTokenTest, KnownKeyIsFinalAtOnce) {
  bool valid = false;
  VerifiedToken out;
  Rejection why;
  EXPECT_TRUE(validator_->ValidateAsync(Sign(Claims()), kNonce, kNow, &valid, &out, &why,
                                        [](bool, VerifiedToken, Rejection) { FAIL(); }));
  EXPECT_TRUE(valid) << why.detail;
}

TEST_F(AsyncIdTokenTest, RotatedKeyIsFetchedThenAccepted) {
  bool valid = false;
  VerifiedToken out;
  Rejection why;
  std::promise<std::pair<bool, Reason>> answer;
  jwks_ = Jwks({{&key_, "k1"}, {&other_, "k2"}});
  ASSERT_FALSE(validator_->ValidateAsync(Sign(Claims(), &other_, R"({"alg":"ES256","kid":"k2"})"),
                                         kNonce, kNow, &valid, &out, &why,
                                         [&](bool ok, VerifiedToken, Rejection late) {
                                           answer.set_value({ok, late.reason});
                                         }));
  ASSERT_EQ(http_.Deliver(), 1);
  auto [ok, reason] = answer.get_future().get();
  EXPECT_TRUE(ok) << ReasonName(reason);
}

TEST_F(AsyncIdTokenTest, UnknownKeyAfterTheRefetchIsRefused) {
  bool valid = false;
  VerifiedToken out;
  Rejection why;
  std::promise<Reason> answer;
  ASSERT_FALSE(validator_->ValidateAsync(Sign(Claims(), &other_, R"({"alg":"ES256","kid":"k9"})"),
                                         kNonce, kNow, &valid, &out, &why,
                                         [&](bool ok, VerifiedToken, Rejection late) {
                                           answer.set_value(ok ? Reason::kNone : late.reason);
                                         }));
  http_.Deliver();
  EXPECT_EQ(answer.get_future().get(), Reason::kKeyNotFound);
  // Rate-limited now: the next unknown kid is final at once.
  EXPECT_TRUE(validator_->ValidateAsync(Sign(Claims(), &other_, R"({"alg":"ES256","kid":"k8"})"),
                                        kNonce, kNow, &valid, &out, &why,
                                        [](bool, VerifiedToken, Rejection) { FAIL(); }));
  EXPECT_EQ(why.reason, Reason::kKeyNotFound);
}

TEST_F(AsyncIdTokenTest, DestructionAnswersAPendingValidation) {
  bool valid = false;
  VerifiedToken out;
  Rejection why;
  int calls = 0;
  Reason reason = Reason::kNone;
  EXPECT_FALSE(validator_->ValidateAsync(Sign(Claims(), &other_, R"({"alg":"ES256","kid":"k2"})"),
                                         kNonce, kNow, &valid, &out, &why,
                                         [&](bool ok, VerifiedToken, Rejection late) {
                                           ++calls;
                                           EXPECT_FALSE(ok);
                                           reason = late.reason;
                                         }));
  validator_.reset();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(reason, Reason::kJwksUnavailable);
  http_.Deliver();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace authgate
