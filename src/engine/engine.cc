// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/engine.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "engine/engine_config.h"
#include "jose/base64url.h"
#include "jose/jws.h"
#include "jwt/jwt_verifier.h"
#include "net/query_string.h"
#include "oidc/authorization_request.h"
#include "oidc/oidc_client.h"
#include "oidc/redirect_target.h"
#include "policy/claim_condition.h"
#include "policy/path_normalizer.h"
#include "policy/route_table.h"
#include "policy/token_extractor.h"
#include "session/cookie_jar.h"
#include "session/cookie_keys.h"
#include "session/sealed_value.h"
#include "session/session.h"
#include "session/session_store.h"
#include "session/set_cookie.h"
#include "session/signed_value.h"
#include "text.h"

namespace authgate {
namespace {

constexpr JsonLimits kClaimsLimits{/*max_size=*/1 << 20, /*max_depth=*/32};
constexpr std::string_view kStateCookieBinding = "authgate-state";

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string HtmlPage(std::string_view title, std::string_view message) {
  return StrCat("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>", HtmlEscape(title),
                "</title></head>\n<body><h1>", HtmlEscape(title), "</h1>\n<p>",
                HtmlEscape(message), "</p></body></html>\n");
}

// A header value must not smuggle a line break or NUL into the upstream
// request; claims with one are not copied.
bool IsSafeHeaderValue(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// The value of the claim at `path` as header text: strings as they are,
// numbers and booleans as written; nullopt for absent or other types.
std::optional<std::string> ClaimText(JsonValue claims, const std::vector<std::string>& path) {
  JsonValue value = claims;
  for (const std::string& segment : path) value = value.Find(segment);
  if (value.is_string()) return std::string(value.string());
  if (value.is_number() || value.is_bool()) return std::string(value.raw_text());
  return std::nullopt;
}

// The `iss` of a token before verification: only to choose which
// providers' keys to try, never trusted.
std::optional<std::string> PeekIssuer(std::string_view token) {
  ParsedJws jws;
  Rejection ignored;
  if (!ParsedJws::Parse(token, &jws, &ignored)) return std::nullopt;
  std::string text;
  if (!jws.DecodePayload(&text, &ignored)) return std::nullopt;
  JsonDocument payload;
  if (!payload.Parse(text, kClaimsLimits).ok()) return std::nullopt;
  JsonValue iss = payload.root().Find("iss");
  if (!iss.is_string()) return std::nullopt;
  return std::string(iss.string());
}

Decision Respond(int status, Outcome outcome, Reason reason, std::string detail) {
  Decision d;
  d.action = Decision::Action::kRespond;
  d.status = status;
  d.outcome = outcome;
  d.reason = reason;
  d.detail = std::move(detail);
  d.response_headers.emplace_back("cache-control", "no-store");
  return d;
}

Decision Page(int status, Outcome outcome, Reason reason, std::string detail,
              std::string_view title, std::string_view message) {
  Decision d = Respond(status, outcome, reason, std::move(detail));
  d.response_headers.emplace_back("content-type", "text/html; charset=utf-8");
  d.body = HtmlPage(title, message);
  return d;
}

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
  std::string host;             // the authority, lowercase: what cookies are bound to
  CookieJar jar;
  const RouteRule* rule = nullptr;
};

using Finish = std::function<void(Decision)>;

}  // namespace

struct Engine::Impl {
  struct Provider {
    const JwtProviderConfig* config = nullptr;
    std::unique_ptr<JwtVerifier> verifier;
  };

  // Shared with answers completing on library threads, which check that the
  // engine still exists before touching it.
  struct Lifetime {
    std::recursive_mutex mutex;
    bool alive = true;
  };

  struct Counters {
    std::array<std::atomic<uint64_t>, kOutcomeCount> outcomes{};
    std::array<std::atomic<uint64_t>, kMaxReason + 1> reasons{};
    std::atomic<uint64_t> logins_started{0};
  };

  EngineConfig config;
  std::shared_ptr<Lifetime> lifetime = std::make_shared<Lifetime>();
  // Destroyed last (declared first): everything below runs on them.
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Scheduler> scheduler;
  std::shared_ptr<const CookieKeys> keys;
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<OidcClient> oidc;
  std::vector<Provider> providers;
  std::vector<std::string> identity_headers;  // stripped from every request
  std::string flow_cookie_prefix;
  mutable Counters counters;

  ~Impl() {
    {
      std::lock_guard<std::recursive_mutex> lock(lifetime->mutex);
      lifetime->alive = false;
    }
    // Pending answers run now, see the engine gone, and answer 503.
    oidc.reset();
    providers.clear();
    scheduler.reset();
    http.reset();
  }

  absl::Time Now() const { return scheduler->clock().Now(); }

  const Provider* FindProvider(std::string_view name) const {
    for (const Provider& provider : providers) {
      if (provider.config->name == name) return &provider;
    }
    return nullptr;
  }

