// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// engine_impl.h: the engine's internals, shared by its three translation
// units: engine.cc (the decision's frame: normalisation, rules, allowing),
// bearer_check.cc (Bearer JWTs, RFC 6750) and browser_login.cc (sessions,
// the login redirect, the callback, sign-out). Not installed.

#ifndef AUTHGATE_SRC_ENGINE_INTERNAL_ENGINE_IMPL_H_
#define AUTHGATE_SRC_ENGINE_INTERNAL_ENGINE_IMPL_H_

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "delivery.h"
#include "engine/decision.h"
#include "engine/engine.h"
#include "engine/engine_config.h"
#include "engine/rate_limiter.h"
#include "engine/request.h"
#include "jwt/jwt_verifier.h"
#include "lifetime.h"
#include "oidc/oidc_client.h"
#include "policy/route_table.h"
#include "policy/token_extractor.h"
#include "session/cookie_jar.h"
#include "session/cookie_keys.h"
#include "session/session.h"
#include "session/session_store.h"
#include "text.h"

namespace authgate {
namespace internal {

constexpr JsonLimits kClaimsLimits{/*max_size=*/1 << 20, /*max_depth=*/32};

// HtmlEscape returns `text` safe in HTML text and in quoted attributes.
std::string HtmlEscape(std::string_view text);

// Respond is an answer with `Cache-Control: no-store`; Page adds an HTML
// body with `title` and `message`.
Decision Respond(int status, Outcome outcome, Reason reason, std::string detail);
Decision Page(int status, Outcome outcome, Reason reason, std::string detail,
              std::string_view title, std::string_view message);

// The identity a request was allowed with.
struct Identity {
  // A verified JWT: its provider and where it was found.
  const JwtProviderConfig* provider = nullptr;
  VerifiedToken token;
  ExtractedToken location;
  // Or a browser session, with its claims parsed.
  std::optional<Session> session;
  std::shared_ptr<JsonDocument> session_claims;

  JsonValue claims() const {
    return provider != nullptr ? token.claims() : session_claims->root();
  }
};

// One request being decided; shared by the steps that complete later.
struct Evaluation {
  Request request;
  std::string path;             // normalised
  std::string upstream_target;  // normalised path and original query
  // What the cookies and `state` are bound to (session/cookie_scope.h);
  // nullopt for a host outside session.cookie_domain.
  std::optional<std::string> cookie_scope;
  CookieJar jar;
  const RouteRule* rule = nullptr;
};

using Finish = std::function<void(Decision)>;

}  // namespace internal

struct Engine::Impl {
  using Evaluation = internal::Evaluation;
  using Finish = internal::Finish;
  using Identity = internal::Identity;

  struct Provider {
    const JwtProviderConfig* config = nullptr;
    std::unique_ptr<JwtVerifier> verifier;
  };

  // One EvaluateAsync() or Evaluate() call, from Start() to its answer
  // (defined in engine.cc).
  struct Call;

  struct Counters {
    std::array<std::atomic<uint64_t>, kOutcomeCount> outcomes{};
    std::array<std::atomic<uint64_t>, kMaxReason + 1> reasons{};
    std::atomic<uint64_t> logins_started{0};
  };

  EngineConfig config;
  // Shared with the steps completing on library threads: each runs inside a
  // use, so the engine lives until it has computed its decision and handed
  // it to the delivery.
  std::shared_ptr<Lifetime> lifetime = std::make_shared<Lifetime>();
  // Where the host's callbacks run (delivery.h); destroyed last.
  std::unique_ptr<Delivery> delivery = std::make_unique<Delivery>();
  // The host's EvaluateAsync() calls waiting for their callback.
  std::mutex calls_mutex;
  absl::flat_hash_set<std::shared_ptr<Call>> pending_calls;
  // Destroyed last (declared first): everything below runs on them.
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Scheduler> scheduler;
  std::shared_ptr<const CookieKeys> keys;
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<OidcClient> oidc;
  std::unique_ptr<RateLimiter> callback_limiter;  // null: no limit
  std::vector<Provider> providers;
  // Removed from every allowed request: the identity headers, method overrides.
  std::vector<std::string> always_removed_headers;
  std::string flow_cookie_prefix;
  const RandomSource* random = &RandomSource::System();
  mutable Counters counters;

  ~Impl() {
    // Steps in progress finish (library code: they compute and post); later
    // ones do nothing. Then every host call still waiting is cancelled.
    lifetime->End();
    CancelPendingCalls();
    // Pending answers of these run now and find the engine gone. The HTTP
    // client's and the scheduler's threads, joined here, never run host
    // code, so this cannot wait on a host's lock.
    oidc.reset();
    providers.clear();
    scheduler.reset();
    http.reset();
    // Detached, not joined: the cancellations run after free returns.
    delivery.reset();
  }

  // Begin starts `call`: true with *out set when decided at once.
  bool Begin(const Request& request, const std::shared_ptr<Call>& call, Decision* out);
  void CancelPendingCalls();
  // Answer hands `decision` to `call`'s caller: inline while Start() runs,
  // else to its callback (on the delivery for the host's calls).
  void Answer(const std::shared_ptr<Call>& call, Decision decision);

  absl::Time Now() const { return scheduler->clock().Now(); }

