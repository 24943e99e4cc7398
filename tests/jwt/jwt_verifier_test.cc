// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The JWT verifier end to end: every attack class the design names gets its
// negative test here, plus the claim rules and the order of the checks.

#include "jwt/jwt_verifier.h"

#include <openssl/rsa.h>

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/token_factory.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::Base64Url;
using ::authgate::testing::Compact;
using ::authgate::testing::SignToken;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1800000000;  // 2027-01-15
const absl::Time kNowTime = absl::FromUnixSeconds(kNow);

std::string Claims(int64_t exp = kNow + 600, const std::string& extra = "") {
  return R"({"iss":"https://idp.example","sub":"alice","aud":"api","iat":)" +
         std::to_string(kNow - 10) + ",\"exp\":" + std::to_string(exp) + extra + "}";
}

class VerifierFixture {
 public:
  explicit VerifierFixture(const std::string& jwks, JwtVerifierOptions options = {}) {
    absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromText(jwks);
    EXPECT_TRUE(loaded.ok()) << FromAbsl(loaded.status().message());
    absl::StatusOr<std::unique_ptr<JwtVerifier>> made =
        JwtVerifier::Create(loaded->keys, std::move(options));
    EXPECT_TRUE(made.ok()) << FromAbsl(made.status().message());
    verifier = std::move(*made);
  }

  // Returns the rejection, or kNone for a valid token.
  Rejection Check(const std::string& token, absl::Time now = kNowTime) const {
    Rejection why;
    VerifiedToken out;
    if (verifier->Verify(token, now, &out, &why)) return Rejection{};
    EXPECT_NE(why.reason, Reason::kNone);
    EXPECT_FALSE(why.detail.empty());
    return why;
  }
  Reason ReasonFor(const std::string& token, absl::Time now = kNowTime) const {
    return Check(token, now).reason;
  }

  std::unique_ptr<JwtVerifier> verifier;
};

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(TestKey::Rsa(2048));
    ec_ = new TestKey(TestKey::Ec("P-256"));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }
  static const TestKey& rsa() { return *rsa_; }
  static const TestKey& ec() { return *ec_; }

 private:
  static TestKey* rsa_;
  static TestKey* ec_;
};
TestKey* JwtVerifierTest::rsa_ = nullptr;
TestKey* JwtVerifierTest::ec_ = nullptr;

TEST_F(JwtVerifierTest, AcceptsEveryAlgorithm) {
  struct Case {
    TestKey key;
    std::vector<std::string> algs;
  };
  std::vector<Case> cases;
  cases.push_back({rsa(), {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}});
  cases.push_back({TestKey::Ec("P-256"), {"ES256"}});
  cases.push_back({TestKey::Ec("P-384"), {"ES384"}});
  cases.push_back({TestKey::Ec("P-521"), {"ES512"}});
  cases.push_back({TestKey::Ed25519(), {"EdDSA"}});
  cases.push_back({TestKey::Ed448(), {"EdDSA"}});
  cases.push_back({TestKey::Hmac(std::string(64, 'h')), {"HS256", "HS384", "HS512"}});
  for (const Case& c : cases) {
    VerifierFixture f(c.key.PublicJwks("k"));
    for (const std::string& alg : c.algs) {
      std::string token = SignToken(c.key, alg, R"({"alg":")" + alg + R"(","kid":"k"})", Claims());
      Rejection why = f.Check(token);
      EXPECT_EQ(why.reason, Reason::kNone) << alg << ": " << why.detail;
    }
  }
}

TEST_F(JwtVerifierTest, ReturnsHeaderClaimsAndKey) {
  VerifierFixture f(ec().PublicJwks("ec-1"));
  std::string claims = Claims(kNow + 600, R"(,"scope":"a b")");
  std::string token = SignToken(ec(), "ES256", R"({"alg":"ES256","kid":"ec-1"})", claims);
  VerifiedToken out;
  Rejection why;
  ASSERT_TRUE(f.verifier->Verify(token, kNowTime, &out, &why)) << why.detail;
  EXPECT_EQ(out.claims_json(), claims);
  EXPECT_EQ(out.header_json(), R"({"alg":"ES256","kid":"ec-1"})");
  EXPECT_EQ(out.algorithm(), Algorithm::kES256);
  EXPECT_EQ(*out.key_id(), "ec-1");
  EXPECT_EQ(out.claims().Find("scope").string(), "a b");
}

