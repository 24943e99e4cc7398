// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Which keys are accepted into a key set, which are refused and why, and
// which keys a token may be checked with.

#include "jose/key_set.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jose/base64url.h"
#include "jose/jwk.h"
#include "support/token_factory.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::Base64Url;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(FromAbsl(status.message())); }

absl::StatusOr<KeySet::Loaded> Load(const std::string& text) { return KeySet::FromText(text); }

// A JWK's refusal message, or "" when the key is accepted.
std::string WhyRefused(const std::string& jwk) {
  JsonDocument doc;
  absl::Status parsed = doc.Parse(jwk, JsonLimits{});
  if (!parsed.ok()) return "bad test JSON: " + Message(parsed);
  absl::StatusOr<std::unique_ptr<SignatureKey>> key = ParseJwk(doc.root());
  return key.ok() ? "" : Message(key.status());
}

std::string WithMember(std::string jwk, const std::string& member) {
  jwk.pop_back();
  return jwk + "," + member + "}";
}

TEST(KeySetTest, AcceptsEveryKeyTypeFromJwk) {
  for (const TestKey& key :
       {TestKey::Rsa(2048), TestKey::Ec("P-256"), TestKey::Ec("P-384"), TestKey::Ec("P-521"),
        TestKey::Ed25519(), TestKey::Ed448(), TestKey::Hmac(std::string(32, 'k'))}) {
    absl::StatusOr<KeySet::Loaded> loaded = Load(key.PublicJwks("k1"));
    ASSERT_TRUE(loaded.ok()) << Message(loaded.status());
    EXPECT_EQ(loaded->keys->size(), 1u);
    EXPECT_TRUE(loaded->warnings.empty());
  }
}

TEST(KeySetTest, AlgorithmsFollowKeyTypeCurveAndSecretLength) {
  auto algorithms = [](const TestKey& key) {
    return Load(key.PublicJwk())->keys->algorithms();
  };
  AlgorithmSet rsa = algorithms(TestKey::Rsa(2048));
  EXPECT_TRUE(rsa.contains(Algorithm::kRS256) && rsa.contains(Algorithm::kPS512));
  EXPECT_FALSE(rsa.contains(Algorithm::kHS256)) << "RSA material is never an HMAC secret";
  AlgorithmSet p384 = algorithms(TestKey::Ec("P-384"));
  EXPECT_TRUE(p384.contains(Algorithm::kES384));
  EXPECT_FALSE(p384.contains(Algorithm::kES256)) << "curve fixes the algorithm";
  AlgorithmSet hmac32 = algorithms(TestKey::Hmac(std::string(32, 'k')));
  EXPECT_TRUE(hmac32.contains(Algorithm::kHS256));
  EXPECT_FALSE(hmac32.contains(Algorithm::kHS384)) << "HS384 needs a 48-byte secret";
  AlgorithmSet hmac64 = algorithms(TestKey::Hmac(std::string(64, 'k')));
  EXPECT_TRUE(hmac64.contains(Algorithm::kHS512));
}

TEST(KeySetTest, JwkAlgNarrowsTheKeyToOneAlgorithm) {
  TestKey rsa = TestKey::Rsa(2048);
  absl::StatusOr<KeySet::Loaded> loaded = Load(rsa.PublicJwks("k", "PS256"));
  ASSERT_TRUE(loaded.ok());
  AlgorithmSet only_ps256;
  only_ps256.insert(Algorithm::kPS256);
  EXPECT_TRUE(loaded->keys->algorithms() == only_ps256);
}

TEST(KeySetTest, RefusesJwkAlgThatDoesNotFitTheKey) {
  EXPECT_THAT(WhyRefused(TestKey::Ec("P-256").PublicJwk("k", "ES384")), HasSubstr("does not fit"));
  EXPECT_THAT(WhyRefused(TestKey::Rsa(2048).PublicJwk("k", "HS256")), HasSubstr("does not fit"));
  EXPECT_THAT(WhyRefused(TestKey::Hmac(std::string(32, 'k')).PublicJwk("k", "HS512")),
              HasSubstr("does not fit"));
  EXPECT_THAT(WhyRefused(TestKey::Rsa(2048).PublicJwk("k", "RSA-OAEP")),
              HasSubstr("not a JWS algorithm"));
  EXPECT_THAT(WhyRefused(TestKey::Ec("P-521").PublicJwk("k", "ES521")),
              HasSubstr("not a JWS algorithm"));
  EXPECT_THAT(WhyRefused(TestKey::Rsa(2048).PublicJwk("k", "none")),
              HasSubstr("not a JWS algorithm"));
}