  // Runs `step` later only while the engine lives; otherwise answers 503.
  template <typename Step>
  auto Guard(Finish finish, Step step) const {
    return [lifetime = lifetime, finish = std::move(finish), step = std::move(step)](
               auto&&... args) mutable {
      std::unique_lock<std::recursive_mutex> lock(lifetime->mutex);
      if (!lifetime->alive) {
        lock.unlock();
        finish(Respond(503, Outcome::kUnavailable, Reason::kProviderUnavailable,
                       "the engine is shutting down"));
        return;
      }
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

  // ---- the decision ----

  void Start(const Request& request, Finish finish) const {
    auto eval = std::make_shared<Evaluation>();
    eval->request = request;
    absl::StatusOr<std::string> path = NormalizePath(request.Path());
    if (!path.ok()) {
      return finish(Page(400, Outcome::kBadRequest, Reason::kInvalidPath,
                         std::string(FromAbsl(path.status().message())), "Bad request",
                         "The request path is not acceptable."));
    }
    eval->path = std::move(*path);
    std::string_view query = request.Query();
    eval->upstream_target = query.empty() && request.target.find('?') == std::string::npos
                                ? eval->path
                                : StrCat(eval->path, "?", query);
    eval->host = Lowercase(request.authority);
    eval->jar = CookieJar::FromRequest(request);

    if (config.login) {
      if (eval->path == config.login->callback_path) return HandleCallback(eval, std::move(finish));
      if (eval->path == config.login->signout_path) return finish(SignOut(*eval));
    }
    eval->rule =
        config.rules.Match(request.method, request.authority, PathForMatching(eval->path));
    if (eval->rule == nullptr) {
      return finish(Page(403, Outcome::kForbidden, Reason::kNoMatchingRule,
                         "no rule matches the request", "Forbidden",
                         "You do not have access to this page."));
    }
    const Requirement& requirement = eval->rule->requirement;
    switch (requirement.kind) {
      case RequirementKind::kNone:
        return finish(Allow(*eval, {}, {}));
      case RequirementKind::kLogin:
        return CheckSession(eval, std::move(finish));
      case RequirementKind::kJwtAny:
        return CheckJwtAny(eval, std::move(finish));
      case RequirementKind::kJwtAll:
        return CheckJwtAll(eval, 0, {}, std::move(finish));
      case RequirementKind::kLoginOrJwt:
        if (!ExtractTokens(eval->request, Locations(requirement.providers)).empty()) {
          return CheckJwtAny(eval, std::move(finish));
        }
        return CheckSession(eval, std::move(finish));
    }
    finish(Respond(500, Outcome::kForbidden, Reason::kNoMatchingRule, "unknown requirement"));
  }

  std::vector<const TokenLocations*> Locations(const std::vector<std::string>& names) const {
    std::vector<const TokenLocations*> out;
    for (const std::string& name : names) {
      const Provider* provider = FindProvider(name);
      if (provider != nullptr) out.push_back(&provider->config->locations);
    }
    return out;
  }

  // ---- Bearer JWTs (RFC 6750) ----

  Decision Challenge(int status, Outcome outcome, Reason reason, std::string detail,
                     std::string_view error) const {
    Decision d = Respond(status, outcome, reason, std::move(detail));
    std::string challenge = StrCat("Bearer realm=\"", config.bearer_realm, "\"");
    if (!error.empty()) {
      challenge += StrCat(", error=\"", error, "\"");
      if (reason != Reason::kNone && error != "insufficient_scope") {
        challenge += StrCat(", error_description=\"", ReasonName(reason), "\"");
      }
    }
    d.response_headers.emplace_back("www-authenticate", std::move(challenge));
    d.response_headers.emplace_back("content-type", "text/plain; charset=utf-8");
    std::string_view title = status == 401   ? "Unauthorized: "
                             : status == 403 ? "Forbidden: "
                                             : "Bad request: ";
    d.body = StrCat(title, ReasonName(reason), "\n");
    return d;
  }

  void CheckJwtAny(const std::shared_ptr<Evaluation>& eval, Finish finish) const {
    const Requirement& requirement = eval->rule->requirement;
    std::vector<ExtractedToken> tokens =
        ExtractTokens(eval->request, Locations(requirement.providers));
    if (tokens.empty()) {
      if (requirement.allow_missing || requirement.allow_missing_or_failed) {
        return finish(AllowWithClaims(*eval, {}, {}, /*bearer=*/true));
      }
      return finish(Challenge(401, Outcome::kUnauthorized, Reason::kTokenMissing,
                              "no bearer token", ""));
    }
    if (tokens.size() > 1) {
      return finish(Challenge(400, Outcome::kBadRequest, Reason::kMultipleTokens,
                              StrCat(tokens.size(), " tokens in one request"), "invalid_request"));
    }
    // Providers are tried in the rule's order, those whose issuer is the
    // token's `iss` only; with none of them, the first one reports why. With
    // one provider there is nothing to choose (and the peek would cost as
    // much as a cached verification).
    std::vector<const Provider*> candidates;
    if (requirement.providers.size() > 1) {
      std::optional<std::string> issuer = PeekIssuer(tokens[0].value);
      for (const std::string& name : requirement.providers) {
        const Provider* provider = FindProvider(name);
        if (provider != nullptr && issuer && provider->config->issuer == *issuer) {
          candidates.push_back(provider);
        }
      }
    }
    if (candidates.empty()) candidates.push_back(FindProvider(requirement.providers.front()));
    TryProviders(eval, std::move(tokens[0]), std::move(candidates), 0, Rejection{},
                 std::move(finish));
  }

  void TryProviders(const std::shared_ptr<Evaluation>& eval, ExtractedToken token,
                    std::vector<const Provider*> candidates, size_t index, Rejection first_failure,
                    Finish finish) const {
    const Provider* provider = candidates[index];
    auto on_verdict = [this, eval, token, candidates, index, first_failure](
                          Finish answer, bool ok, VerifiedToken result, Rejection failure) mutable {
      if (ok) {
        Identity identity;
        identity.provider = candidates[index]->config;
        identity.token = std::move(result);
        identity.location = std::move(token);
        return answer(AllowWithClaims(*eval, {std::move(identity)}, {}, /*bearer=*/true));
      }
      if (index == 0) first_failure = std::move(failure);
      if (index + 1 < candidates.size()) {
        return TryProviders(eval, std::move(token), std::move(candidates), index + 1,
                            std::move(first_failure), std::move(answer));
      }
      if (eval->rule->requirement.allow_missing_or_failed) {
        return answer(AllowWithClaims(*eval, {}, {}, /*bearer=*/true));
      }
      answer(Challenge(401, Outcome::kUnauthorized, first_failure.reason,
                       std::move(first_failure.detail), "invalid_token"));
    };
    VerifyThen(provider, token.value, std::move(finish), std::move(on_verdict));
  }

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
            [later](bool ok, VerifiedToken result, Rejection reason) mutable {
              later(ok, std::move(result), std::move(reason));
            })) {
      on_verdict(std::move(finish), valid, std::move(verified), std::move(why));
    }
  }

