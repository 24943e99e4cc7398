// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// jws_verifier.h: the algorithm, key and signature checks of a parsed JWS
// against a key set, in that order, reporting the first that fails.
//
//   Rejection why;
//   const SignatureKey* key = VerifyJwsSignature(jws, *keys, options, &why);
//   if (key == nullptr) return why;  // unsupported_alg, alg_not_allowed,
//                                    // key_not_found or signature_invalid
//
// The token's `alg` picks the key type: a key is only ever used with an
// algorithm of its own family (no RSA or EC key as an HMAC secret, no
// algorithm confusion), and only with its JWK `alg` when it has one.

#ifndef AUTHGATE_SRC_JOSE_JWS_VERIFIER_H_
#define AUTHGATE_SRC_JOSE_JWS_VERIFIER_H_

#include <cstddef>

#include "jose/algorithm.h"
#include "jose/jws.h"
#include "jose/key_set.h"
#include "reason.h"

namespace authgate {

struct JwsVerifyOptions {
  // Algorithms the caller accepts; further narrowed by what the keys allow.
  AlgorithmSet allowed = AlgorithmSet::All();
  // How many candidate keys are tried for one token (bounds the work an
  // attacker can cause with a token that has no `kid`).
  size_t max_key_candidates = 4;
};

// VerifyJwsSignature returns the key that verified `jws`, or nullptr with
// *why set. The returned key is owned by `keys`.
const SignatureKey* VerifyJwsSignature(const ParsedJws& jws, const KeySet& keys,
                                       const JwsVerifyOptions& options, Rejection* why);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_JWS_VERIFIER_H_