TEST(KeySetTest, EnforcesUseAndKeyOps) {
  std::string jwk = TestKey::Ec("P-256").PublicJwk("k");
  EXPECT_EQ(WhyRefused(WithMember(jwk, R"("use":"sig")")), "");
  EXPECT_THAT(WhyRefused(WithMember(jwk, R"("use":"enc")")), HasSubstr("\"use\""));
  EXPECT_EQ(WhyRefused(WithMember(jwk, R"("key_ops":["verify"])")), "");
  EXPECT_THAT(WhyRefused(WithMember(jwk, R"("key_ops":["sign"])")), HasSubstr("verify"));
  EXPECT_THAT(WhyRefused(WithMember(jwk, R"("key_ops":"verify")")), HasSubstr("key_ops"));
  EXPECT_THAT(WhyRefused(WithMember(jwk, R"("use":1)")), HasSubstr("string"));
  EXPECT_THAT(WhyRefused(WithMember(jwk, R"("kid2":1,"alg":7)")), HasSubstr("\"alg\""));
}

TEST(KeySetTest, RefusesWeakRsaKeys) {
  EXPECT_THAT(WhyRefused(TestKey::Rsa(1024).PublicJwk()), HasSubstr("2048"));
  EXPECT_THAT(WhyRefused(TestKey::Rsa(2047).PublicJwk()), HasSubstr("2048"));
  EXPECT_EQ(WhyRefused(TestKey::Rsa(3072).PublicJwk()), "");
}

std::string RsaJwkWithExponent(const TestKey& key, const std::string& e_bytes) {
  std::string jwk = key.PublicJwk();
  size_t e = jwk.find("\"e\":\"");
  size_t end = jwk.find('"', e + 5);
  return jwk.substr(0, e + 5) + Base64Url(e_bytes) + jwk.substr(end);
}

TEST(KeySetTest, RefusesRsaExponentsBelowThreeOrEven) {
  TestKey rsa = TestKey::Rsa(2048);
  EXPECT_THAT(WhyRefused(RsaJwkWithExponent(rsa, "\x01")), HasSubstr("exponent"));
  EXPECT_THAT(WhyRefused(RsaJwkWithExponent(rsa, "\x02")), HasSubstr("exponent"));
  EXPECT_THAT(WhyRefused(RsaJwkWithExponent(rsa, std::string("\x01\x00\x00", 3))),
              HasSubstr("exponent"));
  EXPECT_EQ(WhyRefused(RsaJwkWithExponent(rsa, "\x03")), "");
}

// Builds a 2048-bit number with the ROCA structure: N = k * M + 65537^a mod M
// for M the product of the fingerprint primes. It is no real key (nobody
// knows a factorisation), which does not matter for the fingerprint test.
std::string RocaModulus() {
  const unsigned primes[] = {3,  5,  7,  11, 13, 17, 19, 23, 29,  31,  37,  41,  43,
                             47, 53, 59, 61, 67, 71, 73, 79, 83,  89,  97,  101, 103,
                             107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
  BN_CTX* ctx = BN_CTX_new();
  BIGNUM* m = BN_new();
  BN_one(m);
  for (unsigned p : primes) BN_mul_word(m, p);
  BIGNUM* g = BN_new();
  BN_set_word(g, 65537);
  BIGNUM* a = BN_new();
  BN_set_word(a, 123457);
  BIGNUM* residue = BN_new();
  BN_mod_exp(residue, g, a, m, ctx);
  BIGNUM* k = BN_new();
  BIGNUM* n = BN_new();
  do {  // until N has exactly 2048 bits, so only the fingerprint can refuse it
    BN_rand(k, 2048 - BN_num_bits(m), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
    BN_mul(n, k, m, ctx);
    BN_add(n, n, residue);
  } while (BN_num_bits(n) != 2048);
  std::string bytes(static_cast<size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(bytes.data()));
  for (BIGNUM* bn : {m, g, a, residue, k, n}) BN_free(bn);
  BN_CTX_free(ctx);
  return bytes;
}

TEST(KeySetTest, RefusesRsaModulusWithRocaFingerprint) {
  std::string n = RocaModulus();
  ASSERT_GE(n.size(), 255u);
  std::string jwk = R"({"kty":"RSA","n":")" + Base64Url(n) + R"(","e":"AQAB"})";
  EXPECT_THAT(WhyRefused(jwk), HasSubstr("ROCA"));
  // A genuine key does not trip the test.
  EXPECT_EQ(WhyRefused(TestKey::Rsa(2048).PublicJwk()), "");
}

TEST(KeySetTest, RefusesShortHmacSecrets) {
  EXPECT_THAT(WhyRefused(TestKey::Hmac(std::string(31, 'k')).PublicJwk()), HasSubstr("32"));
  EXPECT_THAT(WhyRefused(R"({"kty":"oct","k":""})"), HasSubstr("\"k\""));
}

TEST(KeySetTest, RefusesMalformedEcKeys) {
  std::string jwk = TestKey::Ec("P-256").PublicJwk();
  // Off-curve point: change one byte of y.
  size_t y = jwk.find("\"y\":\"") + 5;
  std::string off_curve = jwk;
  off_curve[y] = off_curve[y] == 'A' ? 'B' : 'A';
  EXPECT_THAT(WhyRefused(off_curve), HasSubstr("curve"));
  // Coordinate one byte short (a valid key whose x has a leading zero must
  // still be sent with it, RFC 7518 6.2.1.2).
  std::string x_b64 = jwk.substr(jwk.find("\"x\":\"") + 5, 43);
  std::string x;
  ASSERT_TRUE(Base64UrlDecode(x_b64, &x));
  std::string short_x = jwk;
  short_x.replace(jwk.find("\"x\":\"") + 5, 43, Base64Url(x.substr(1)));
  EXPECT_THAT(WhyRefused(short_x), HasSubstr("32 bytes"));
  EXPECT_THAT(WhyRefused(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})"),
              HasSubstr("crv"));
  EXPECT_THAT(WhyRefused(R"({"kty":"EC","crv":"P-256","x":"AA"})"), HasSubstr("\"y\""));
}

TEST(KeySetTest, RefusesNonSigningOkpCurves) {
  EXPECT_THAT(WhyRefused(R"({"kty":"OKP","crv":"X25519","x":")" + Base64Url(std::string(32, 'x')) +
                         "\"}"),
              HasSubstr("Ed25519"));
  EXPECT_THAT(WhyRefused(R"({"kty":"OKP","crv":"Ed25519","x":")" +
                         Base64Url(std::string(31, 'x')) + "\"}"),
              HasSubstr("32 bytes"));
}

