// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// jwt_verifier.h: the whole verification of a compact JWT against a key set
// and claim rules; the engine of authgate_verifier.
//
//   JwtVerifierOptions options;
//   options.claims.issuers = {"https://idp.example"};
//   auto verifier = JwtVerifier::Create(keys, options);
//   VerifiedToken token;
//   Rejection why;
//   if (!(*verifier)->Verify(text, absl::Now(), &token, &why)) Log(ReasonName(why.reason));
//
// Checks run in this order and the first failure is the one reported: size
// (token_too_large, before any decoding), syntax (malformed,
// unsupported_token_type, unsupported_header: segments, base64url, header
// and claims JSON), algorithm (unsupported_alg, alg_not_allowed), key
// (key_not_found), signature (signature_invalid), then the header `typ` and
// the claims. No claim is judged before the signature has verified.
//
// Thread-safe: Verify() may run on any number of threads at once. It takes no
// lock (except the cache's shard lock when the cache is on) and, for a
// typical token and a null `out`, allocates nothing.

#ifndef AUTHGATE_SRC_JWT_JWT_VERIFIER_H_
#define AUTHGATE_SRC_JWT_JWT_VERIFIER_H_

#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jose/algorithm.h"
#include "jose/key_set.h"
#include "jwt/claims_validator.h"
#include "jose/jws_verifier.h"
#include "jwt/token_cache.h"
#include "jwt/verified_token.h"
#include "reason.h"

namespace authgate {

struct JwtVerifierOptions {
  ClaimRules claims;
  // Accepted algorithms; the default accepts whatever the keys allow.
  AlgorithmSet algorithms = AlgorithmSet::All();
  size_t max_token_size = 16 << 10;
  size_t max_key_candidates = 4;
  TokenCache::Options cache;
};

class JwtVerifier {
 public:
  // Create fails when `options.algorithms` and the keys have no algorithm in
  // common, since no token could ever verify.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(std::shared_ptr<const KeySet> keys,
                                                             JwtVerifierOptions options);

  // Verify returns true when `token` is valid at `now`; then, if `out` is not
  // null, *out holds the token's header and claims. Otherwise returns false
  // with *why set.
  bool Verify(std::string_view token, absl::Time now, VerifiedToken* out, Rejection* why) const;

  const KeySet& keys() const { return *keys_; }
  const JwtVerifierOptions& options() const { return options_; }
  const TokenCache& cache() const { return cache_; }

 private:
  JwtVerifier(std::shared_ptr<const KeySet> keys, JwtVerifierOptions options);

  std::shared_ptr<const KeySet> keys_;
  JwtVerifierOptions options_;
  JwsVerifyOptions jws_options_;
  mutable TokenCache cache_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWT_JWT_VERIFIER_H_