// --- alg "none" and unknown algorithms -----------------------------------

TEST_F(JwtVerifierTest, NeverAcceptsAlgNoneInAnySpelling) {
  VerifierFixture f(rsa().PublicJwks());
  for (const std::string alg : {"none", "None", "NONE", "nOnE", "none ", ""}) {
    std::string header = R"({"alg":")" + alg + "\"}";
    Rejection empty_sig = f.Check(Compact(header, Claims(), ""));
    EXPECT_EQ(empty_sig.reason, Reason::kUnsupportedAlg) << alg;
    Rejection with_sig = f.Check(Compact(header, Claims(), "sig"));
    EXPECT_EQ(with_sig.reason, Reason::kUnsupportedAlg) << alg;
  }
  EXPECT_THAT(f.Check(Compact(R"({"alg":"none"})", Claims(), "")).detail, HasSubstr("none"));
}

TEST_F(JwtVerifierTest, RejectsUnknownAndDisallowedAlgorithms) {
  VerifierFixture f(rsa().PublicJwks());
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"RS1"})", Claims(), "x")), Reason::kUnsupportedAlg);
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"rs256"})", Claims(), "x")), Reason::kUnsupportedAlg);
  JwtVerifierOptions only_ps256;
  only_ps256.algorithms = AlgorithmSet();
  only_ps256.algorithms.insert(Algorithm::kPS256);
  VerifierFixture g(rsa().PublicJwks(), only_ps256);
  std::string rs256 = SignToken(rsa(), "RS256", R"({"alg":"RS256"})", Claims());
  EXPECT_EQ(g.ReasonFor(rs256), Reason::kAlgNotAllowed);
  EXPECT_EQ(g.ReasonFor(SignToken(rsa(), "PS256", R"({"alg":"PS256"})", Claims())),
            Reason::kNone);
}

// --- algorithm confusion --------------------------------------------------

TEST_F(JwtVerifierTest, NeverUsesPublicKeyMaterialAsHmacSecret) {
  VerifierFixture f(rsa().PublicJwks("k"));
  // The classic attack: HS256 keyed with the PEM text, or the raw modulus.
  for (const std::string& secret : {rsa().PublicPem(), rsa().PublicJwk("k")}) {
    TestKey forged = TestKey::Hmac(secret);
    std::string token = SignToken(forged, "HS256", R"({"alg":"HS256","kid":"k"})", Claims());
    EXPECT_EQ(f.ReasonFor(token), Reason::kKeyNotFound);
  }
  VerifierFixture g(ec().PublicPem());
  TestKey forged = TestKey::Hmac(ec().PublicPem());
  EXPECT_EQ(g.ReasonFor(SignToken(forged, "HS256", R"({"alg":"HS256"})", Claims())),
            Reason::kKeyNotFound);
}

TEST_F(JwtVerifierTest, KeyTypeMustFitTheAlgorithm) {
  VerifierFixture f(ec().PublicJwks());
  // An RSA-signed token cannot be checked with an EC key, and an ES256 key is
  // not an ES384 key.
  EXPECT_EQ(f.ReasonFor(SignToken(rsa(), "RS256", R"({"alg":"RS256"})", Claims())),
            Reason::kKeyNotFound);
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"ES384"})", Claims(), std::string(96, 'x'))),
            Reason::kKeyNotFound);
  // A key restricted by its JWK alg is not used for a sibling algorithm.
  VerifierFixture g(rsa().PublicJwks("k", "RS256"));
  EXPECT_EQ(g.ReasonFor(SignToken(rsa(), "PS256", R"({"alg":"PS256","kid":"k"})", Claims())),
            Reason::kKeyNotFound);
}

// --- keys from the token header ------------------------------------------