TEST(KeySetTest, RefusesUnknownOrMissingKty) {
  EXPECT_THAT(WhyRefused(R"({"kty":"DSA"})"), HasSubstr("kty"));
  EXPECT_THAT(WhyRefused(R"({"n":"AQAB"})"), HasSubstr("kty"));
  EXPECT_THAT(WhyRefused(R"({"kty":5})"), HasSubstr("kty"));
}

TEST(KeySetTest, RefusesMixedSymmetricAndAsymmetricKeys) {
  std::string jwks = "{\"keys\":[" + TestKey::Rsa(2048).PublicJwk("a") + "," +
                     TestKey::Hmac(std::string(32, 's')).PublicJwk("b") + "]}";
  absl::StatusOr<KeySet::Loaded> loaded = Load(jwks);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(Message(loaded.status()), HasSubstr("mixes symmetric"));
}

TEST(KeySetTest, DropsKeysSharingAKidAndKeepsTheRest) {
  std::string jwks = "{\"keys\":[" + TestKey::Ec("P-256").PublicJwk("dup") + "," +
                     TestKey::Ec("P-256").PublicJwk("dup") + "," +
                     TestKey::Ec("P-256").PublicJwk("unique") + "]}";
  absl::StatusOr<KeySet::Loaded> loaded = Load(jwks);
  ASSERT_TRUE(loaded.ok()) << Message(loaded.status());
  ASSERT_EQ(loaded->keys->size(), 1u);
  EXPECT_EQ(*loaded->keys->keys()[0]->kid(), "unique");
  ASSERT_EQ(loaded->warnings.size(), 2u);
  EXPECT_THAT(loaded->warnings[0], HasSubstr("same kid"));
}

TEST(KeySetTest, SkipsUnusableKeysWithAWarning) {
  std::string jwks = "{\"keys\":[" + TestKey::Rsa(1024).PublicJwk("weak") + "," +
                     R"({"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"bad"})" + "," +
                     TestKey::Ec("P-256").PublicJwk("good") + "]}";
  absl::StatusOr<KeySet::Loaded> loaded = Load(jwks);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->keys->size(), 1u);
  ASSERT_EQ(loaded->warnings.size(), 2u);
  EXPECT_THAT(loaded->warnings[0], HasSubstr("key #1 skipped"));
  EXPECT_THAT(loaded->warnings[1], HasSubstr("key #2 skipped"));
}

TEST(KeySetTest, FailsWhenNoKeyIsUsable) {
  EXPECT_FALSE(Load(R"({"keys":[]})").ok());
  absl::StatusOr<KeySet::Loaded> weak = Load(TestKey::Rsa(1024).PublicJwks());
  ASSERT_FALSE(weak.ok());
  EXPECT_THAT(Message(weak.status()), HasSubstr("no usable key"));
  EXPECT_FALSE(Load("not a key").ok());
  EXPECT_FALSE(Load(R"({"keys":{}})").ok());
  EXPECT_FALSE(Load(R"({"foo":1})").ok());
  EXPECT_FALSE(Load(R"({"keys":[],"keys":[]})").ok()) << "duplicate members are refused";
}

