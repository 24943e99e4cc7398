// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// rfc_vectors_test.cc: the compact JWS examples of RFC 7515 Appendix A and
// RFC 7520 section 4, verified through the JOSE core, and single-bit changes
// of them that must be refused with the right reason.
//
// Keys and tokens are copied from the RFC texts (the RFC's JWKs with their
// public members only: private members are ignored by the verifier anyway).
// Each was also checked independently with Python's `cryptography`.
//
// Not here, because the RFC gives no compact serialization for them: RFC 7520
// 4.6 (protecting specific header fields: an unprotected header), 4.7
// (protecting content only: no protected header at all) and 4.8 (multiple
// signatures) exist only as JWS JSON serializations, which authgate does not
// accept.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "jose/algorithm.h"
#include "jose/base64url.h"
#include "jose/jws.h"
#include "jose/jws_verifier.h"
#include "jose/key_set.h"
#include "reason.h"
#include "text.h"

namespace authgate {
namespace {

// RFC 7515 A.1: the HMAC key (A.1.1) and the JWS (A.1.1, compact).
constexpr std::string_view kRfc7515A1Key =
    R"({"kty":"oct",)"
    R"("k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
constexpr std::string_view kRfc7515A1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// The JWT claims used by A.1, A.2, A.3 and A.5, with their CRLFs.
constexpr std::string_view kRfc7515Claims =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

// RFC 7515 A.2: the RSA key (A.2.1, public members) and the JWS (A.2.1).
constexpr std::string_view kRfc7515A2Key =
    R"({"kty":"RSA",)"
    R"("n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",)"
    R"("e":"AQAB"})";
constexpr std::string_view kRfc7515A2Token =
    "eyJhbGciOiJSUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
    "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
    "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 7515 A.3: the P-256 key (A.3.1, public members) and the JWS (A.3.1).
constexpr std::string_view kRfc7515A3Key =
    R"({"kty":"EC","crv":"P-256",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
constexpr std::string_view kRfc7515A3Token =
    "eyJhbGciOiJFUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 7515 A.4: the P-521 key (A.4.1, public members) and the JWS (A.4.1),
// whose payload is the text "Payload".
constexpr std::string_view kRfc7515A4Key =
    R"({"kty":"EC","crv":"P-521",)"
    R"("x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",)"
    R"("y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"})";
constexpr std::string_view kRfc7515A4Token =
    "eyJhbGciOiJFUzUxMiJ9"
    "."
    "UGF5bG9hZA"
    "."
    "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8G"
    "aSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

// RFC 7515 A.5: an unsecured JWS, {"alg":"none"} with the A.1 claims and an
// empty signature.
constexpr std::string_view kRfc7515A5Token =
    "eyJhbGciOiJub25lIn0"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".";

// RFC 7520 Figure 3: the RSA public key. As in the RFC, it has no "alg": the
// Wycheproof copy of it for Figure 20 adds "alg": "PS256", which contradicts
// the PS384 token (a Wycheproof erratum); see Rfc7520Section4_2.
constexpr std::string_view kRfc7520RsaKey =
    R"({"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig",)"
    R"("n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw",)"
    R"("e":"AQAB"})";

// RFC 7520 Figure 1: the P-521 public key (no "alg" either).
constexpr std::string_view kRfc7520EcKey =
    R"({"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521",)"
    R"("x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",)"
    R"("y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"})";

// RFC 7520 Figure 5: the HMAC SHA-256 key.
constexpr std::string_view kRfc7520HmacKey =
    R"({"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256",)"
    R"("k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"})";

// RFC 7520 Figure 7 (the payload, U+2019 as UTF-8) and Figure 8 (encoded).
constexpr std::string_view kRfc7520Payload =
    "It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You step onto the road, "
    "and if you don't keep your feet, there\xe2\x80\x99s no knowing where you might be swept off "
    "to.";
#define AUTHGATE_RFC7520_PAYLOAD                                      \
  "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
  "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
  "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
  "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"

// RFC 7520 Figure 13 (4.1, RS256).
constexpr std::string_view kRfc7520Figure13 =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
    "." AUTHGATE_RFC7520_PAYLOAD "."
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK"
    "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J"
    "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w"
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP"
    "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f"
    "cIe8u9ipH84ogoree7vjbU5y18kDquDg";

// RFC 7520 Figure 20 (4.2, PS384).
constexpr std::string_view kRfc7520Figure20 =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
    "." AUTHGATE_RFC7520_PAYLOAD "."
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I"
    "pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU"
    "vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX"
    "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT"
    "0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a"
    "6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";

// RFC 7520 Figure 27 (4.3, ES512).
constexpr std::string_view kRfc7520Figure27 =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
    "." AUTHGATE_RFC7520_PAYLOAD "."
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvb"
    "u9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kv"
    "AD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";

// RFC 7520 Figure 34 (4.4, HS256).
constexpr std::string_view kRfc7520Figure34 =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9"
    "." AUTHGATE_RFC7520_PAYLOAD "."
    "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

// RFC 7520 4.5.3 (detached content, HS256): the compact form with an empty
// payload segment (labelled "Figure 41" in the RFC).
constexpr std::string_view kRfc7520Detached =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9"
    ".."
    "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

#undef AUTHGATE_RFC7520_PAYLOAD

// What the JWS path (parse, strict payload decoding, algorithm, key and
// signature checks) decides about a token.
struct Outcome {
  bool accepted = false;
  Rejection why;
  std::string payload;
};

Outcome Verify(std::string_view token, const KeySet& keys,
               AlgorithmSet allowed = AlgorithmSet::All()) {
  Outcome out;
  ParsedJws jws;
  if (!ParsedJws::Parse(token, &jws, &out.why)) return out;
  if (!jws.DecodePayload(&out.payload, &out.why)) return out;
  JwsVerifyOptions options;
  options.allowed = allowed;
  out.accepted = VerifyJwsSignature(jws, keys, options, &out.why) != nullptr;
  return out;
}

std::shared_ptr<const KeySet> Keys(std::string_view jwk) {
  absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromText(jwk);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (!loaded.ok()) return nullptr;
  EXPECT_TRUE(loaded->warnings.empty());
  return loaded->keys;
}

// The three segments of a compact token.
std::vector<std::string> Segments(std::string_view token) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t dot = token.find('.', start);
    out.emplace_back(token.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& segments) {
  return StrCat(segments[0], ".", segments[1], ".", segments[2]);
}

// Flips bit `bit` of decoded byte `index` of segment `segment` and re-encodes:
// the token stays well-formed base64url, only its content changes.
std::string FlipDecodedBit(std::string_view token, int segment, size_t index, int bit) {
  std::vector<std::string> segments = Segments(token);
  std::string bytes;
  EXPECT_TRUE(Base64UrlDecode(segments[segment], &bytes));
  bytes[index] = static_cast<char>(bytes[index] ^ (1 << bit));
  segments[segment] = Base64UrlEncode(bytes);
  return Join(segments);
}

// Flips the top bit of the first character of segment `segment`: the text is
// no longer base64url at all.
std::string BreakBase64(std::string_view token, int segment) {
  std::vector<std::string> segments = Segments(token);
  segments[segment][0] = static_cast<char>(segments[segment][0] ^ 0x80);
  return Join(segments);
}

std::string DecodedSegment(std::string_view token, int segment) {
  std::string bytes;
  EXPECT_TRUE(Base64UrlDecode(Segments(token)[segment], &bytes));
  return bytes;
}

constexpr int kHeader = 0, kPayload = 1, kSignature = 2;

struct Example {
  const char* name;
  std::string_view jwk;
  std::string_view token;
  std::string_view payload;
};

const Example kExamples[] = {
    {"RFC 7515 A.1 HS256", kRfc7515A1Key, kRfc7515A1Token, kRfc7515Claims},
    {"RFC 7515 A.2 RS256", kRfc7515A2Key, kRfc7515A2Token, kRfc7515Claims},
    {"RFC 7515 A.3 ES256", kRfc7515A3Key, kRfc7515A3Token, kRfc7515Claims},
    {"RFC 7515 A.4 ES512", kRfc7515A4Key, kRfc7515A4Token, "Payload"},
    {"RFC 7520 4.1 RS256", kRfc7520RsaKey, kRfc7520Figure13, kRfc7520Payload},
    {"RFC 7520 4.2 PS384", kRfc7520RsaKey, kRfc7520Figure20, kRfc7520Payload},
    {"RFC 7520 4.3 ES512", kRfc7520EcKey, kRfc7520Figure27, kRfc7520Payload},
    {"RFC 7520 4.4 HS256", kRfc7520HmacKey, kRfc7520Figure34, kRfc7520Payload},
};

TEST(RfcVectorsTest, ExamplesVerify) {
  for (const Example& example : kExamples) {
    SCOPED_TRACE(example.name);
    std::shared_ptr<const KeySet> keys = Keys(example.jwk);
    ASSERT_NE(keys, nullptr);
    Outcome outcome = Verify(example.token, *keys);
    EXPECT_TRUE(outcome.accepted) << ReasonName(outcome.why.reason) << ": " << outcome.why.detail;
    EXPECT_EQ(outcome.payload, example.payload);
  }
}

TEST(RfcVectorsTest, ExamplesVerifyWithOnlyTheirAlgorithmAllowed) {
  for (const Example& example : kExamples) {
    SCOPED_TRACE(example.name);
    std::shared_ptr<const KeySet> keys = Keys(example.jwk);
    ASSERT_NE(keys, nullptr);
    ParsedJws jws;
    Rejection why;
    ASSERT_TRUE(ParsedJws::Parse(example.token, &jws, &why));
    ASSERT_TRUE(jws.algorithm().has_value());
    AlgorithmSet only;
    only.insert(*jws.algorithm());
    EXPECT_TRUE(Verify(example.token, *keys, only).accepted);
    AlgorithmSet others = AlgorithmSet::All();
    others.erase(*jws.algorithm());
    Outcome refused = Verify(example.token, *keys, others);
    EXPECT_FALSE(refused.accepted);
    EXPECT_EQ(refused.why.reason, Reason::kAlgNotAllowed);
  }
}

TEST(RfcVectorsTest, Rfc7515A5UnsecuredIsUnsupportedAlg) {
  std::shared_ptr<const KeySet> keys = Keys(kRfc7515A1Key);
  ASSERT_NE(keys, nullptr);
  Outcome outcome = Verify(kRfc7515A5Token, *keys);
  EXPECT_FALSE(outcome.accepted);
  EXPECT_EQ(outcome.why.reason, Reason::kUnsupportedAlg) << outcome.why.detail;
  EXPECT_EQ(DecodedSegment(kRfc7515A5Token, kHeader), R"({"alg":"none"})");
}

TEST(RfcVectorsTest, Rfc7520Section4_2KeyAlg) {
  // The RFC's key (Figure 3, used by 4.2) has no "alg", and verifies the
  // PS384 token (ExamplesVerify). With the right "alg" it still does. With
  // the "alg": "PS256" that Wycheproof's copy of it carries, the key may
  // verify PS256 only, so the PS384 token finds no key, and with only PS256
  // allowed its algorithm is refused outright.
  std::string with_ps384(kRfc7520RsaKey);
  with_ps384.insert(1, R"("alg":"PS384",)");
  std::shared_ptr<const KeySet> keys = Keys(with_ps384);
  ASSERT_NE(keys, nullptr);
  EXPECT_TRUE(Verify(kRfc7520Figure20, *keys).accepted);

  std::string with_ps256(kRfc7520RsaKey);
  with_ps256.insert(1, R"("alg":"PS256",)");
  keys = Keys(with_ps256);
  ASSERT_NE(keys, nullptr);
  Outcome outcome = Verify(kRfc7520Figure20, *keys);
  EXPECT_FALSE(outcome.accepted);
  EXPECT_EQ(outcome.why.reason, Reason::kKeyNotFound) << outcome.why.detail;
  AlgorithmSet ps256;
  ps256.insert(Algorithm::kPS256);
  outcome = Verify(kRfc7520Figure20, *keys, ps256);
  EXPECT_EQ(outcome.why.reason, Reason::kAlgNotAllowed) << outcome.why.detail;
}

TEST(RfcVectorsTest, Rfc7520Section4_5DetachedContentIsRejected) {
  // authgate has no detached-payload support: the compact form with an empty
  // payload segment is checked as a JWS of the empty payload, whose signing
  // input "<header>." the signature (made over the real payload) does not
  // match.
  std::shared_ptr<const KeySet> keys = Keys(kRfc7520HmacKey);
  ASSERT_NE(keys, nullptr);
  Outcome outcome = Verify(kRfc7520Detached, *keys);
  EXPECT_FALSE(outcome.accepted);
  EXPECT_EQ(outcome.why.reason, Reason::kSignatureInvalid) << outcome.why.detail;

  // The detached signature is the 4.4 one: re-attaching the payload yields
  // the 4.4 token, which verifies (this also checks the transcription).
  std::vector<std::string> segments = Segments(kRfc7520Detached);
  segments[kPayload] = Segments(kRfc7520Figure34)[kPayload];
  EXPECT_EQ(Join(segments), kRfc7520Figure34);
  EXPECT_TRUE(Verify(Join(segments), *keys).accepted);
}

TEST(RfcVectorsTest, BrokenBase64InAnySegmentIsMalformed) {
  for (const Example& example : kExamples) {
    SCOPED_TRACE(example.name);
    std::shared_ptr<const KeySet> keys = Keys(example.jwk);
    ASSERT_NE(keys, nullptr);
    for (int segment : {kHeader, kPayload, kSignature}) {
      Outcome outcome = Verify(BreakBase64(example.token, segment), *keys);
      EXPECT_FALSE(outcome.accepted) << "segment " << segment;
      EXPECT_EQ(outcome.why.reason, Reason::kMalformed)
          << "segment " << segment << ": " << outcome.why.detail;
    }
  }
}

TEST(RfcVectorsTest, PayloadAndSignatureBitFlipsAreSignatureInvalid) {
  // Every bit of the first, a middle and the last byte of the decoded payload
  // and signature.
  for (const Example& example : kExamples) {
    SCOPED_TRACE(example.name);
    std::shared_ptr<const KeySet> keys = Keys(example.jwk);
    ASSERT_NE(keys, nullptr);
    for (int segment : {kPayload, kSignature}) {
      size_t size = DecodedSegment(example.token, segment).size();
      ASSERT_GT(size, 0u);
      for (size_t index : {size_t{0}, size / 2, size - 1}) {
        for (int bit = 0; bit < 8; ++bit) {
          Outcome outcome = Verify(FlipDecodedBit(example.token, segment, index, bit), *keys);
          EXPECT_FALSE(outcome.accepted)
              << "segment " << segment << " byte " << index << " bit " << bit;
          EXPECT_EQ(outcome.why.reason, Reason::kSignatureInvalid)
              << "segment " << segment << " byte " << index << " bit " << bit << ": "
              << outcome.why.detail;
        }
      }
    }
  }
}

TEST(RfcVectorsTest, HeaderBitFlipsAreRefusedWithTheRightReason) {
  for (const Example& example : kExamples) {
    SCOPED_TRACE(example.name);
    std::shared_ptr<const KeySet> keys = Keys(example.jwk);
    ASSERT_NE(keys, nullptr);
    std::string header = DecodedSegment(example.token, kHeader);

    // '{' (0x7b) becomes 'z': not JSON.
    Outcome outcome = Verify(FlipDecodedBit(example.token, kHeader, 0, 0), *keys);
    EXPECT_EQ(outcome.why.reason, Reason::kMalformed) << outcome.why.detail;

    // The member name "alg" becomes "`lg": the header lacks "alg".
    size_t alg_name = header.find("\"alg\"");
    ASSERT_NE(alg_name, std::string::npos);
    outcome = Verify(FlipDecodedBit(example.token, kHeader, alg_name + 1, 0), *keys);
    EXPECT_EQ(outcome.why.reason, Reason::kMalformed) << outcome.why.detail;

    // The last digit of the algorithm (6, 2 or 4) becomes 7, 3 or 5: an
    // algorithm that does not exist (HS257, ES513, PS385, ...).
    size_t alg_value_end = header.find('"', header.find('"', alg_name + 5) + 1);
    outcome = Verify(FlipDecodedBit(example.token, kHeader, alg_value_end - 1, 0), *keys);
    EXPECT_EQ(outcome.why.reason, Reason::kUnsupportedAlg) << outcome.why.detail;

    // A changed "kid" names no key of the set (RFC 7520 keys have one).
    size_t kid_name = header.find("\"kid\"");
    if (kid_name != std::string::npos) {
      size_t kid_value = header.find('"', kid_name + 5) + 1;
      outcome = Verify(FlipDecodedBit(example.token, kHeader, kid_value, 0), *keys);
      EXPECT_EQ(outcome.why.reason, Reason::kKeyNotFound) << outcome.why.detail;
    }

    // Every other single-bit change of the header is refused too, whatever
    // the reason (most break the JSON; the rest break the signature).
    for (size_t index = 0; index < header.size(); ++index) {
      for (int bit = 0; bit < 8; ++bit) {
        outcome = Verify(FlipDecodedBit(example.token, kHeader, index, bit), *keys);
        EXPECT_FALSE(outcome.accepted) << "header byte " << index << " bit " << bit;
        EXPECT_NE(outcome.why.reason, Reason::kNone) << "header byte " << index << " bit " << bit;
      }
    }
  }
}

TEST(RfcVectorsTest, Rfc7515A1TypChangeIsSignatureInvalid) {
  // A header change that keeps the JSON valid and the algorithm and key the
  // same ("JWT" becomes "KWT") reaches the signature check, which fails.
  std::shared_ptr<const KeySet> keys = Keys(kRfc7515A1Key);
  ASSERT_NE(keys, nullptr);
  std::string header = DecodedSegment(kRfc7515A1Token, kHeader);
  size_t jwt = header.find("JWT");
  ASSERT_NE(jwt, std::string::npos);
  Outcome outcome = Verify(FlipDecodedBit(kRfc7515A1Token, kHeader, jwt, 0), *keys);
  EXPECT_FALSE(outcome.accepted);
  EXPECT_EQ(outcome.why.reason, Reason::kSignatureInvalid) << outcome.why.detail;
}

}  // namespace
}  // namespace authgate