TEST_F(JwtVerifierTest, NeverTrustsKeysFromTheTokenHeader) {
  VerifierFixture f(ec().PublicJwks("trusted"));
  TestKey attacker = TestKey::Ec("P-256");
  std::string jwk = attacker.PublicJwk();
  std::string embedded = SignToken(attacker, "ES256",
                                   R"({"alg":"ES256","jwk":)" + jwk + "}", Claims());
  EXPECT_EQ(f.ReasonFor(embedded), Reason::kSignatureInvalid);
  for (std::string member :
       {R"("jku":"https://attacker.example/jwks")", R"("x5u":"https://attacker.example/c")",
        R"("x5c":["MIIB"])"}) {
    std::string token = SignToken(attacker, "ES256", R"({"alg":"ES256",)" + member + "}", Claims());
    EXPECT_EQ(f.ReasonFor(token), Reason::kSignatureInvalid) << member;
  }
}

// --- kid handling ---------------------------------------------------------

TEST_F(JwtVerifierTest, SelectsKeysByKid) {
  TestKey a = TestKey::Ec("P-256"), b = TestKey::Ec("P-256");
  VerifierFixture f("{\"keys\":[" + a.PublicJwk("a") + "," + b.PublicJwk("b") + "]}");
  EXPECT_EQ(f.ReasonFor(SignToken(b, "ES256", R"({"alg":"ES256","kid":"b"})", Claims())),
            Reason::kNone);
  // Signed by b but claiming a: only a is tried.
  EXPECT_EQ(f.ReasonFor(SignToken(b, "ES256", R"({"alg":"ES256","kid":"a"})", Claims())),
            Reason::kSignatureInvalid);
  EXPECT_EQ(f.ReasonFor(SignToken(b, "ES256", R"({"alg":"ES256","kid":"c"})", Claims())),
            Reason::kKeyNotFound);
  // No kid: every candidate is tried.
  EXPECT_EQ(f.ReasonFor(SignToken(b, "ES256", R"({"alg":"ES256"})", Claims())), Reason::kNone);
}

TEST_F(JwtVerifierTest, BoundsTheKeysTriedForOneToken) {
  std::vector<TestKey> keys;
  std::string jwks = "{\"keys\":[";
  for (int i = 0; i < 6; ++i) {
    keys.push_back(TestKey::Ec("P-256"));
    jwks += (i ? "," : "") + keys.back().PublicJwk();
  }
  jwks += "]}";
  std::string token = SignToken(keys[5], "ES256", R"({"alg":"ES256"})", Claims());
  VerifierFixture bounded(jwks);  // default: 4 candidates
  Rejection why = bounded.Check(token);
  EXPECT_EQ(why.reason, Reason::kSignatureInvalid);
  EXPECT_THAT(why.detail, HasSubstr("not tried"));
  JwtVerifierOptions wide;
  wide.max_key_candidates = 6;
  VerifierFixture unbounded(jwks, wide);
  EXPECT_EQ(unbounded.ReasonFor(token), Reason::kNone);
}

// --- signatures -----------------------------------------------------------