  // jwt_all: every listed provider's token, each from its own locations.
  void CheckJwtAll(const std::shared_ptr<Evaluation>& eval, size_t index,
                   std::vector<Identity> identities, Finish finish) const {
    const std::vector<std::string>& names = eval->rule->requirement.providers;
    if (index == names.size()) {
      return finish(AllowWithClaims(*eval, std::move(identities), {}, /*bearer=*/true));
    }
    const Provider* provider = FindProvider(names[index]);
    std::vector<ExtractedToken> tokens =
        ExtractTokens(eval->request, {&provider->config->locations});
    if (tokens.empty()) {
      return finish(Challenge(401, Outcome::kUnauthorized, Reason::kTokenMissing,
                              StrCat("no token for provider ", names[index]), ""));
    }
    if (tokens.size() > 1) {
      return finish(Challenge(400, Outcome::kBadRequest, Reason::kMultipleTokens,
                              StrCat(tokens.size(), " tokens for provider ", names[index]),
                              "invalid_request"));
    }
    auto on_verdict = [this, eval, index, identities, provider, token = tokens[0]](
                          Finish answer, bool ok, VerifiedToken result,
                          Rejection failure) mutable {
      if (!ok) {
        return answer(Challenge(401, Outcome::kUnauthorized, failure.reason,
                                std::move(failure.detail), "invalid_token"));
      }
      Identity identity;
      identity.provider = provider->config;
      identity.token = std::move(result);
      identity.location = std::move(token);
      identities.push_back(std::move(identity));
      CheckJwtAll(eval, index + 1, std::move(identities), std::move(answer));
    };
    VerifyThen(provider, tokens[0].value, std::move(finish), std::move(on_verdict));
  }

  // ---- browser sessions ----

