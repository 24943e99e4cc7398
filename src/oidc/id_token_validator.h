// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// id_token_validator.h: the checks an ID token must pass before a login is
// accepted (OIDC Core 3.1.3.7), and those of an ID token from a refresh
// (OIDC Core 12.2).
//
//   absl::StatusOr<std::unique_ptr<IdTokenValidator>> validator =
//       IdTokenValidator::Create(config, http, scheduler);
//   VerifiedToken id_token;
//   Rejection why;
//   if (!(*validator)->Validate(response.id_token, flow.nonce, now, &id_token, &why)) {
//     return Fail(why);   // e.g. nonce_mismatch, audience_mismatch, signature_invalid
//   }
//
// In order: the signature, with a key from the provider's keys (its
// `jwks_uri`, configured or discovered) and an allowed algorithm (never
// `none`; HS* only when configured, and then only with the client secret as
// key, so an HS256 token "signed" with the provider's public key fails);
// `exp` (required), `iat` (required), `iss` equal to the issuer, `aud`
// containing the client id, `sub` a non-empty string; then `azp`, which
// must equal the client id when present and must be present when `aud` has
// several values; and `nonce`, required and equal to the one the login
// started with (compared in constant time). The first failure is reported.
//
// Thread-safe. The asynchronous variants wait for one refetch of the keys
// when the token names a key not known yet (the provider rotated its keys).

#ifndef AUTHGATE_SRC_OIDC_ID_TOKEN_VALIDATOR_H_
#define AUTHGATE_SRC_OIDC_ID_TOKEN_VALIDATOR_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jose/json.h"
#include "jwks/key_source.h"
#include "jwt/jwt_verifier.h"
#include "jwt/verified_token.h"
#include "lifetime.h"
#include "net/http_client.h"
#include "oidc/oidc_config.h"
#include "reason.h"
#include "scheduler.h"

namespace authgate {

class IdTokenValidator {
 public:
  // Create makes the validator. The provider's keys come from `keys` when
  // given (tests, fixed keys), else from a remote key source over `http` and
  // `scheduler` (both must outlive the validator) reading the configured
  // `jwks_uri`, or the one discovered from the issuer.
  static absl::StatusOr<std::unique_ptr<IdTokenValidator>> Create(
      const OidcConfig& config, HttpClient* http, Scheduler* scheduler,
      std::unique_ptr<KeySource> keys = nullptr);

  // Closes the key sources; an asynchronous validation still waiting gets
  // its `done` now, with jwks_unavailable.
  ~IdTokenValidator();
  IdTokenValidator(const IdTokenValidator&) = delete;
  IdTokenValidator& operator=(const IdTokenValidator&) = delete;

  // Validate returns true and fills *out when `id_token` passes every check
  // of the login (see above) at `now`; else false with *why.
  bool Validate(std::string_view id_token, std::string_view expected_nonce, absl::Time now,
                VerifiedToken* out, Rejection* why) const;

  // ValidateRefreshed checks an ID token returned by a refresh against the
  // claims of the session's previous one (OIDC Core 12.2): the checks above
  // except that `nonce` is not required (when present, it must equal the
  // previous one); `iss`, `sub` and `aud` must equal the previous ones and
  // so must `auth_time` when both have it. A difference is refresh_failed;
  // the other checks report their own reasons.
  bool ValidateRefreshed(std::string_view id_token, JsonValue previous_claims, absl::Time now,
                         VerifiedToken* out, Rejection* why) const;

  // Done receives a verdict reached after a key refetch.
  using Done = std::function<void(bool valid, VerifiedToken token, Rejection why)>;

  // ValidateAsync validates like Validate(). When the verdict is final at
  // once it returns true with *valid, *out and *why filled, and `done` is
  // never called. When the token names a key the provider may have just
  // published, it returns false and `done` runs once, on a library thread,
  // after one refetch of the keys (validated again at `now`).
  bool ValidateAsync(std::string id_token, std::string expected_nonce, absl::Time now, bool* valid,
                     VerifiedToken* out, Rejection* why, Done done) const;
  // ValidateRefreshedAsync is ValidateRefreshed() in the same manner.
  bool ValidateRefreshedAsync(std::string id_token,
                              std::shared_ptr<const JsonDocument> previous_claims, absl::Time now,
                              bool* valid, VerifiedToken* out, Rejection* why, Done done) const;

  // WaitReady blocks until the provider's keys are loaded or `timeout` passes.
  bool WaitReady(absl::Duration timeout) const;

 private:
  using Attempt = std::function<bool(VerifiedToken*, Rejection*)>;

  IdTokenValidator(std::string client_id, std::unique_ptr<JwtVerifier> asymmetric,
                   std::unique_ptr<JwtVerifier> hmac);

  // The signature and the claims every ID token must have.
  bool VerifyCommon(std::string_view id_token, absl::Time now, VerifiedToken* out,
                    Rejection* why) const;
  bool RunAsync(const Attempt& attempt, bool* valid, VerifiedToken* out, Rejection* why,
                Done done) const;

  std::string client_id_;
  // Shared with pending asynchronous answers, which may outlive the validator.
  std::shared_ptr<Lifetime> lifetime_ = std::make_shared<Lifetime>();
  // Either may be null, not both: tokens signed with an HMAC algorithm go to
  // `hmac_` (the client secret as key), all others to `asymmetric_`.
  std::unique_ptr<JwtVerifier> asymmetric_;
  std::unique_ptr<JwtVerifier> hmac_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_ID_TOKEN_VALIDATOR_H_