  const Provider* FindProvider(std::string_view name) const {
    for (const Provider& provider : providers) {
      if (provider.config->name == name) return &provider;
    }
    return nullptr;
  }

  // Runs `step` later only while the engine lives, inside a use of it. Once
  // the engine is gone, nothing: its host calls were cancelled.
  template <typename Step>
  auto Guard(Finish finish, Step step) const {
    return [lifetime = lifetime, finish = std::move(finish), step = std::move(step)](
               auto&&... args) mutable {
      Lifetime::Use use = lifetime->Enter();
      if (!use) return;
      step(finish, std::forward<decltype(args)>(args)...);
    };
  }

  void Count(const Decision& d) const {
    counters.outcomes[static_cast<size_t>(d.outcome)].fetch_add(1, std::memory_order_relaxed);
    uint32_t reason = static_cast<uint32_t>(d.reason);
    if (d.reason != Reason::kNone && reason <= kMaxReason) {
      counters.reasons[reason].fetch_add(1, std::memory_order_relaxed);
    }
  }


  void Start(const Request& request, Finish finish) const;

  std::vector<const TokenLocations*> Locations(const std::vector<std::string>& names) const;

  Decision Challenge(int status, Outcome outcome, Reason reason, std::string detail,
                     std::string_view error) const;

  void CheckJwtAny(const std::shared_ptr<Evaluation>& eval, Finish finish) const;

  void TryProviders(const std::shared_ptr<Evaluation>& eval, ExtractedToken token,
                    std::vector<const Provider*> candidates, size_t index, Rejection first_failure,
                    Finish finish) const;

  // VerifyThen verifies `token` with `provider` and passes the verdict to
  // `on_verdict`: at once when it is final, or after a key refetch.
  template <typename OnVerdict>
  void VerifyThen(const Provider* provider, const std::string& token, Finish finish,
                  OnVerdict on_verdict) const {
    // The common case needs no network and no callback: a plain
    // verification. Only an unknown key, or no keys yet, may change after a
    // refetch.
    VerifiedToken verified;
    Rejection why;
    bool valid = provider->verifier->Verify(token, Now(), &verified, &why);
    if (valid || (why.reason != Reason::kKeyNotFound && why.reason != Reason::kJwksUnavailable)) {
      return on_verdict(std::move(finish), valid, std::move(verified), std::move(why));
    }
    auto later = Guard(finish, on_verdict);
    if (provider->verifier->VerifyAsync(
            token, &valid, &verified, &why,
            [later](absl::Status status, bool ok, VerifiedToken result, Rejection reason) mutable {
              // Cancelled: the verifier went first, which only the engine's
              // own destruction does; `later` then finds the engine gone.
              if (!status.ok()) {
                reason = Rejection{Reason::kJwksUnavailable,
                                   std::string(FromAbsl(status.message()))};
              }
              later(ok, std::move(result), std::move(reason));
            })) {
      on_verdict(std::move(finish), valid, std::move(verified), std::move(why));
    }
  }

  // jwt_all: every listed provider's token, each from its own locations.
  void CheckJwtAll(const std::shared_ptr<Evaluation>& eval, size_t index,
                   std::vector<Identity> identities, Finish finish) const;

  bool WantsRedirect(const Request& request) const;

  void CheckSession(const std::shared_ptr<Evaluation>& eval, Finish finish) const;

  Decision SessionAllowed(const Evaluation& eval, Session session, absl::Time now,
                          bool force_save = false) const;

  Decision Unauthenticated(const Evaluation& eval, Rejection why) const;

  Decision StartLogin(const Evaluation& eval, Rejection why, std::vector<std::string> clear) const;

  // Logins pending in other tabs are kept up to max_pending_logins (this one
  // included); the oldest go first, unreadable ones before all.
  std::vector<std::string> PendingFlowsToDrop(const Evaluation& eval, absl::Time now) const;

  bool IsFlowCookie(std::string_view name) const;

  // IsOwnCookie tells whether `name` is one of authgate's cookies (the
  // session's parts, the login cookies); none without a login.
  bool IsOwnCookie(std::string_view name) const {
    return sessions != nullptr && (sessions->OwnsCookie(name) || IsFlowCookie(name));
  }

  // RandomFailure answers a request whose login or session needed random
  // bytes the generator did not give: 503, and no cookie is set.
  Decision RandomFailure(const absl::Status& status) const;

  Decision CallbackFailure(Reason reason, std::string detail,
                           std::optional<std::string> flow_cookie) const;

  void HandleCallback(const std::shared_ptr<Evaluation>& eval, Finish finish) const;

  Decision CompleteLogin(const Evaluation& eval, const std::string& flow_cookie,
                         const std::string& return_to, LoginResult result) const;

  Decision SignOut(const Evaluation& eval) const;

  // A cross-site sign-out request of a browser with a session signs out only
  // as the POST of the confirmation page, which carries the session's token.
  bool IsConfirmedSignOut(const Evaluation& eval, const Session& session) const;
  Decision SignOutConfirmation(const Session& session) const;

  Decision AllowWithClaims(const Evaluation& eval, std::vector<Identity> identities,
                           std::vector<std::string> set_cookies, bool bearer) const;

  Decision Allow(const Evaluation& eval, const std::vector<Identity>& identities,
                 std::vector<std::string> set_cookies) const;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_ENGINE_INTERNAL_ENGINE_IMPL_H_