TEST_F(JwtVerifierTest, RejectsTamperedTokens) {
  VerifierFixture f(rsa().PublicJwks());
  std::string token = SignToken(rsa(), "RS256", R"({"alg":"RS256"})", Claims());
  size_t dot2 = token.rfind('.');
  std::string other_payload = token;
  std::string changed_claims = Base64Url(Claims(kNow + 601));
  other_payload.replace(token.find('.') + 1, dot2 - token.find('.') - 1, changed_claims);
  EXPECT_EQ(f.ReasonFor(other_payload), Reason::kSignatureInvalid);
  std::string flipped = token;
  flipped[dot2 + 10] = flipped[dot2 + 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(f.ReasonFor(flipped), Reason::kSignatureInvalid);
  EXPECT_EQ(f.ReasonFor(token.substr(0, dot2 + 1)), Reason::kSignatureInvalid);
}

TEST_F(JwtVerifierTest, EcdsaSignatureMustBeRawAndInRange) {
  VerifierFixture f(ec().PublicJwks());
  std::string input = Base64Url(R"({"alg":"ES256"})") + "." + Base64Url(Claims());
  std::string raw = ec().Sign("ES256", input);
  ASSERT_EQ(raw.size(), 64u);
  EXPECT_EQ(f.ReasonFor(input + "." + Base64Url(raw)), Reason::kNone);
  // DER encoding of the same signature: refused (RFC 7518 3.4).
  std::string der;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, ec().pkey());
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  der.resize(len);
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  der.resize(len);
  EVP_MD_CTX_free(ctx);
  EXPECT_EQ(f.ReasonFor(input + "." + Base64Url(der)), Reason::kSignatureInvalid);
  // Wrong lengths, r = 0, s = n (the P-256 group order).
  EXPECT_EQ(f.ReasonFor(input + "." + Base64Url(raw.substr(1))), Reason::kSignatureInvalid);
  EXPECT_EQ(f.ReasonFor(input + "." + Base64Url(raw + "x")), Reason::kSignatureInvalid);
  std::string zero_r = std::string(32, '\0') + raw.substr(32);
  EXPECT_EQ(f.ReasonFor(input + "." + Base64Url(zero_r)), Reason::kSignatureInvalid);
  const unsigned char order[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  std::string s_is_n = raw.substr(0, 32) + std::string(reinterpret_cast<const char*>(order), 32);
  EXPECT_EQ(f.ReasonFor(input + "." + Base64Url(s_is_n)), Reason::kSignatureInvalid);
}

TEST_F(JwtVerifierTest, PssSaltMustBeAsLongAsTheHash) {
  VerifierFixture f(rsa().PublicJwks());
  std::string input = Base64Url(R"({"alg":"PS256"})") + "." + Base64Url(Claims());
  for (int salt : {0, 20, 64}) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, rsa().pkey());
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt);
    size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    EXPECT_EQ(f.ReasonFor(input + "." + Base64Url(sig)), Reason::kSignatureInvalid)
        << "salt " << salt;
  }
}

// --- syntax ----------------------------------------------------------------

TEST_F(JwtVerifierTest, RejectsJwe) {
  VerifierFixture f(rsa().PublicJwks());
  EXPECT_EQ(f.ReasonFor("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d"),
            Reason::kUnsupportedTokenType);
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"dir","enc":"A256GCM"})", Claims(), "x")),
            Reason::kUnsupportedTokenType);
}

TEST_F(JwtVerifierTest, RejectsMalformedStructure) {
  VerifierFixture f(rsa().PublicJwks());
  std::string token = SignToken(rsa(), "RS256", R"({"alg":"RS256"})", Claims());
  size_t dot1 = token.find('.');
  for (const std::string& bad :
       {std::string(""), std::string("abc"), std::string("a.b"), token + ".x",
        std::string("a.b.c.d"), token.substr(dot1), "." + token.substr(dot1 + 1),
        " " + token, token + " ", token + "\n", token.substr(0, dot1) + "=" + token.substr(dot1),
        token.substr(0, dot1) + "." + "+" + token.substr(dot1 + 2)}) {
    EXPECT_EQ(f.ReasonFor(bad), Reason::kMalformed) << "'" << bad.substr(0, 40) << "'";
  }
}

TEST_F(JwtVerifierTest, RejectsNonCanonicalBase64url) {
  VerifierFixture f(rsa().PublicJwks());
  // "e30" is "{}"; "e31" has non-zero trailing bits and decodes the same.
  std::string token = SignToken(rsa(), "RS256", R"({"alg":"RS256"})", "{}");
  ASSERT_NE(token.find(".e30."), std::string::npos);
  std::string variant = token;
  variant.replace(token.find(".e30.") + 1, 3, "e31");
  EXPECT_EQ(f.ReasonFor(variant), Reason::kMalformed);
}

