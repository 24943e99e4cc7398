// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwt/jwt_verifier.h"

#include "text.h"
#include "jose/jws.h"

namespace authgate {
namespace {

// Claims are a flat-ish object; nested claims (realm_access.roles) add a few
// levels.
constexpr int kClaimsMaxDepth = 16;

}  // namespace

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    std::shared_ptr<const KeySet> keys, JwtVerifierOptions options) {
  if (keys == nullptr || keys->size() == 0) return absl::InvalidArgumentError("no keys");
  if ((options.algorithms & keys->algorithms()).empty()) {
    return absl::InvalidArgumentError(
        "none of the allowed algorithms can be verified with the configured keys");
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(keys), std::move(options)));
}

JwtVerifier::JwtVerifier(std::shared_ptr<const KeySet> keys, JwtVerifierOptions options)
    : keys_(std::move(keys)), options_(std::move(options)), cache_(options_.cache) {
  jws_options_.allowed = options_.algorithms;
  jws_options_.max_key_candidates = options_.max_key_candidates;
}

bool JwtVerifier::Verify(std::string_view token, absl::Time now, VerifiedToken* out,
                         Rejection* why) const {
  if (token.size() > options_.max_token_size) {
    why->reason = Reason::kTokenTooLarge;
    why->detail = StrCat("token of ", token.size(), " bytes exceeds the maximum of ",
                               options_.max_token_size);
    return false;
  }
  if (cache_.enabled()) {
    std::shared_ptr<const TokenRecord> record;
    if (cache_.Lookup(token, absl::ToDoubleSeconds(now - absl::UnixEpoch()), out ? &record : nullptr)) {
      if (out != nullptr) *out = VerifiedToken(std::move(record));
      return true;
    }
  }

  ParsedJws jws;
  if (!ParsedJws::Parse(token, &jws, why)) return false;
  absl::InlinedVector<char, 1024> payload;
  if (!jws.DecodePayload(&payload, why)) return false;
  JsonDocument claims;
  absl::Status parsed = claims.Parse(std::string_view(payload.data(), payload.size()),
                                     JsonLimits{options_.max_token_size, kClaimsMaxDepth});
  if (!parsed.ok()) {
    why->reason = Reason::kMalformed;
    why->detail = StrCat("claims: ", parsed.message());
    return false;
  }
  if (!claims.root().is_object()) {
    why->reason = Reason::kMalformed;
    why->detail = "claims are not a JSON object";
    return false;
  }

  const SignatureKey* key = VerifyJwsSignature(jws, *keys_, jws_options_, why);
  if (key == nullptr) return false;
  if (!CheckType(jws.typ(), options_.claims, why)) return false;
  ClaimTimes times;
  if (!ValidateClaims(claims.root(), options_.claims, now, &times, why)) return false;

  if (out == nullptr && !cache_.enabled()) return true;
  auto record = std::make_shared<TokenRecord>();
  record->algorithm = *jws.algorithm();
  record->header = jws.ReleaseHeader();
  record->claims = std::move(claims);
  record->kid = key->kid();
  record->times = times;
  if (cache_.enabled()) cache_.Insert(token, record);
  if (out != nullptr) *out = VerifiedToken(std::move(record));
  return true;
}

}  // namespace authgate
