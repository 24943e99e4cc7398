// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// jwk.h: JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037) and PEM
// public keys, turned into ready SignatureKeys.
//
//   absl::StatusOr<std::unique_ptr<SignatureKey>> key = ParseJwk(doc.root());
//
// RSA and EC keys are built from the JWK numbers (building from n/e takes
// about 7 us; parsing the same key from PEM 360-600 us). Every JWK member
// that is present is type-checked. `use` must be "sig" and `key_ops` must
// include "verify" when present; `alg` must name a JWS algorithm that fits
// the key. EC coordinates must have exactly the curve's size and the point
// must lie on the curve. With `x5c`, the leaf certificate's key is used and,
// when the JWK also carries the key numbers, both must be the same key.
// Private members (`d`, `p`, ...) are ignored: only the public part is used.

#ifndef AUTHGATE_SRC_JOSE_JWK_H_
#define AUTHGATE_SRC_JOSE_JWK_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "jose/json.h"
#include "jose/signature_key.h"

namespace authgate {

// ParseJwk turns one JWK object into a key, or says why it is unusable.
absl::StatusOr<std::unique_ptr<SignatureKey>> ParseJwk(JsonValue jwk);

// ParsePemKeys turns every PEM block of `pem` ("PUBLIC KEY" or
// "CERTIFICATE") into a key; each entry is a key or why that block is
// unusable. An error status means the text holds no PEM block at all.
absl::StatusOr<std::vector<absl::StatusOr<std::unique_ptr<SignatureKey>>>> ParsePemKeys(
    std::string_view pem);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_JWK_H_
