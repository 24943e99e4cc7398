// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// pkce.h: the random values of the login flow (state, nonce, PKCE code
// verifier) and the PKCE S256 code challenge (RFC 7636).
//
//   absl::StatusOr<std::string> verifier = RandomUrlSafe(32);   // 43 characters
//   std::string challenge = PkceChallengeS256(*verifier);
//   // authorization request: code_challenge=<challenge>&code_challenge_method=S256
//   // token request:         code_verifier=<verifier>

#ifndef AUTHGATE_SRC_OIDC_PKCE_H_
#define AUTHGATE_SRC_OIDC_PKCE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "random.h"

namespace authgate {

// RandomUrlSafe returns `bytes` bytes from `random`, base64url encoded
// without padding. 32 bytes give a 43-character PKCE verifier (RFC 7636 4.1
// asks for 256 bits of entropy). Fails (Unavailable) when the generator
// fails: guessable state, nonce or verifier values would silently void the
// flow's protections.
absl::StatusOr<std::string> RandomUrlSafe(size_t bytes,
                                          const RandomSource& random = RandomSource::System());

// PkceChallengeS256 returns BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 4.2).
std::string PkceChallengeS256(std::string_view verifier);

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_PKCE_H_