TEST_F(JwtVerifierTest, RejectsLaxJson) {
  VerifierFixture f(rsa().PublicJwks());
  auto signed_token = [&](const std::string& header, const std::string& claims) {
    return SignToken(rsa(), "RS256", header, claims);
  };
  // Duplicate alg, also when written with an escape.
  EXPECT_EQ(f.ReasonFor(signed_token(R"({"alg":"RS256","alg":"none"})", Claims())),
            Reason::kMalformed);
  EXPECT_EQ(f.ReasonFor(signed_token(R"({"alg":"RS256","\u0061lg":"RS256"})", Claims())),
            Reason::kMalformed);
  // Duplicate claim.
  EXPECT_EQ(f.ReasonFor(signed_token(R"({"alg":"RS256"})",
                                     R"({"sub":"a","sub":"admin","exp":1900000000})")),
            Reason::kMalformed);
  // Invalid UTF-8, trailing garbage, deep nesting, non-object claims.
  EXPECT_EQ(f.ReasonFor(signed_token(R"({"alg":"RS256"})", "{\"sub\":\"\xc0\xaf\"}")),
            Reason::kMalformed);
  EXPECT_EQ(f.ReasonFor(signed_token(R"({"alg":"RS256"})", Claims() + "x")), Reason::kMalformed);
  EXPECT_EQ(f.ReasonFor(signed_token(R"({"alg":"RS256"})",
                                     "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') +
                                         "}")),
            Reason::kMalformed);
  EXPECT_EQ(f.ReasonFor(signed_token(R"({"alg":"RS256"})", "[1,2]")), Reason::kMalformed);
  EXPECT_EQ(f.ReasonFor(signed_token(R"(["RS256"])", Claims())), Reason::kMalformed);
}

TEST_F(JwtVerifierTest, TypeChecksHeaderParameters) {
  VerifierFixture f(rsa().PublicJwks());
  for (std::string header :
       {R"({"alg":256})", R"({"alg":null})", R"({"kid":"k"})", R"({"alg":"RS256","kid":7})",
        R"({"alg":"RS256","typ":["JWT"]})", R"({"alg":"RS256","cty":{}})"}) {
    EXPECT_EQ(f.ReasonFor(SignToken(rsa(), "RS256", header, Claims())), Reason::kMalformed)
        << header;
  }
}

TEST_F(JwtVerifierTest, RejectsCritAndB64) {
  VerifierFixture f(rsa().PublicJwks());
  auto reason = [&](const std::string& header) {
    return f.ReasonFor(SignToken(rsa(), "RS256", header, Claims()));
  };
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":["exp"],"exp":1})"), Reason::kUnsupportedHeader);
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":["alg"]})"), Reason::kMalformed);
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":["kid"],"kid":"x"})"), Reason::kMalformed);
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":[]})"), Reason::kMalformed);
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":"exp","exp":1})"), Reason::kMalformed);
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":[7]})"), Reason::kMalformed);
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":["exp"]})"), Reason::kMalformed) << "absent param";
  EXPECT_EQ(reason(R"({"alg":"RS256","crit":["exp","exp"],"exp":1})"), Reason::kMalformed);
  EXPECT_EQ(reason(R"({"alg":"RS256","b64":false,"crit":["b64"]})"), Reason::kUnsupportedHeader);
  EXPECT_EQ(reason(R"({"alg":"RS256","b64":true})"), Reason::kUnsupportedHeader);
}

TEST_F(JwtVerifierTest, ChecksSizeBeforeAnythingElse) {
  VerifierFixture f(rsa().PublicJwks());
  EXPECT_EQ(f.ReasonFor(std::string(16 * 1024 + 1, '!')), Reason::kTokenTooLarge);
  EXPECT_EQ(f.ReasonFor(std::string(16 * 1024, '!')), Reason::kMalformed);
  JwtVerifierOptions small;
  small.max_token_size = 100;
  VerifierFixture g(rsa().PublicJwks(), small);
  EXPECT_EQ(g.ReasonFor(SignToken(rsa(), "RS256", R"({"alg":"RS256"})", Claims())),
            Reason::kTokenTooLarge);
}