TEST(KeySetTest, ReadsPemPublicKeysAndCertificates) {
  TestKey rsa = TestKey::Rsa(2048);
  TestKey ec = TestKey::Ec("P-384");
  TestKey ed = TestKey::Ed25519();
  absl::StatusOr<KeySet::Loaded> loaded =
      Load(rsa.PublicPem() + "\n" + ec.CertificatePem() + ed.PublicPem());
  ASSERT_TRUE(loaded.ok()) << Message(loaded.status());
  EXPECT_EQ(loaded->keys->size(), 3u);
  EXPECT_FALSE(loaded->keys->keys()[0]->kid().has_value());
  absl::StatusOr<KeySet::Loaded> weak = Load(TestKey::Rsa(1024).PublicPem());
  EXPECT_FALSE(weak.ok());
  absl::StatusOr<KeySet::Loaded> private_key =
      Load("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  EXPECT_FALSE(private_key.ok());
}

TEST(KeySetTest, UsesX5cLeafCertificate) {
  TestKey ec = TestKey::Ec("P-256");
  std::string der = ec.CertificateDer();
  std::string b64;
  {
    // x5c is standard base64 with padding (RFC 7517 4.7).
    static const char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string url = Base64Url(der);
    for (char c : url) b64.push_back(c == '-' ? kStd[62] : c == '_' ? kStd[63] : c);
    while (b64.size() % 4 != 0) b64.push_back('=');
  }
  std::string x5c_only = R"({"kty":"EC","kid":"c","x5c":[")" + b64 + "\"]}";
  EXPECT_EQ(WhyRefused(x5c_only), "");
  std::string with_numbers = WithMember(ec.PublicJwk("c"), "\"x5c\":[\"" + b64 + "\"]");
  EXPECT_EQ(WhyRefused(with_numbers), "");
  std::string mismatched =
      WithMember(TestKey::Ec("P-256").PublicJwk("c"), "\"x5c\":[\"" + b64 + "\"]");
  EXPECT_THAT(WhyRefused(mismatched), HasSubstr("different keys"));
  EXPECT_THAT(WhyRefused(R"({"kty":"RSA","x5c":[")" + b64 + "\"]}"), HasSubstr("kty"));
  EXPECT_THAT(WhyRefused(R"({"kty":"EC","x5c":["not base64!"]})"), HasSubstr("x5c"));
  EXPECT_THAT(WhyRefused(R"({"kty":"EC","x5c":[]})"), HasSubstr("x5c"));
}

TEST(KeySetTest, CandidatesFollowKidRules) {
  std::string jwks = "{\"keys\":[" + TestKey::Ec("P-256").PublicJwk("a") + "," +
                     TestKey::Ec("P-256").PublicJwk() + "," +
                     TestKey::Ec("P-256").PublicJwk("b") + "," +
                     TestKey::Ec("P-384").PublicJwk("a384") + "]}";
  absl::StatusOr<KeySet::Loaded> loaded = Load(jwks);
  ASSERT_TRUE(loaded.ok());
  const KeySet& keys = *loaded->keys;
  bool more = false;
  // kid "b": the key with that kid first, then the key without kid.
  KeySet::CandidateList for_b = keys.Candidates(Algorithm::kES256, "b", 4, &more);
  ASSERT_EQ(for_b.size(), 2u);
  EXPECT_EQ(*for_b[0]->kid(), "b");
  EXPECT_FALSE(for_b[1]->kid().has_value());
  // Unknown kid: only keys without kid.
  EXPECT_EQ(keys.Candidates(Algorithm::kES256, "zzz", 4, &more).size(), 1u);
  // No kid: every key of the right type.
  EXPECT_EQ(keys.Candidates(Algorithm::kES256, std::nullopt, 4, &more).size(), 3u);
  EXPECT_FALSE(more);
  // The bound.
  EXPECT_EQ(keys.Candidates(Algorithm::kES256, std::nullopt, 2, &more).size(), 2u);
  EXPECT_TRUE(more);
  // Type must fit: the P-384 key is not a candidate for ES256 even by kid.
  EXPECT_EQ(keys.Candidates(Algorithm::kES256, "a384", 4, &more).size(), 1u);
  EXPECT_TRUE(keys.Candidates(Algorithm::kRS256, std::nullopt, 4, &more).empty());
}

}  // namespace
}  // namespace authgate
