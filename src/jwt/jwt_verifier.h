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
// Keys come from one or more providers (key sources). With one provider
// without an issuer, every token is checked against its keys. Otherwise
// each provider is bound to an issuer and a token is checked only against
// the keys of the provider whose issuer equals its `iss` (read from the
// claims before the signature check, since it selects the keys; a token
// whose `iss` matches no provider is key_not_found).
//
// Thread-safe: Verify() may run on any number of threads at once. It takes no
// lock (except the cache's shard lock when the cache is on), never waits on
// the network and, for a typical token and a null `out`, allocates nothing.
// A token whose kid is unknown asks its provider for one background refetch
// (rate-limited); VerifyAsync() waits for that refetch, within a bound.
//
// A verifier that owns its HTTP client and scheduler (a host's verifier,
// authgate_verifier) runs VerifyAsync()'s callbacks on a Delivery of its
// own (delivery.h): never on a thread its destruction joins, never under a
// lock, never inside its destructor. One on an engine's shared scheduler
// runs them on the library thread that completed the refetch: the engine
// delivers to the host itself.

#ifndef AUTHGATE_SRC_JWT_JWT_VERIFIER_H_
#define AUTHGATE_SRC_JWT_JWT_VERIFIER_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jose/algorithm.h"
#include "clock.h"
#include "delivery.h"
#include "lifetime.h"
#include "jose/json.h"
#include "jose/key_set.h"
#include "jwks/key_source.h"
#include "net/http_client.h"
#include "scheduler.h"
#include "jwt/claims_validator.h"
#include "jose/jws_verifier.h"
#include "jwt/token_cache.h"
#include "jwt/verified_token.h"
#include "reason.h"

namespace authgate {

// KeyProvider is one source of keys, optionally bound to one issuer.
struct KeyProvider {
  std::optional<std::string> issuer;
  std::unique_ptr<KeySource> keys;
};

// PeekIssuer returns the `iss` of a compact JWS before any verification,
// with its claims parsed within `limits` exactly as Verify() parses them;
// nullopt when the token does not parse or has no string `iss`. Only to
// choose which keys to try, never to be trusted.
std::optional<std::string> PeekIssuer(std::string_view token, JsonLimits limits);

struct JwtVerifierOptions {
  ClaimRules claims;
  // Accepted algorithms; the default accepts whatever the keys allow.
  AlgorithmSet algorithms = AlgorithmSet::All();
  size_t max_token_size = 16 << 10;
  size_t max_key_candidates = 4;
  TokenCache::Options cache;
  // How long VerifyAsync() waits for a key refetch before answering with
  // what it has.
  absl::Duration async_timeout = absl::Seconds(5);
};

class JwtVerifier {
 public:
  // Create makes a verifier with fixed keys. It fails when
  // `options.algorithms` and the keys have no algorithm in common, since no
  // token could ever verify.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(std::shared_ptr<const KeySet> keys,
                                                             JwtVerifierOptions options);

  // Create makes a verifier over `providers`. `http` and `scheduler` (owned
  // by the verifier; null when every provider is fixed) must be the ones the
  // providers' key sources were made with.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      std::vector<KeyProvider> providers, JwtVerifierOptions options,
      std::unique_ptr<HttpClient> http, std::unique_ptr<Scheduler> scheduler);

  // Create makes a verifier over `providers` whose key sources run on
  // `shared_scheduler` and an HTTP client owned by the caller (several
  // verifiers of one engine share them); both must outlive the verifier. A
  // VerifyAsync() still waiting when the verifier is destroyed is cancelled
  // during the destruction (see VerifyAsync).
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(std::vector<KeyProvider> providers,
                                                             JwtVerifierOptions options,
                                                             Scheduler* shared_scheduler);

  // Verify returns true when `token` is valid at `now`; then, if `out` is not
  // null, *out holds the token's header and claims. Otherwise returns false
  // with *why set.
  bool Verify(std::string_view token, absl::Time now, VerifiedToken* out, Rejection* why) const;

  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // AsyncDone receives the outcome of VerifyAsync(): `status` OK with
  // `valid` and either the token or the rejection; or Cancelled (and
  // `valid` false) when the verifier was destroyed first.
  using AsyncDone =
      std::function<void(absl::Status status, bool valid, VerifiedToken token, Rejection why)>;

  // VerifyAsync verifies like Verify() at the scheduler's current time. When
  // the outcome is final at once it returns true and fills *valid, *out and
  // *why; `done` is not called. When the token names a key its provider may
  // still fetch (unknown kid, or no keys yet), it returns false and `done`
  // runs once on a library thread after the refetch, or after
  // options.async_timeout at the latest, with the verdict at that time. If
  // the verifier is destroyed first, `done` gets Cancelled: from the
  // delivery's thread after the destructor returned when the verifier has a
  // delivery, else during the destruction.
  bool VerifyAsync(std::string_view token, bool* valid, VerifiedToken* out, Rejection* why,
                   AsyncDone done) const;

  // WaitReady blocks until every provider has keys or `timeout` passes.
  bool WaitReady(absl::Duration timeout) const;
  // Refresh asks every provider to refetch now.
  void Refresh() const;

  const std::vector<KeyProvider>& providers() const { return providers_; }
  const JwtVerifierOptions& options() const { return options_; }
  const TokenCache& cache() const { return cache_; }
  const Clock& clock() const;

 private:
  JwtVerifier(std::vector<KeyProvider> providers, JwtVerifierOptions options,
              std::unique_ptr<HttpClient> http, std::unique_ptr<Scheduler> scheduler,
              Scheduler* scheduler_in_use);
  // The checks common to both Create()s.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Finish(std::unique_ptr<JwtVerifier> verifier);

  // The provider for a token with claims `claims`, or null (with *why).
  const KeyProvider* SelectProvider(JsonValue claims, Rejection* why) const;
  // Runs the checks; *retry_with is set to the provider whose keys may
  // change the verdict after a refetch.
  bool VerifyNow(std::string_view token, absl::Time now, VerifiedToken* out, Rejection* why,
                 const KeyProvider** retry_with) const;

  // The VerifyAsync() calls not answered yet, shared with their answers,
  // which may outlive the verifier (defined in the .cc).
  struct Pending;
  struct AsyncCalls;

  // Deliver runs `done` on the delivery, if any, else on this thread.
  void Deliver(AsyncDone done, absl::Status status, bool valid, VerifiedToken token,
               Rejection why) const;

  JwtVerifierOptions options_;
  JwsVerifyOptions jws_options_;
  mutable TokenCache cache_;
  std::shared_ptr<AsyncCalls> async_;
  // Host callbacks of a verifier that owns its threads; null otherwise.
  // Destroyed last, in the destructor's body.
  std::unique_ptr<Delivery> delivery_;
  // Declared before the providers: destroyed after them (the key sources
  // hold pointers to both).
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<HttpClient> http_;
  // scheduler_, or the caller's shared scheduler; null when there is none.
  Scheduler* scheduler_in_use_ = nullptr;
  std::vector<KeyProvider> providers_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWT_JWT_VERIFIER_H_