TEST_F(JwtVerifierTest, ReportsTheFirstFailingCheckInOrder) {
  VerifierFixture f(rsa().PublicJwks());
  std::string expired = Claims(kNow - 3600);
  // Syntax before algorithm: malformed claims in an alg-none token.
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"none"})", "{", "")), Reason::kMalformed);
  // Algorithm before key: unknown alg with no key of any kind for it.
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"XS256"})", expired, "x")), Reason::kUnsupportedAlg);
  // Key before signature.
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"ES256"})", expired, "x")), Reason::kKeyNotFound);
  // Signature before claims: a forged expired token is a bad signature, not
  // "expired" (no claim is judged before the signature has passed).
  EXPECT_EQ(f.ReasonFor(Compact(R"({"alg":"RS256"})", expired, std::string(256, 'x'))),
            Reason::kSignatureInvalid);
  EXPECT_EQ(f.ReasonFor(SignToken(rsa(), "RS256", R"({"alg":"RS256"})", expired)),
            Reason::kExpired);
}

// --- claims ------------------------------------------------------------------

class ClaimsTest : public JwtVerifierTest {
 protected:
  Rejection CheckClaims(const std::string& claims, JwtVerifierOptions options = {},
                        const std::string& header = R"({"alg":"ES256"})",
                        absl::Time now = kNowTime) {
    VerifierFixture f(ec().PublicJwks(), std::move(options));
    return f.Check(SignToken(ec(), "ES256", header, claims), now);
  }
  Reason ReasonForClaims(const std::string& claims, JwtVerifierOptions options = {}) {
    return CheckClaims(claims, std::move(options)).reason;
  }
};

TEST_F(ClaimsTest, TimeClaimsMustBeNumbersInRange) {
  for (std::string exp :
       {R"("1900000000")", "true", "null", "-1", "253402300800", "1e300", "[1900000000]",
        "{}"}) {
    EXPECT_EQ(ReasonForClaims(R"({"exp":)" + exp + "}"), Reason::kInvalidClaim) << exp;
    EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"nbf":)" + exp + "}"), Reason::kInvalidClaim)
        << exp;
    EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"iat":)" + exp + "}"), Reason::kInvalidClaim)
        << exp;
  }
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000.5})"), Reason::kNone) << "fractional is fine";
  EXPECT_EQ(ReasonForClaims(R"({"exp":253402300799})"), Reason::kNone);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1.9e9})"), Reason::kNone);
}

TEST_F(ClaimsTest, ExpiryWithClockSkew) {
  const int64_t exp = kNow;
  std::string claims = R"({"exp":)" + std::to_string(exp) + "}";
  // Valid while now < exp + 60.
  EXPECT_EQ(CheckClaims(claims, {}, R"({"alg":"ES256"})", absl::FromUnixSeconds(exp + 59)).reason,
            Reason::kNone);
  EXPECT_EQ(CheckClaims(claims, {}, R"({"alg":"ES256"})", absl::FromUnixSeconds(exp + 60)).reason,
            Reason::kExpired);
  JwtVerifierOptions no_skew;
  no_skew.claims.clock_skew = absl::ZeroDuration();
  EXPECT_EQ(CheckClaims(claims, no_skew, R"({"alg":"ES256"})", absl::FromUnixSeconds(exp)).reason,
            Reason::kExpired);
  EXPECT_EQ(
      CheckClaims(claims, no_skew, R"({"alg":"ES256"})", absl::FromUnixSeconds(exp - 1)).reason,
      Reason::kNone);
}

TEST_F(ClaimsTest, ExpIsRequiredByDefault) {
  EXPECT_EQ(ReasonForClaims(R"({"sub":"a"})"), Reason::kMissingClaim);
  JwtVerifierOptions optional_exp;
  optional_exp.claims.require_exp = false;
  EXPECT_EQ(ReasonForClaims(R"({"sub":"a"})", optional_exp), Reason::kNone);
}

TEST_F(ClaimsTest, NotBeforeAndIssuedAt) {
  std::string in_future = std::to_string(kNow + 61);
  std::string within_skew = std::to_string(kNow + 59);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"nbf":)" + in_future + "}"),
            Reason::kNotYetValid);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"nbf":)" + within_skew + "}"), Reason::kNone);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"iat":)" + in_future + "}"),
            Reason::kNotYetValid);
}