  bool WantsRedirect(const Request& request) const {
    const LoginConfig& login = *config.login;
    for (const HeaderMatcher& matcher : login.deny_redirect_matchers) {
      if (matcher.Matches(request)) return false;
    }
    if (!login.redirect_only_html) return true;
    for (const auto& [name, value] : request.headers) {
      if (EqualsIgnoreCase(name, "accept") && value.find("text/html") != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  void CheckSession(const std::shared_ptr<Evaluation>& eval, Finish finish) const {
    absl::Time now = Now();
    Session session;
    Rejection why;
    if (!sessions->Load(eval->jar, eval->host, now, &session, &why)) {
      return finish(Unauthenticated(*eval, std::move(why)));
    }
    if (session.access_token_expires_at - config.login->refresh_margin > now) {
      return finish(SessionAllowed(*eval, std::move(session), now));
    }
    if (session.refresh_token.empty()) {
      return finish(Unauthenticated(
          *eval, Rejection{Reason::kSessionExpired,
                           "the access token expired and the session has no refresh token"}));
    }
    std::string id = session.id, refresh_token = session.refresh_token,
                claims = session.claims_json;
    auto on_refreshed = [this, eval, session = std::move(session)](
                            Finish answer, bool ok, LoginResult result, Rejection failure) mutable {
      if (!ok) return answer(Unauthenticated(*eval, std::move(failure)));
      session.access_token = std::move(result.tokens.access_token);
      if (!result.tokens.refresh_token.empty()) {
        session.refresh_token = std::move(result.tokens.refresh_token);
      }
      if (!result.tokens.id_token.empty()) session.id_token = std::move(result.tokens.id_token);
      if (result.id_token.has_value()) {
        session.claims_json = std::string(result.id_token.claims_json());
      }
      session.access_token_expires_at = result.access_token_expires_at;
      answer(SessionAllowed(*eval, std::move(session), Now(), /*force_save=*/true));
    };
    auto later = Guard(finish, on_refreshed);
    oidc->Refresh(std::move(id), std::move(refresh_token), std::move(claims), now,
                  [later](bool ok, LoginResult result, Rejection failure) mutable {
                    later(ok, std::move(result), std::move(failure));
                  });
  }

  Decision SessionAllowed(const Evaluation& eval, Session session, absl::Time now,
                          bool force_save = false) const {
    auto claims = std::make_shared<JsonDocument>();
    if (!claims->Parse(session.claims_json.empty() ? "{}" : session.claims_json, kClaimsLimits)
             .ok()) {
      return Unauthenticated(eval, Rejection{Reason::kSessionInvalid, "unreadable session claims"});
    }
    // The idle timeout slides: renew the cookie when a quarter of it has
    // passed (at most once a minute), not on every request.
    absl::Duration idle = config.session.idle_timeout;
    bool touch = idle > absl::ZeroDuration() &&
                 now - session.last_seen >= std::min(idle / 4, absl::Minutes(1));
    std::vector<std::string> set_cookies;
    if (force_save || touch) {
      session.last_seen = now;
      absl::StatusOr<std::vector<std::string>> saved =
          sessions->Save(session, eval.host, now, eval.jar);
      if (!saved.ok()) {
        return Unauthenticated(
            eval, Rejection{Reason::kSessionInvalid,
                            StrCat("cannot store the session: ", saved.status().message())});
      }
      set_cookies = std::move(*saved);
    }
    Identity identity;
    identity.session = std::move(session);
    identity.session_claims = std::move(claims);
    return AllowWithClaims(eval, {std::move(identity)}, std::move(set_cookies), /*bearer=*/false);
  }

  Decision Unauthenticated(const Evaluation& eval, Rejection why) const {
    std::vector<std::string> clear;
    if (why.reason != Reason::kLoginRequired) clear = sessions->Clear(eval.jar);
    bool bearer_too = eval.rule != nullptr &&
                      eval.rule->requirement.kind == RequirementKind::kLoginOrJwt;
    if (!WantsRedirect(eval.request)) {
      Decision d = bearer_too ? Challenge(401, Outcome::kUnauthorized, why.reason,
                                          std::move(why.detail), "")
                              : Page(401, Outcome::kUnauthorized, why.reason,
                                     std::move(why.detail), "Login required",
                                     "Sign in to continue.");
      for (std::string& cookie : clear) d.response_headers.emplace_back("set-cookie", cookie);
      return d;
    }
    return StartLogin(eval, std::move(why), std::move(clear));
  }

  Decision StartLogin(const Evaluation& eval, Rejection why, std::vector<std::string> clear) const {
    absl::Time now = Now();
    FlowState flow = oidc->NewFlow(eval.upstream_target, now);
    absl::Time expiry = now + config.session.login_timeout;
    std::string state = SignValue(*keys, CookieBinding{kStateCookieBinding, eval.host}, expiry,
                                  flow.state_id);
    absl::StatusOr<std::string> url = oidc->AuthorizationUrl(flow, state);
    if (!url.ok()) {
      Decision d = Page(503, Outcome::kUnavailable, Reason::kProviderUnavailable,
                        std::string(FromAbsl(url.status().message())), "Service unavailable",
                        "The identity provider cannot be reached. Try again in a moment.");
      d.response_headers.emplace_back("retry-after", "5");
      return d;
    }
    counters.logins_started.fetch_add(1, std::memory_order_relaxed);
    Decision d = Respond(302, Outcome::kLoginRedirect, why.reason, std::move(why.detail));
    d.response_headers.emplace_back("location", std::move(*url));
    for (std::string& cookie : clear) d.response_headers.emplace_back("set-cookie", cookie);
    for (std::string& cookie : PendingFlowsToDrop(eval, now)) {
      d.response_headers.emplace_back("set-cookie", std::move(cookie));
    }
    std::string name = StrCat(flow_cookie_prefix, flow.state_id);
    std::string sealed =
        SealValue(*keys, CookieBinding{name, eval.host}, expiry, SerializeFlowState(flow));
    d.response_headers.emplace_back(
        "set-cookie",
        FormatSetCookie(name, sealed, config.session.attributes, config.session.login_timeout));
    return d;
  }

  // Logins pending in other tabs are kept up to max_pending_logins (this one
  // included); the oldest go first, unreadable ones before all.
  std::vector<std::string> PendingFlowsToDrop(const Evaluation& eval, absl::Time now) const {
    std::vector<std::pair<absl::Time, std::string>> flows;
    for (const auto& [name, value] : eval.jar.cookies()) {
      if (!IsFlowCookie(name)) continue;
      std::string plaintext;
      Rejection ignored;
      absl::Time created = absl::InfinitePast();
      if (OpenSealedValue(*keys, CookieBinding{name, eval.host}, now, value, &plaintext,
                          &ignored)) {
        absl::StatusOr<FlowState> flow = ParseFlowState(plaintext);
        if (flow.ok()) created = flow->created;
      }
      flows.emplace_back(created, name);
    }
    std::vector<std::string> drop;
    size_t keep = static_cast<size_t>(config.session.max_pending_logins) - 1;
    if (flows.size() <= keep) return drop;
    std::sort(flows.begin(), flows.end());
    for (size_t i = 0; i < flows.size() - keep; ++i) {
      drop.push_back(FormatDeleteCookie(flows[i].second, config.session.attributes));
    }
    return drop;
  }

  bool IsFlowCookie(std::string_view name) const {
    return name.size() > flow_cookie_prefix.size() &&
           name.substr(0, flow_cookie_prefix.size()) == flow_cookie_prefix;
  }

  // ---- the callback ----

  Decision CallbackFailure(Reason reason, std::string detail,
                           std::optional<std::string> flow_cookie) const {
    Decision d = Page(400, Outcome::kBadRequest, reason, std::move(detail), "Login failed",
                      StrCat("The sign-in could not be completed (", ReasonName(reason),
                             "). Go back to the application and try again."));
    d.response_headers.emplace_back("referrer-policy", "no-referrer");
    if (flow_cookie) {
      d.response_headers.emplace_back(
          "set-cookie", FormatDeleteCookie(*flow_cookie, config.session.attributes));
    }
    return d;
  }

  void HandleCallback(const std::shared_ptr<Evaluation>& eval, Finish finish) const {
    absl::Time now = Now();
    QueryParams params = ParseQueryString(eval->request.Query());
    std::optional<std::string> state, error;
    for (const auto& [name, value] : params) {
      if (name == "state") state = state ? std::optional<std::string>() : value;
      if (name == "error") error = value;
    }
    std::string state_id;
    Rejection why;
    if (!state || !VerifySignedValue(*keys, CookieBinding{kStateCookieBinding, eval->host}, now,
                                     *state, &state_id, &why)) {
      if (error) {
        return finish(CallbackFailure(Reason::kAuthorizationError,
                                      StrCat("the provider answered error=", error->substr(0, 64)),
                                      std::nullopt));
      }
      return finish(CallbackFailure(
          Reason::kStateMismatch,
          state ? StrCat("state: ", why.detail) : std::string("no single state parameter"),
          std::nullopt));
    }
    std::string cookie_name = StrCat(flow_cookie_prefix, state_id);
    std::optional<std::string_view> cookie = eval->jar.Get(cookie_name);
    if (!cookie) {
      return finish(CallbackFailure(Reason::kFlowCookieMissing,
                                    "the login's flow cookie is missing (another browser, an "
                                    "expired or an already completed login)",
                                    std::nullopt));
    }
    std::string plaintext;
    if (!OpenSealedValue(*keys, CookieBinding{cookie_name, eval->host}, now, *cookie, &plaintext,
                         &why)) {
      return finish(CallbackFailure(Reason::kStateMismatch, StrCat("flow cookie: ", why.detail),
                                    cookie_name));
    }
    absl::StatusOr<FlowState> flow = ParseFlowState(plaintext);
    if (!flow.ok() || flow->state_id != state_id) {
      return finish(CallbackFailure(Reason::kStateMismatch,
                                    "the flow cookie does not belong to this state",
                                    cookie_name));
    }
    auto on_login = [this, eval, cookie_name, return_to = flow->return_to](
                        Finish answer, bool ok, LoginResult result, Rejection failure) {
      if (!ok) {
        return answer(CallbackFailure(failure.reason, std::move(failure.detail), cookie_name));
      }
      answer(CompleteLogin(*eval, cookie_name, return_to, std::move(result)));
    };
    auto later = Guard(finish, on_login);
    oidc->HandleCallback(params, *flow, now,
                         [later](bool ok, LoginResult result, Rejection failure) mutable {
                           later(ok, std::move(result), std::move(failure));
                         });
  }

  Decision CompleteLogin(const Evaluation& eval, const std::string& flow_cookie,
                         const std::string& return_to, LoginResult result) const {
    absl::Time now = Now();
    Session session;
    session.id = NewSessionId();
    JsonValue claims = result.id_token.claims();
    session.issuer = std::string(claims.Find("iss").string());
    session.subject = std::string(claims.Find("sub").string());
    session.id_token = std::move(result.tokens.id_token);
    session.access_token = std::move(result.tokens.access_token);
    session.refresh_token = std::move(result.tokens.refresh_token);
    session.access_token_expires_at = result.access_token_expires_at;
    session.created = now;
    session.last_seen = now;
    session.claims_json = std::string(result.id_token.claims_json());
    absl::StatusOr<std::vector<std::string>> cookies =
        sessions->Save(session, eval.host, now, eval.jar);
    if (!cookies.ok()) {
      return CallbackFailure(Reason::kSessionInvalid,
                             StrCat("cannot store the session: ", cookies.status().message()),
                             flow_cookie);
    }
    Decision d = Respond(302, Outcome::kLoggedIn, Reason::kNone, "");
    std::optional<std::string> target = SafeReturnTarget(return_to);
    d.response_headers.emplace_back("location", target ? *target : "/");
    d.response_headers.emplace_back("referrer-policy", "no-referrer");
    d.response_headers.emplace_back("set-cookie",
                                    FormatDeleteCookie(flow_cookie, config.session.attributes));
    for (std::string& cookie : *cookies) d.response_headers.emplace_back("set-cookie", cookie);
    return d;
  }

  // ---- sign-out ----

  Decision SignOut(const Evaluation& eval) const {
    Session session;
    Rejection ignored;
    bool had_session = sessions->Load(eval.jar, eval.host, Now(), &session, &ignored);
    std::optional<std::string> logout =
        had_session ? oidc->LogoutUrl(session.id_token) : std::nullopt;
    Decision d = logout ? Respond(302, Outcome::kSignedOut, Reason::kNone, "")
                        : Page(200, Outcome::kSignedOut, Reason::kNone, "", "Signed out",
                               "You have been signed out.");
    if (logout) d.response_headers.emplace_back("location", *logout);
    d.response_headers.emplace_back("referrer-policy", "no-referrer");
    for (std::string& cookie : sessions->Clear(eval.jar)) {
      d.response_headers.emplace_back("set-cookie", std::move(cookie));
    }
    for (const auto& [name, value] : eval.jar.cookies()) {
      if (IsFlowCookie(name)) {
        d.response_headers.emplace_back("set-cookie",
                                        FormatDeleteCookie(name, config.session.attributes));
      }
    }
    return d;
  }

  // ---- allowing ----

  Decision AllowWithClaims(const Evaluation& eval, std::vector<Identity> identities,
                           std::vector<std::string> set_cookies, bool bearer) const {
    const std::vector<ClaimCondition>& conditions = eval.rule->claims;
    if (!conditions.empty()) {
      std::string unmet;
      bool satisfied = !identities.empty();
      if (!satisfied) unmet = "no identity";
      for (const Identity& identity : identities) {
        if (!ClaimsSatisfied(identity.claims(), conditions, &unmet)) {
          satisfied = false;
          break;
        }
      }
      if (!satisfied) {
        Decision d = bearer ? Challenge(403, Outcome::kForbidden, Reason::kInsufficientClaims,
                                        StrCat("claim condition unmet: ", unmet),
                                        "insufficient_scope")
                            : Page(403, Outcome::kForbidden, Reason::kInsufficientClaims,
                                   StrCat("claim condition unmet: ", unmet), "Forbidden",
                                   "You do not have access to this page.");
        for (std::string& cookie : set_cookies) {
          d.response_headers.emplace_back("set-cookie", cookie);
        }
        return d;
      }
    }
    return Allow(eval, identities, std::move(set_cookies));
  }

  Decision Allow(const Evaluation& eval, const std::vector<Identity>& identities,
                 std::vector<std::string> set_cookies) const {
    Decision d;
    d.action = Decision::Action::kAllow;
    d.outcome = Outcome::kAllowed;
    d.rule = eval.rule != nullptr ? eval.rule->name : "";
    d.upstream_target = eval.upstream_target;
    // Client-sent copies of every identity header go first, whatever the
    // route: the upstream must be able to trust them.
    d.remove_headers = identity_headers;
    std::vector<std::string> drop_cookies;
    std::vector<std::string> drop_params;
    for (const Identity& identity : identities) {
      const std::vector<ClaimToHeader>* mappings = nullptr;
      const std::optional<std::string>* payload_header = nullptr;
      JsonValue claims = identity.claims();
      if (identity.provider != nullptr) {
        mappings = &identity.provider->claim_to_headers;
        payload_header = &identity.provider->forward_payload_header;
        if (!identity.provider->forward) {
          switch (identity.location.where) {
            case ExtractedToken::Where::kHeader:
              d.remove_headers.push_back(Lowercase(identity.location.name));
              break;
            case ExtractedToken::Where::kCookie:
              drop_cookies.push_back(identity.location.name);
              break;
            case ExtractedToken::Where::kParam:
              drop_params.push_back(identity.location.name);
              break;
          }
        }
        if (payload_header->has_value()) {
          d.set_headers.emplace_back(**payload_header,
                                     Base64UrlEncode(identity.token.claims_json()));
        }
      } else {
        const LoginConfig& login = *config.login;
        mappings = &login.claim_to_headers;
        if (login.forward_payload_header) {
          d.set_headers.emplace_back(*login.forward_payload_header,
                                     Base64UrlEncode(identity.session->claims_json));
        }
        if (login.forward_bearer_token && !identity.session->access_token.empty()) {
          d.remove_headers.push_back("authorization");
          d.set_headers.emplace_back("authorization",
                                     StrCat("Bearer ", identity.session->access_token));
        }
      }
      for (const ClaimToHeader& mapping : *mappings) {
        std::optional<std::string> value = ClaimText(claims, mapping.claim);
        if (value && IsSafeHeaderValue(*value)) d.set_headers.emplace_back(mapping.header, *value);
      }
    }
    // authgate's own cookies never reach the upstream.
    bool removed_any = false;
    std::string cookie_header = RemoveCookies(eval.jar, [&](std::string_view name) {
      bool remove = sessions->OwnsCookie(name) || IsFlowCookie(name) ||
                    std::find(drop_cookies.begin(), drop_cookies.end(), name) != drop_cookies.end();
      removed_any |= remove;
      return remove;
    });
    if (removed_any) {
      d.remove_headers.push_back("cookie");
      if (!cookie_header.empty()) d.set_headers.emplace_back("cookie", std::move(cookie_header));
    }
    if (!drop_params.empty()) {
      std::string query(eval.request.Query());
      for (const std::string& name : drop_params) query = RemoveQueryParams(query, name);
      d.upstream_target = query.empty() ? eval.path : StrCat(eval.path, "?", query);
    }
    for (std::string& cookie : set_cookies) d.response_headers.emplace_back("set-cookie", cookie);
    return d;
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(std::string_view json,
                                                       EngineDependencies dependencies) {
  Environment environment =
      dependencies.environment ? dependencies.environment : SystemEnvironment();
  absl::StatusOr<EngineConfig> config = ParseEngineConfig(json, environment);
  if (!config.ok()) return config.status();
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(*config);
  const EngineConfig& c = impl->config;
  impl->http = dependencies.http ? std::move(dependencies.http) : NewCurlHttpClient(c.http);
  impl->scheduler = dependencies.scheduler ? std::move(dependencies.scheduler)
                                           : Scheduler::NewThreaded(Clock::System());
  if (c.login) {
    absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive(c.session.secrets);
    if (!keys.ok()) return keys.status();
    impl->keys = std::move(*keys);
    SessionStoreOptions options;
    options.cookie_name = StrCat(c.session.cookie_prefix, c.session.cookie_name);
    options.attributes = c.session.attributes;
    options.lifetime = c.session.lifetime;
    options.idle_timeout = c.session.idle_timeout;
    if (absl::Status s = ValidateSessionStoreOptions(options); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("session: ", s.message()));
    }
    impl->sessions = std::make_unique<SessionStore>(impl->keys, std::move(options));
    impl->flow_cookie_prefix = StrCat(c.session.cookie_prefix, c.session.flow_cookie_name, ".");
    absl::StatusOr<std::unique_ptr<OidcClient>> oidc = OidcClient::Create(
        c.login->oidc, impl->http.get(), impl->scheduler.get(), impl->scheduler->clock());
    if (!oidc.ok()) return oidc.status();
    impl->oidc = std::move(*oidc);
  }
  for (const JwtProviderConfig& provider : c.providers) {
    absl::StatusOr<KeyProvider> keys = MakeKeyProvider(provider.keys, c.file_check_interval,
                                                       impl->http.get(), impl->scheduler.get());
    if (!keys.ok()) {
      return absl::InvalidArgumentError(
          StrCat("jwt.providers.", provider.name, ": ", keys.status().message()));
    }
    std::vector<KeyProvider> list;
    list.push_back(std::move(*keys));
    absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
        JwtVerifier::Create(std::move(list), provider.options, impl->scheduler.get());
    if (!verifier.ok()) {
      return absl::InvalidArgumentError(
          StrCat("jwt.providers.", provider.name, ": ", verifier.status().message()));
    }
    impl->providers.push_back(Impl::Provider{&provider, std::move(*verifier)});
  }
  auto add_header = [&](const std::string& name) {
    if (std::find(impl->identity_headers.begin(), impl->identity_headers.end(), name) ==
        impl->identity_headers.end()) {
      impl->identity_headers.push_back(name);
    }
  };
  for (const JwtProviderConfig& provider : c.providers) {
    for (const ClaimToHeader& mapping : provider.claim_to_headers) add_header(mapping.header);
    if (provider.forward_payload_header) add_header(*provider.forward_payload_header);
  }
  if (c.login) {
    for (const ClaimToHeader& mapping : c.login->claim_to_headers) add_header(mapping.header);
    if (c.login->forward_payload_header) add_header(*c.login->forward_payload_header);
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

bool Engine::EvaluateAsync(const Request& request, Decision* out, Done done) const {
  // Whether the decision arrives before Start() returns decides who carries
  // it: the caller (inline) or `done` (later, on a library thread).
  struct Rendezvous {
    std::mutex mutex;
    enum class State { kRunning, kInline, kPending } state = State::kRunning;
    Decision decision;
    Done done;
  };
  auto rendezvous = std::make_shared<Rendezvous>();
  rendezvous->done = std::move(done);
  const Impl* impl = impl_.get();
  impl->Start(request, [rendezvous, impl](Decision decision) {
    impl->Count(decision);
    std::unique_lock<std::mutex> lock(rendezvous->mutex);
    if (rendezvous->state == Rendezvous::State::kRunning) {
      rendezvous->decision = std::move(decision);
      rendezvous->state = Rendezvous::State::kInline;
      return;
    }
    lock.unlock();
    rendezvous->done(std::move(decision));
  });
  std::lock_guard<std::mutex> lock(rendezvous->mutex);
  if (rendezvous->state == Rendezvous::State::kInline) {
    *out = std::move(rendezvous->decision);
    return true;
  }
  rendezvous->state = Rendezvous::State::kPending;
  return false;
}

Decision Engine::Evaluate(const Request& request) const {
  struct Waiter {
    std::mutex mutex;
    std::condition_variable ready;
    std::optional<Decision> decision;
  };
  auto waiter = std::make_shared<Waiter>();
  Decision decision;
  if (EvaluateAsync(request, &decision, [waiter](Decision later) {
        std::lock_guard<std::mutex> lock(waiter->mutex);
        waiter->decision = std::move(later);
        waiter->ready.notify_all();
      })) {
    return decision;
  }
  std::unique_lock<std::mutex> lock(waiter->mutex);
  if (waiter->ready.wait_for(lock, absl::ToChronoNanoseconds(impl_->config.evaluate_timeout),
                             [&] { return waiter->decision.has_value(); })) {
    return std::move(*waiter->decision);
  }
  Decision timeout = Page(504, Outcome::kUnavailable, Reason::kProviderUnavailable,
                          "the identity provider did not answer within evaluate_timeout",
                          "Gateway timeout", "The identity provider did not answer in time.");
  impl_->Count(timeout);
  return timeout;
}

bool Engine::Ready() const {
  if (impl_->oidc && !impl_->oidc->Ready()) return false;
  for (const Impl::Provider& provider : impl_->providers) {
    if (!provider.verifier->WaitReady(absl::ZeroDuration())) return false;
  }
  return true;
}

bool Engine::WaitReady(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  if (impl_->oidc && !impl_->oidc->WaitReady(timeout)) return false;
  for (const Impl::Provider& provider : impl_->providers) {
    if (!provider.verifier->WaitReady(std::max(deadline - absl::Now(), absl::ZeroDuration()))) {
      return false;
    }
  }
  return true;
}

EngineStats Engine::Stats() const {
  EngineStats stats;
  for (size_t i = 0; i < stats.outcomes.size(); ++i) {
    stats.outcomes[i] = impl_->counters.outcomes[i].load(std::memory_order_relaxed);
  }
  for (size_t i = 0; i < stats.reasons.size(); ++i) {
    stats.reasons[i] = impl_->counters.reasons[i].load(std::memory_order_relaxed);
  }
  stats.logins_started = impl_->counters.logins_started.load(std::memory_order_relaxed);
  if (impl_->oidc) {
    OidcStats oidc = impl_->oidc->Stats();
    stats.logins_completed = oidc.logins_ok;
    stats.logins_failed = oidc.logins_failed;
    stats.refreshes = oidc.refreshes_ok;
    stats.refresh_failures = oidc.refreshes_failed;
  }
  return stats;
}

const std::vector<std::string>& Engine::warnings() const { return impl_->config.warnings; }

}  // namespace authgate
