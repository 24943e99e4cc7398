// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/jwk.h"

#include <string>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "text.h"
#include "jose/base64url.h"

namespace authgate {
namespace {

absl::Status Invalid(std::string_view what) { return absl::InvalidArgumentError(ToAbsl(what)); }

// Reads an optional string member; a present non-string is an error.
absl::Status OptionalString(JsonValue jwk, std::string_view name,
                            std::optional<std::string_view>* out) {
  JsonValue value = jwk.Find(name);
  if (!value.valid()) return absl::OkStatus();
  if (!value.is_string()) return Invalid(StrCat("JWK member \"", name, "\" must be a string"));
  *out = value.string();
  return absl::OkStatus();
}

// Reads a required base64url member into bytes.
absl::Status RequiredBytes(JsonValue jwk, std::string_view name, std::string* out) {
  JsonValue value = jwk.Find(name);
  if (!value.valid()) return Invalid(StrCat("JWK lacks \"", name, "\""));
  if (!value.is_string() || !Base64UrlDecode(value.string(), out) || out->empty()) {
    return Invalid(StrCat("JWK member \"", name, "\" is not non-empty base64url"));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniquePtr<EVP_PKEY>> FromParams(const char* type, OSSL_PARAM* params) {
  UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return Invalid(StrCat("OpenSSL rejects the ", type, " key parameters"));
  }
  return UniquePtr<EVP_PKEY>(raw);
}

absl::StatusOr<UniquePtr<EVP_PKEY>> RsaFromJwk(JsonValue jwk) {
  std::string n, e;
  if (absl::Status s = RequiredBytes(jwk, "n", &n); !s.ok()) return s;
  if (absl::Status s = RequiredBytes(jwk, "e", &e); !s.ok()) return s;
  UniquePtr<BIGNUM> n_bn(BN_bin2bn(reinterpret_cast<const uint8_t*>(n.data()),
                                   static_cast<int>(n.size()), nullptr));
  UniquePtr<BIGNUM> e_bn(BN_bin2bn(reinterpret_cast<const uint8_t*>(e.data()),
                                   static_cast<int>(e.size()), nullptr));
  UniquePtr<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  if (n_bn == nullptr || e_bn == nullptr || builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    return absl::ResourceExhaustedError("out of memory building an RSA key");
  }
  UniquePtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder.get()));
  if (params == nullptr) return absl::ResourceExhaustedError("out of memory building an RSA key");
  return FromParams("RSA", params.get());
}

struct JwkCurve {
  std::string_view jwk_name;
  const char* group_name;
  size_t coordinate_size;
};

constexpr JwkCurve kEcCurves[] = {
    {"P-256", "prime256v1", 32}, {"P-384", "secp384r1", 48}, {"P-521", "secp521r1", 66}};

absl::StatusOr<UniquePtr<EVP_PKEY>> EcFromJwk(JsonValue jwk) {
  std::optional<std::string_view> crv;
  if (absl::Status s = OptionalString(jwk, "crv", &crv); !s.ok()) return s;
  if (!crv) return Invalid("EC JWK lacks \"crv\"");
  const JwkCurve* curve = nullptr;
  for (const JwkCurve& c : kEcCurves) {
    if (c.jwk_name == *crv) curve = &c;
  }
  if (curve == nullptr) return Invalid("EC JWK \"crv\" is not P-256, P-384 or P-521");
  std::string x, y;
  if (absl::Status s = RequiredBytes(jwk, "x", &x); !s.ok()) return s;
  if (absl::Status s = RequiredBytes(jwk, "y", &y); !s.ok()) return s;
  // RFC 7518 6.2.1.2: each coordinate is exactly the field size, leading
  // zeros included; any other length is malformed.
  if (x.size() != curve->coordinate_size || y.size() != curve->coordinate_size) {
    return Invalid(StrCat("EC JWK coordinates must be ", curve->coordinate_size,
                                " bytes for ", curve->jwk_name));
  }
  std::string point = StrCat(std::string(1, '\x04'), x, y);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(curve->group_name), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  absl::StatusOr<UniquePtr<EVP_PKEY>> key = FromParams("EC", params);
  if (!key.ok()) {
    return Invalid(StrCat("EC JWK (x, y) is not a point on the ", curve->jwk_name, " curve"));
  }
  return key;
}

absl::StatusOr<UniquePtr<EVP_PKEY>> OkpFromJwk(JsonValue jwk) {
  std::optional<std::string_view> crv;
  if (absl::Status s = OptionalString(jwk, "crv", &crv); !s.ok()) return s;
  if (!crv) return Invalid("OKP JWK lacks \"crv\"");
  const char* type = nullptr;
  size_t size = 0;
  if (*crv == "Ed25519") {
    type = "ED25519";
    size = 32;
  } else if (*crv == "Ed448") {
    type = "ED448";
    size = 57;
  } else {
    return Invalid("OKP JWK \"crv\" must be Ed25519 or Ed448 (X25519/X448 do not sign)");
  }
  std::string x;
  if (absl::Status s = RequiredBytes(jwk, "x", &x); !s.ok()) return s;
  if (x.size() != size) return Invalid(StrCat(*crv, " JWK \"x\" must be ", size, " bytes"));
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key_ex(
      nullptr, type, nullptr, reinterpret_cast<const uint8_t*>(x.data()), x.size());
  if (raw == nullptr) {
    ERR_clear_error();
    return Invalid(StrCat("OpenSSL rejects the ", *crv, " key"));
  }
  return UniquePtr<EVP_PKEY>(raw);
}

absl::StatusOr<UniquePtr<EVP_PKEY>> KeyFromCertificateDer(std::string_view der) {
  const auto* p = reinterpret_cast<const uint8_t*>(der.data());
  UniquePtr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    ERR_clear_error();
    return Invalid("certificate is not valid DER X.509");
  }
  UniquePtr<EVP_PKEY> key(X509_get_pubkey(cert.get()));
  if (key == nullptr) {
    ERR_clear_error();
    return Invalid("certificate has no usable public key");
  }
  return key;
}