TEST_F(ClaimsTest, MaximumLifetime) {
  JwtVerifierOptions options;
  options.claims.max_lifetime = absl::Hours(1);
  std::string iat = std::to_string(kNow - 10);
  EXPECT_EQ(ReasonForClaims(R"({"iat":)" + iat + ",\"exp\":" + std::to_string(kNow - 10 + 3600) +
                                "}",
                            options),
            Reason::kNone);
  EXPECT_EQ(ReasonForClaims(R"({"iat":)" + iat + ",\"exp\":" + std::to_string(kNow - 10 + 3601) +
                                "}",
                            options),
            Reason::kLifetimeTooLong);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000})", options), Reason::kMissingClaim);
}

TEST_F(ClaimsTest, IssuerIsAnExactMatch) {
  JwtVerifierOptions options;
  options.claims.issuers = {"https://idp.example", "https://other.example"};
  EXPECT_EQ(ReasonForClaims(Claims(), options), Reason::kNone);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"iss":"https://other.example"})", options),
            Reason::kNone);
  for (std::string iss : {"https://idp.example/", "HTTPS://idp.example",
                                 "https://idp.example.evil", "https://idp.exampl"}) {
    EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"iss":")" + iss + "\"}", options),
              Reason::kIssuerMismatch)
        << iss;
  }
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000})", options), Reason::kMissingClaim);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"iss":["https://idp.example"]})", options),
            Reason::kInvalidClaim);
  // Unchecked issuers are still type-checked.
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"iss":1})"), Reason::kInvalidClaim);
}

TEST_F(ClaimsTest, AudienceStringOrArray) {
  JwtVerifierOptions options;
  options.claims.audiences = {"api", "api2"};
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"aud":"api"})", options), Reason::kNone);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"aud":["x","api2"]})", options), Reason::kNone);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"aud":["x","y"]})", options),
            Reason::kAudienceMismatch);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"aud":[]})", options),
            Reason::kAudienceMismatch);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"aud":"API"})", options),
            Reason::kAudienceMismatch);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000})", options), Reason::kMissingClaim);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"aud":["api",1]})", options),
            Reason::kInvalidClaim);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"aud":{"a":"api"}})"), Reason::kInvalidClaim);
}

TEST_F(ClaimsTest, SubjectsAndRequiredClaims) {
  JwtVerifierOptions options;
  options.claims.subjects = {"svc-a"};
  options.claims.required_claims = {"jti", "scope"};
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"sub":"svc-a","jti":"1","scope":""})", options),
            Reason::kNone);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"sub":"svc-b","jti":"1","scope":""})", options),
            Reason::kSubjectNotAllowed);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"sub":"svc-a","jti":"1"})", options),
            Reason::kMissingClaim);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"sub":1})"), Reason::kInvalidClaim);
  EXPECT_EQ(ReasonForClaims(R"({"exp":1900000000,"jti":{}})"), Reason::kInvalidClaim);
}

TEST_F(ClaimsTest, RequiredTypeIsCaseInsensitiveWithOptionalPrefix) {
  JwtVerifierOptions options;
  options.claims.typ = "at+jwt";
  std::string claims = R"({"exp":1900000000})";
  for (std::string typ : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"}) {
    EXPECT_EQ(CheckClaims(claims, options, R"({"alg":"ES256","typ":")" + typ + "\"}").reason,
              Reason::kNone)
        << typ;
  }
  for (std::string typ : {"JWT", "at+jwt ", "application/", "at-jwt"}) {
    EXPECT_EQ(CheckClaims(claims, options, R"({"alg":"ES256","typ":")" + typ + "\"}").reason,
              Reason::kTypeMismatch)
        << typ;
  }
  EXPECT_EQ(CheckClaims(claims, options).reason, Reason::kTypeMismatch) << "typ absent";
}

// --- verified-token cache ------------------------------------------------------

TEST_F(JwtVerifierTest, CacheServesRepeatsAndRechecksExpiry) {
  JwtVerifierOptions options;
  options.cache.max_entries = 100;
  VerifierFixture f(ec().PublicJwks(), options);
  std::string token = SignToken(ec(), "ES256", R"({"alg":"ES256"})", Claims(kNow + 100));
  EXPECT_EQ(f.ReasonFor(token), Reason::kNone);
  EXPECT_EQ(f.ReasonFor(token), Reason::kNone);
  EXPECT_EQ(f.verifier->cache().hits(), 1u);
  // After exp (+ skew) the cached entry no longer counts.
  EXPECT_EQ(f.ReasonFor(token, absl::FromUnixSeconds(kNow + 160)), Reason::kExpired);
  // Before nbf/iat (a replay with an earlier clock) it does not either.
  EXPECT_EQ(f.ReasonFor(token, absl::FromUnixSeconds(kNow - 1000)), Reason::kNotYetValid);
}

