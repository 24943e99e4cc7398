// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/id_token_validator.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

#include "jose/base64url.h"
#include "jose/jws.h"
#include "text.h"

namespace authgate {
namespace {

bool Fail(Rejection* why, Reason reason, std::string detail) {
  why->reason = reason;
  why->detail = std::move(detail);
  return false;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The `aud` values, sorted: a string or an array of strings (ValidateClaims
// has checked the type).
std::vector<std::string_view> Audiences(JsonValue aud) {
  std::vector<std::string_view> out;
  if (aud.is_string()) out.push_back(aud.string());
  for (JsonValue element : aud.elements()) out.push_back(element.string());
  std::sort(out.begin(), out.end());
  return out;
}

// OIDC Core 3.1.3.7 items 3 to 5, beyond what ValidateClaims checks: `sub`
// non-empty, and `azp`.
bool CheckSubjectAndParty(JsonValue claims, std::string_view client_id, Rejection* why) {
  if (claims.Find("sub").string().empty()) {
    return Fail(why, Reason::kInvalidClaim, "\"sub\" must be a non-empty string");
  }
  JsonValue azp = claims.Find("azp");
  if (azp.valid()) {
    if (!azp.is_string()) return Fail(why, Reason::kInvalidClaim, "\"azp\" must be a string");
    if (azp.string() != client_id) {
      return Fail(why, Reason::kAudienceMismatch, "\"azp\" is not this client");
    }
  } else if (claims.Find("aud").size() > 1) {
    return Fail(why, Reason::kMissingClaim, "\"azp\" is required when \"aud\" has several values");
  }
  return true;
}

bool SameNumber(JsonValue a, JsonValue b) {
  double x = 0, y = 0;
  return a.GetDouble(&x) && b.GetDouble(&y) && x == y;
}

// OIDC Core 12.2: the refreshed token is about the same login.
bool CheckSameLogin(JsonValue claims, JsonValue previous, Rejection* why) {
  auto mismatch = [why](std::string_view claim) {
    return Fail(why, Reason::kRefreshFailed,
                StrCat("refreshed ID token: \"", claim, "\" differs from the session's"));
  };
  if (!previous.is_object())
    return Fail(why, Reason::kRefreshFailed, "no previous ID token claims");
  for (std::string_view name : {"iss", "sub"}) {
    JsonValue before = previous.Find(name);
    if (!before.is_string() || before.string() != claims.Find(name).string()) return mismatch(name);
  }
  if (Audiences(claims.Find("aud")) != Audiences(previous.Find("aud"))) return mismatch("aud");
  JsonValue nonce = claims.Find("nonce");
  if (nonce.valid()) {
    JsonValue before = previous.Find("nonce");
    if (!nonce.is_string() || !before.is_string() ||
        !ConstantTimeEquals(nonce.string(), before.string())) {
      return mismatch("nonce");
    }
  }
  JsonValue auth_time = claims.Find("auth_time"), before_auth_time = previous.Find("auth_time");
  if (auth_time.valid() && before_auth_time.valid() && !SameNumber(auth_time, before_auth_time)) {
    return mismatch("auth_time");
  }
  return true;
}

std::unique_ptr<KeySource> HmacKeySource(const std::string& secret) {
  std::string jwk = StrCat(R"({"kty":"oct","k":")", Base64UrlEncode(secret), "\"}");
  absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromText(jwk);
  if (!loaded.ok()) return nullptr;
  return KeySource::Fixed(std::move(loaded->keys), {});
}

}  // namespace

absl::StatusOr<std::unique_ptr<IdTokenValidator>> IdTokenValidator::Create(
    const OidcConfig& config, HttpClient* http, Scheduler* scheduler,
    std::unique_ptr<KeySource> keys) {
  JwtVerifierOptions options;
  options.claims.issuers = {config.issuer};
  options.claims.audiences = {config.client_id};
  options.claims.require_exp = true;
  options.claims.required_claims = {"iat", "sub"};
  options.claims.clock_skew = config.clock_skew;

  const AlgorithmSet hmac_algorithms =
      config.id_token_algorithms & AlgorithmSet::OfFamily(KeyFamily::kOct);
  const AlgorithmSet asymmetric_algorithms =
      config.id_token_algorithms & OidcConfig::AsymmetricAlgorithms();

  std::unique_ptr<JwtVerifier> asymmetric;
  if (!asymmetric_algorithms.empty()) {
    if (keys == nullptr) {
      if (http == nullptr || scheduler == nullptr) {
        return absl::InvalidArgumentError("remote keys need an HTTP client and a scheduler");
      }
      RemoteKeySourceOptions remote;
      if (config.jwks_uri) {
        remote.jwks_uri = *config.jwks_uri;
      } else {
        remote.discovery_issuer = config.issuer;
      }
      remote.allow_insecure_http = config.allow_insecure_http;
      absl::StatusOr<std::unique_ptr<KeySource>> source =
          KeySource::Remote(std::move(remote), http, scheduler);
      if (!source.ok()) return source.status();
      keys = std::move(*source);
    }
    // A single provider without an issuer: every ID token is checked with
    // its keys, and a foreign `iss` is then issuer_mismatch.
    std::vector<KeyProvider> providers(1);
    providers[0].keys = std::move(keys);
    JwtVerifierOptions asymmetric_options = options;
    asymmetric_options.algorithms = asymmetric_algorithms;
    absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
        JwtVerifier::Create(std::move(providers), std::move(asymmetric_options), scheduler);
    if (!verifier.ok()) return verifier.status();
    asymmetric = std::move(*verifier);
  }
  std::unique_ptr<JwtVerifier> hmac;
  if (!hmac_algorithms.empty()) {
    std::unique_ptr<KeySource> secret = HmacKeySource(config.client_secret);
    if (secret == nullptr) {
      return absl::InvalidArgumentError("the client secret is not usable as an HMAC key");
    }
    std::vector<KeyProvider> providers(1);
    providers[0].keys = std::move(secret);
    JwtVerifierOptions hmac_options = options;
    hmac_options.algorithms = hmac_algorithms;
    absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
        JwtVerifier::Create(std::move(providers), std::move(hmac_options), nullptr);
    if (!verifier.ok()) return verifier.status();
    hmac = std::move(*verifier);
  }
  if (asymmetric == nullptr && hmac == nullptr) {
    return absl::InvalidArgumentError("no ID token algorithm is allowed");
  }
  return std::unique_ptr<IdTokenValidator>(
      new IdTokenValidator(config.client_id, std::move(asymmetric), std::move(hmac)));
}

IdTokenValidator::IdTokenValidator(std::string client_id, std::unique_ptr<JwtVerifier> asymmetric,
                                   std::unique_ptr<JwtVerifier> hmac)
    : client_id_(std::move(client_id)), asymmetric_(std::move(asymmetric)), hmac_(std::move(hmac)) {
}

IdTokenValidator::~IdTokenValidator() {
  // Waits for a validation after a refetch in progress; later ones see the
  // validator gone.
  lifetime_->End();
  // Closing the key sources runs the refetch waiters still queued.
  asymmetric_.reset();
  hmac_.reset();
}

bool IdTokenValidator::VerifyCommon(std::string_view id_token, absl::Time now, VerifiedToken* out,
                                    Rejection* why) const {
  const JwtVerifier* verifier = asymmetric_ != nullptr ? asymmetric_.get() : hmac_.get();
  if (asymmetric_ != nullptr && hmac_ != nullptr) {
    // The header's alg picks the verifier; either one refuses the other's
    // algorithms (alg_not_allowed), so a wrong pick cannot accept a token.
    ParsedJws jws;
    Rejection ignored;
    if (ParsedJws::Parse(id_token, &jws, &ignored) && jws.algorithm() &&
        AlgorithmInfoOf(*jws.algorithm()).family == KeyFamily::kOct) {
      verifier = hmac_.get();
    }
  }
  if (!verifier->Verify(id_token, now, out, why)) return false;
  return CheckSubjectAndParty(out->claims(), client_id_, why);
}

bool IdTokenValidator::Validate(std::string_view id_token, std::string_view expected_nonce,
                                absl::Time now, VerifiedToken* out, Rejection* why) const {
  VerifiedToken token;
  if (!VerifyCommon(id_token, now, &token, why)) return false;
  JsonValue nonce = token.claims().Find("nonce");
  if (!nonce.valid()) return Fail(why, Reason::kMissingClaim, "\"nonce\" is required");
  if (!nonce.is_string()) return Fail(why, Reason::kInvalidClaim, "\"nonce\" must be a string");
  if (expected_nonce.empty() || !ConstantTimeEquals(nonce.string(), expected_nonce)) {
    return Fail(why, Reason::kNonceMismatch, "\"nonce\" is not the one this login sent");
  }
  if (out != nullptr) *out = std::move(token);
  return true;
}

bool IdTokenValidator::ValidateRefreshed(std::string_view id_token, JsonValue previous_claims,
                                         absl::Time now, VerifiedToken* out, Rejection* why) const {
  VerifiedToken token;
  if (!VerifyCommon(id_token, now, &token, why)) return false;
  if (!CheckSameLogin(token.claims(), previous_claims, why)) return false;
  if (out != nullptr) *out = std::move(token);
  return true;
}

bool IdTokenValidator::RunAsync(const Attempt& attempt, bool* valid, VerifiedToken* out,
                                Rejection* why, Done done) const {
  *valid = attempt(out, why);
  if (*valid || (why->reason != Reason::kKeyNotFound && why->reason != Reason::kJwksUnavailable)) {
    return true;
  }
  if (asymmetric_ == nullptr) return true;  // fixed HMAC key: nothing to refetch
  auto retry = [attempt, done = std::move(done), lifetime = lifetime_] {
    VerifiedToken token;
    Rejection reason;
    bool ok = false;
    if (Lifetime::Use use = lifetime->Enter()) {
      ok = attempt(&token, &reason);
    } else {
      reason = Rejection{Reason::kJwksUnavailable, "the ID token validator was destroyed"};
    }
    done(ok, std::move(token), std::move(reason));
  };
  if (asymmetric_->providers()[0].keys->RefreshForUnknownKey(std::move(retry))) return false;
  // Rate-limited: a refetch ran moments ago, perhaps the one Verify() just
  // asked for; its keys may already be in place.
  *valid = attempt(out, why);
  return true;
}

bool IdTokenValidator::ValidateAsync(std::string id_token, std::string expected_nonce,
                                     absl::Time now, bool* valid, VerifiedToken* out,
                                     Rejection* why, Done done) const {
  Attempt attempt = [this, id_token = std::move(id_token),
                     expected_nonce = std::move(expected_nonce),
                     now](VerifiedToken* token, Rejection* reason) {
    return Validate(id_token, expected_nonce, now, token, reason);
  };
  return RunAsync(attempt, valid, out, why, std::move(done));
}

bool IdTokenValidator::ValidateRefreshedAsync(std::string id_token,
                                              std::shared_ptr<const JsonDocument> previous_claims,
                                              absl::Time now, bool* valid, VerifiedToken* out,
                                              Rejection* why, Done done) const {
  Attempt attempt = [this, id_token = std::move(id_token),
                     previous_claims = std::move(previous_claims),
                     now](VerifiedToken* token, Rejection* reason) {
    return ValidateRefreshed(id_token, previous_claims->root(), now, token, reason);
  };
  return RunAsync(attempt, valid, out, why, std::move(done));
}

bool IdTokenValidator::WaitReady(absl::Duration timeout) const {
  return asymmetric_ == nullptr || asymmetric_->WaitReady(timeout);
}

}  // namespace authgate
