// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// engine.cc: the decision's frame (normalisation, the callback and sign-out
// paths, rule matching, allowing with the identity headers) and the engine's
// public methods.

#include "engine/engine.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "engine/internal/engine_impl.h"
#include "jose/base64url.h"
#include "net/query_string.h"
#include "policy/claim_condition.h"
#include "policy/path_normalizer.h"
#include "session/cookie_scope.h"
#include "session/set_cookie.h"
#include "text.h"

namespace authgate {

using internal::HtmlEscape;
using internal::Page;
using internal::Respond;

namespace {

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

// Client addresses whose callbacks are counted at once (about 100 bytes
// each); beyond, the least recently seen is forgotten.
constexpr size_t kCallbackLimiterAddresses = 4096;

// Headers that make Rails, Express and Symfony serve a POST as the method
// they name: a DELETE that no DELETE rule saw.
constexpr std::string_view kMethodOverrideHeaders[] = {"x-http-method-override", "x-http-method",
                                                       "x-method-override"};

// IsForwardedVerifiedToken tells whether `token` is where one of
// `identities` was verified, for a provider with `forward: true`.
bool IsForwardedVerifiedToken(const ExtractedToken& token,
                              const std::vector<internal::Identity>& identities) {
  for (const internal::Identity& identity : identities) {
    if (identity.provider == nullptr || !identity.provider->forward ||
        identity.location.where != token.where) {
      continue;
    }
    bool same_name = token.where == ExtractedToken::Where::kHeader
                         ? EqualsIgnoreCase(identity.location.name, token.name)
                         : identity.location.name == token.name;
    if (same_name) return true;
  }
  return false;
}

}  // namespace

namespace internal {

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

}  // namespace internal

void Engine::Impl::Start(const Request& request, Finish finish) const {
  // Before anything else, the callback and sign-out paths included: an
  // upstream that uppercases the method would serve "post" as the POST that
  // every POST rule was written for.
  if (!IsUpperCaseMethod(request.method)) {
    return finish(Page(400, Outcome::kBadRequest, Reason::kInvalidMethod,
                       "the method has a lower-case letter or is not an HTTP token",
                       "Bad request", "The request method is not acceptable."));
  }
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
  eval->jar = CookieJar::FromRequest(request);

  if (config.login) {
    eval->cookie_scope = CookieScope(request.authority, config.session.attributes.domain);
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
  if (requirement.kind != RequirementKind::kNone) {
    // Refusals name the rule too (metrics and logs count by rule); only
    // Allow() knows it otherwise.
    finish = [finish = std::move(finish), rule = eval->rule](Decision decision) {
      if (decision.rule.empty()) decision.rule = rule->name;
      finish(std::move(decision));
    };
  }
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

std::vector<const TokenLocations*> Engine::Impl::Locations(
    const std::vector<std::string>& names) const {
  std::vector<const TokenLocations*> out;
  for (const std::string& name : names) {
    const Provider* provider = FindProvider(name);
    if (provider != nullptr) out.push_back(&provider->config->locations);
  }
  return out;
}

Decision Engine::Impl::AllowWithClaims(const Evaluation& eval, std::vector<Identity> identities,
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

Decision Engine::Impl::Allow(const Evaluation& eval, const std::vector<Identity>& identities,
                             std::vector<std::string> set_cookies) const {
  Decision d;
  d.action = Decision::Action::kAllow;
  d.outcome = Outcome::kAllowed;
  d.rule = eval.rule != nullptr ? eval.rule->name : "";
  d.upstream_target = eval.upstream_target;
  // Client-sent copies of every identity header, and method overrides, go
  // first, whatever the route: the upstream must be able to trust them.
  d.remove_headers = always_removed_headers;
  std::vector<std::string> drop_cookies;
  std::vector<std::string> drop_params;
  // Every token the rule's providers read leaves the request unless it
  // verified for a provider with `forward: true`: a forged or expired token
  // let through by allow_missing_or_failed must not reach an upstream that
  // may believe authgate checked it.
  if (eval.rule != nullptr && !eval.rule->requirement.providers.empty()) {
    for (const ExtractedToken& token :
         ExtractTokens(eval.request, Locations(eval.rule->requirement.providers))) {
      if (IsForwardedVerifiedToken(token, identities)) continue;
      switch (token.where) {
        case ExtractedToken::Where::kHeader:
          d.remove_headers.push_back(AsciiLowercase(token.name));
          break;
        case ExtractedToken::Where::kCookie:
          drop_cookies.push_back(token.name);
          break;
        case ExtractedToken::Where::kParam:
          drop_params.push_back(token.name);
          break;
      }
    }
  }
  for (const Identity& identity : identities) {
    const std::vector<ClaimToHeader>* mappings = nullptr;
    const std::optional<std::string>* payload_header = nullptr;
    JsonValue claims = identity.claims();
    if (d.claims_json.empty()) {
      d.claims_json = identity.provider != nullptr ? std::string(identity.token.claims_json())
                                                   : identity.session->claims_json;
    }
    if (identity.provider != nullptr) {
      mappings = &identity.provider->claim_to_headers;
      payload_header = &identity.provider->forward_payload_header;
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
      // The session is the identity: an Authorization header the client
      // sent was never checked, and an upstream may believe it was.
      d.remove_headers.push_back("authorization");
      if (login.forward_bearer_token && !identity.session->access_token.empty()) {
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
    bool remove = IsOwnCookie(name) ||
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
  if (dependencies.random != nullptr) impl->random = dependencies.random;
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
    options.random = impl->random;
    if (absl::Status s = ValidateSessionStoreOptions(options); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("session: ", s.message()));
    }
    impl->sessions = std::make_unique<SessionStore>(impl->keys, std::move(options));
    impl->flow_cookie_prefix = StrCat(c.session.cookie_prefix, c.session.flow_cookie_name, ".");
    absl::StatusOr<std::unique_ptr<OidcClient>> oidc =
        OidcClient::Create(c.login->oidc, impl->http.get(), impl->scheduler.get(),
                           impl->scheduler->clock(), nullptr, *impl->random);
    if (!oidc.ok()) return oidc.status();
    impl->oidc = std::move(*oidc);
    if (c.login->callback_rate_limit.per_minute > 0) {
      impl->callback_limiter =
          std::make_unique<RateLimiter>(c.login->callback_rate_limit, kCallbackLimiterAddresses);
    }
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
  std::vector<std::string>& removed = impl->always_removed_headers;
  auto add_header = [&](std::string_view name) {
    if (std::find(removed.begin(), removed.end(), name) == removed.end()) {
      removed.emplace_back(name);
    }
  };
  for (std::string_view name : kMethodOverrideHeaders) add_header(name);
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

struct Engine::Impl::Call {
  std::mutex mutex;
  // kRunning: Start() has not returned; kInline: answered before it did;
  // kPending: the caller waits for `done`; kAnswered: `done` was handed over
  // (the decision, or the cancellation).
  enum class State { kRunning, kInline, kPending, kAnswered } state = State::kRunning;
  Decision decision;
  Done done;
  // A host's call: `done` runs on the delivery, and is cancelled if the
  // engine goes first. Evaluate()'s own waiter is run directly.
  bool host = true;
};

void Engine::Impl::Answer(const std::shared_ptr<Call>& call, Decision decision) {
  Count(decision);
  std::unique_lock<std::mutex> lock(call->mutex);
  if (call->state == Call::State::kRunning) {
    call->decision = std::move(decision);
    call->state = Call::State::kInline;
    return;
  }
  if (call->state != Call::State::kPending) return;
  call->state = Call::State::kAnswered;
  Done done = std::move(call->done);
  lock.unlock();
  if (!call->host) {
    done(std::move(decision));
    return;
  }
  {
    std::lock_guard<std::mutex> calls_lock(calls_mutex);
    pending_calls.erase(call);
  }
  delivery->Post([done = std::move(done), decision = std::move(decision)]() mutable {
    done(std::move(decision));
  });
}

void Engine::Impl::CancelPendingCalls() {
  absl::flat_hash_set<std::shared_ptr<Call>> calls;
  {
    std::lock_guard<std::mutex> lock(calls_mutex);
    calls.swap(pending_calls);
  }
  for (const std::shared_ptr<Call>& call : calls) {
    Done done;
    {
      std::lock_guard<std::mutex> lock(call->mutex);
      if (call->state != Call::State::kPending) continue;
      call->state = Call::State::kAnswered;
      done = std::move(call->done);
    }
    delivery->Post([done = std::move(done)] {
      done(absl::CancelledError("the engine was freed before the decision was known"));
    });
  }
}

bool Engine::EvaluateAsync(const Request& request, Decision* out, Done done) const {
  auto call = std::make_shared<Impl::Call>();
  call->done = std::move(done);
  return impl_->Begin(request, call, out);
}

bool Engine::Impl::Begin(const Request& request, const std::shared_ptr<Call>& call,
                         Decision* out) {
  // Whether the decision arrives before Start() returns decides who carries
  // it: the caller (inline) or `done` (later, from a library thread).
  Start(request, [this, call](Decision decision) { Answer(call, std::move(decision)); });
  std::lock_guard<std::mutex> lock(call->mutex);
  if (call->state == Call::State::kInline) {
    *out = std::move(call->decision);
    return true;
  }
  call->state = Call::State::kPending;
  if (call->host) {
    std::lock_guard<std::mutex> calls_lock(calls_mutex);
    pending_calls.insert(call);
  }
  return false;
}

Decision Engine::Evaluate(const Request& request) const {
  struct Waiter {
    std::mutex mutex;
    std::condition_variable ready;
    std::optional<Decision> decision;
  };
  auto waiter = std::make_shared<Waiter>();
  auto call = std::make_shared<Impl::Call>();
  call->host = false;
  // Never cancelled (the caller holds the engine), so always a decision.
  call->done = [waiter](absl::StatusOr<Decision> later) {
    std::lock_guard<std::mutex> lock(waiter->mutex);
    waiter->decision = *std::move(later);
    waiter->ready.notify_all();
  };
  Decision decision;
  if (impl_->Begin(request, call, &decision)) return decision;
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
  for (const Impl::Provider& provider : impl_->providers) {
    for (const KeyProvider& keys : provider.verifier->providers()) {
      KeySourceStats source = keys.keys->Stats();
      stats.jwks_fetch_successes += source.fetch_successes;
      stats.jwks_fetch_failures += source.fetch_failures;
    }
    stats.token_cache_hits += provider.verifier->cache().hits();
    stats.token_cache_misses += provider.verifier->cache().misses();
  }
  return stats;
}

std::optional<std::pair<std::string, std::string>> Engine::KeyError(size_t index) const {
  if (index >= impl_->providers.size()) return std::nullopt;
  const Impl::Provider& provider = impl_->providers[index];
  std::string error;
  for (const KeyProvider& keys : provider.verifier->providers()) {
    std::string last = keys.keys->Stats().last_error;
    if (last.empty()) continue;
    if (!error.empty()) error += "; ";
    error += last;
  }
  return std::make_pair(provider.config->name, std::move(error));
}

const std::vector<std::string>& Engine::warnings() const { return impl_->config.warnings; }

}  // namespace authgate