absl::StatusOr<UniquePtr<EVP_PKEY>> KeyFromX5c(JsonValue x5c) {
  if (!x5c.is_array() || x5c.size() == 0) {
    return Invalid("JWK \"x5c\" must be a non-empty array of base64 certificates");
  }
  for (JsonValue cert : x5c.elements()) {
    if (!cert.is_string()) return Invalid("JWK \"x5c\" entries must be strings");
  }
  std::string der;
  if (!Base64Decode(x5c.At(0).string(), &der)) {
    return Invalid("JWK \"x5c\" leaf certificate is not base64 (RFC 7517 4.7)");
  }
  return KeyFromCertificateDer(der);
}

absl::Status CheckUse(JsonValue jwk) {
  std::optional<std::string_view> use;
  if (absl::Status s = OptionalString(jwk, "use", &use); !s.ok()) return s;
  if (use && *use != "sig") {
    return Invalid(StrCat("JWK \"use\" is \"", use->substr(0, 16), "\", not \"sig\""));
  }
  JsonValue ops = jwk.Find("key_ops");
  if (!ops.valid()) return absl::OkStatus();
  if (!ops.is_array()) return Invalid("JWK \"key_ops\" must be an array of strings");
  bool verify = false;
  for (JsonValue op : ops.elements()) {
    if (!op.is_string()) return Invalid("JWK \"key_ops\" must be an array of strings");
    verify |= op.string() == "verify";
  }
  if (!verify) return Invalid("JWK \"key_ops\" does not include \"verify\"");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SignatureKey>> ParseJwk(JsonValue jwk) {
  if (!jwk.is_object()) return Invalid("a JWK must be a JSON object");
  std::optional<std::string_view> kty, kid, alg;
  if (absl::Status s = OptionalString(jwk, "kty", &kty); !s.ok()) return s;
  if (absl::Status s = OptionalString(jwk, "kid", &kid); !s.ok()) return s;
  if (absl::Status s = OptionalString(jwk, "alg", &alg); !s.ok()) return s;
  if (!kty) return Invalid("JWK lacks \"kty\"");
  if (absl::Status s = CheckUse(jwk); !s.ok()) return s;

  SignatureKey::Spec spec;
  if (kid) spec.kid = std::string(*kid);
  if (alg) {
    spec.alg = AlgorithmFromName(*alg);
    if (!spec.alg) {
      return Invalid(StrCat("JWK \"alg\" \"", alg->substr(0, 16),
                                  "\" is not a JWS algorithm authgate implements"));
    }
  }

  JsonValue x5c = jwk.Find("x5c");
  absl::StatusOr<UniquePtr<EVP_PKEY>> from_numbers = Invalid("");
  bool has_numbers = false;
  if (*kty == "oct") {
    if (x5c.valid()) return Invalid("an oct JWK cannot carry \"x5c\"");
    if (absl::Status s = RequiredBytes(jwk, "k", &spec.secret); !s.ok()) return s;
    return SignatureKey::Create(std::move(spec));
  } else if (*kty == "RSA") {
    has_numbers = jwk.Find("n").valid() || jwk.Find("e").valid();
    if (has_numbers || !x5c.valid()) from_numbers = RsaFromJwk(jwk);
  } else if (*kty == "EC") {
    has_numbers = jwk.Find("x").valid() || jwk.Find("y").valid();
    if (has_numbers || !x5c.valid()) from_numbers = EcFromJwk(jwk);
  } else if (*kty == "OKP") {
    has_numbers = jwk.Find("x").valid();
    if (has_numbers || !x5c.valid()) from_numbers = OkpFromJwk(jwk);
  } else {
    return Invalid(StrCat("JWK \"kty\" \"", kty->substr(0, 16), "\" is not supported"));
  }
  if (has_numbers || !x5c.valid()) {
    if (!from_numbers.ok()) return from_numbers.status();
    spec.pkey = std::move(*from_numbers);
  }
  if (x5c.valid()) {
    absl::StatusOr<UniquePtr<EVP_PKEY>> from_cert = KeyFromX5c(x5c);
    if (!from_cert.ok()) return from_cert.status();
    if (spec.pkey != nullptr && EVP_PKEY_eq(spec.pkey.get(), from_cert->get()) != 1) {
      ERR_clear_error();
      return Invalid("JWK key numbers and its \"x5c\" certificate hold different keys");
    }
    bool kty_fits = (*kty == "RSA" && EVP_PKEY_is_a(from_cert->get(), "RSA")) ||
                    (*kty == "EC" && EVP_PKEY_is_a(from_cert->get(), "EC")) ||
                    (*kty == "OKP" && (EVP_PKEY_is_a(from_cert->get(), "ED25519") ||
                                       EVP_PKEY_is_a(from_cert->get(), "ED448")));
    if (!kty_fits) return Invalid("JWK \"x5c\" certificate key does not match \"kty\"");
    if (spec.pkey == nullptr) spec.pkey = std::move(*from_cert);
  }
  return SignatureKey::Create(std::move(spec));
}

absl::StatusOr<std::vector<absl::StatusOr<std::unique_ptr<SignatureKey>>>> ParsePemKeys(
    std::string_view pem) {
  UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory reading PEM");
  std::vector<absl::StatusOr<std::unique_ptr<SignatureKey>>> keys;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    std::string block_name(name);
    std::string_view der(reinterpret_cast<const char*>(data), static_cast<size_t>(len));
    absl::StatusOr<UniquePtr<EVP_PKEY>> pkey = Invalid("");
    if (block_name == "PUBLIC KEY") {
      const auto* p = data;
      EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, len);
      pkey = raw != nullptr && p == data + len
                 ? absl::StatusOr<UniquePtr<EVP_PKEY>>(UniquePtr<EVP_PKEY>(raw))
                 : Invalid("PEM PUBLIC KEY is not a valid SubjectPublicKeyInfo");
      if (raw != nullptr && p != data + len) EVP_PKEY_free(raw);
    } else if (block_name == "CERTIFICATE") {
      pkey = KeyFromCertificateDer(der);
    } else {
      pkey = Invalid(StrCat("PEM block \"", block_name.substr(0, 32),
                                  "\" is neither PUBLIC KEY nor CERTIFICATE"));
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (!pkey.ok()) {
      keys.push_back(pkey.status());
      continue;
    }
    SignatureKey::Spec spec;
    spec.pkey = std::move(*pkey);
    keys.push_back(SignatureKey::Create(std::move(spec)));
  }
  ERR_clear_error();  // PEM_read_bio ends with "no start line"
  if (keys.empty()) return Invalid("no PEM block found");
  return keys;
}

}  // namespace authgate