TEST_F(JwtVerifierTest, CacheNeverStoresFailuresAndComparesWholeTokens) {
  JwtVerifierOptions options;
  options.cache.max_entries = 100;
  VerifierFixture f(ec().PublicJwks(), options);
  std::string token = SignToken(ec(), "ES256", R"({"alg":"ES256"})", Claims());
  // Change a character in the middle of the signature (the last one carries
  // padding bits, and changing those is a malformed token instead).
  std::string tampered = token;
  size_t middle = token.rfind('.') + 20;
  tampered[middle] = tampered[middle] == 'A' ? 'B' : 'A';
  EXPECT_EQ(f.ReasonFor(tampered), Reason::kSignatureInvalid);
  EXPECT_EQ(f.ReasonFor(tampered), Reason::kSignatureInvalid);
  EXPECT_EQ(f.verifier->cache().size(), 0u);
  EXPECT_EQ(f.ReasonFor(token), Reason::kNone);
  EXPECT_EQ(f.verifier->cache().size(), 1u);
  EXPECT_EQ(f.ReasonFor(tampered), Reason::kSignatureInvalid);
}

TEST_F(JwtVerifierTest, IsSafeToShareAcrossThreads) {
  TestKey hmac = TestKey::Hmac(std::string(32, 's'));
  JwtVerifierOptions options;
  options.cache.max_entries = 64;
  VerifierFixture f(ec().PublicJwks(), options);
  std::vector<std::string> valid, invalid;
  for (int i = 0; i < 16; ++i) {
    valid.push_back(SignToken(ec(), "ES256", R"({"alg":"ES256"})",
                              Claims(kNow + 600, ",\"n\":" + std::to_string(i))));
    // A changed character in the middle of the signature: never equal to the
    // original, and never a base64url padding-bit change.
    std::string tampered = valid.back();
    size_t middle = tampered.rfind('.') + 20;
    tampered[middle] = tampered[middle] == 'A' ? 'B' : 'A';
    invalid.push_back(tampered);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string& token = (i + t) % 2 ? valid[i % 16] : invalid[i % 16];
        Rejection why;
        VerifiedToken out;
        bool ok = f.verifier->Verify(token, kNowTime, i % 3 ? &out : nullptr, &why);
        if (ok != ((i + t) % 2 == 1)) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

// The engine chooses among providers with PeekIssuer, which parses the claims
// as Verify() does: an issuer only from a token that would reach the keys.
TEST(PeekIssuer, ReadsTheUnverifiedIssuer) {
  const JsonLimits limits{1 << 20, 32};
  const std::string header = R"({"alg":"ES256"})";
  EXPECT_EQ(PeekIssuer(Compact(header, Claims(), "sig"), limits), "https://idp.example");
  EXPECT_EQ(PeekIssuer(Compact(header, R"({"sub":"alice"})", "sig"), limits), std::nullopt);
  EXPECT_EQ(PeekIssuer(Compact(header, R"({"iss":7})", "sig"), limits), std::nullopt);
  EXPECT_EQ(PeekIssuer(Compact(header, R"(["iss"])", "sig"), limits), std::nullopt);
  EXPECT_EQ(PeekIssuer(Compact(header, R"({"iss":)", "sig"), limits), std::nullopt);
  EXPECT_EQ(PeekIssuer("not.a-token", limits), std::nullopt);
  const std::string deep = Compact(header, R"({"iss":"a","x":[[[1]]]})", "sig");
  EXPECT_EQ(PeekIssuer(deep, limits), "a");
  EXPECT_EQ(PeekIssuer(deep, JsonLimits{1 << 20, 2}), std::nullopt);
}

}  // namespace
}  // namespace authgate
