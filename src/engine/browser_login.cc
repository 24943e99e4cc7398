// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// browser_login.cc: the browser session requirement, the redirect to the
// provider, the callback, the refresh of a session's tokens and sign-out.

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/internal/engine_impl.h"
#include "net/query_string.h"
#include "oidc/authorization_request.h"
#include "oidc/redirect_target.h"
#include "session/sealed_value.h"
#include "session/set_cookie.h"
#include "session/signed_value.h"
#include "session/signout_token.h"
#include "text.h"

namespace authgate {

using internal::HtmlEscape;
using internal::kClaimsLimits;
using internal::Page;
using internal::Respond;

namespace {

constexpr std::string_view kStateCookieBinding = "authgate-state";

constexpr std::string_view kOutsideCookieDomain = "the host is outside session.cookie_domain";

// The query parameter of the confirmed sign-out (the engine reads no bodies).
constexpr std::string_view kSignOutTokenParam = "confirm";

// IsCrossSite tells whether the browser says the request comes from a page
// of another site (Fetch Metadata).
bool IsCrossSite(const Request& request) {
  std::optional<std::string_view> site = request.Header("sec-fetch-site");
  return site && EqualsIgnoreCase(*site, "cross-site");
}

}  // namespace

bool Engine::Impl::WantsRedirect(const Request& request) const {
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

void Engine::Impl::CheckSession(const std::shared_ptr<Evaluation>& eval, Finish finish) const {
  absl::Time now = Now();
  if (!eval->cookie_scope) {
    return finish(Unauthenticated(
        *eval, Rejection{Reason::kSessionInvalid, std::string(kOutsideCookieDomain)}));
  }
  Session session;
  Rejection why;
  if (!sessions->Load(eval->jar, *eval->cookie_scope, now, &session, &why)) {
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

Decision Engine::Impl::SessionAllowed(const Evaluation& eval, Session session, absl::Time now,
                                      bool force_save) const {
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
        sessions->Save(session, *eval.cookie_scope, now, eval.jar);
    if (absl::IsUnavailable(saved.status())) return RandomFailure(saved.status());
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

Decision Engine::Impl::Unauthenticated(const Evaluation& eval, Rejection why) const {
  std::vector<std::string> clear;
  if (why.reason != Reason::kLoginRequired) clear = sessions->Clear(eval.jar);
  bool bearer_too = eval.rule != nullptr &&
                    eval.rule->requirement.kind == RequirementKind::kLoginOrJwt;
  // Outside the cookie domain a login could not complete: the browser
  // refuses cookies for a domain its host is not in.
  if (!eval.cookie_scope || !WantsRedirect(eval.request)) {
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

Decision Engine::Impl::StartLogin(const Evaluation& eval, Rejection why,
                                  std::vector<std::string> clear) const {
  absl::Time now = Now();
  absl::StatusOr<FlowState> new_flow = oidc->NewFlow(eval.upstream_target, now);
  if (!new_flow.ok()) return RandomFailure(new_flow.status());
  const FlowState& flow = *new_flow;
  absl::Time expiry = now + config.session.login_timeout;
  std::string state = SignValue(*keys, CookieBinding{kStateCookieBinding, *eval.cookie_scope},
                                expiry, flow.state_id);
  absl::StatusOr<std::string> url = oidc->AuthorizationUrl(flow, state);
  if (!url.ok()) {
    Decision d = Page(503, Outcome::kUnavailable, Reason::kProviderUnavailable,
                      std::string(FromAbsl(url.status().message())), "Service unavailable",
                      "The identity provider cannot be reached. Try again in a moment.");
    d.response_headers.emplace_back("retry-after", "5");
    return d;
  }
  std::string name = StrCat(flow_cookie_prefix, flow.state_id);
  absl::StatusOr<std::string> sealed = SealValue(*keys, CookieBinding{name, *eval.cookie_scope},
                                                 expiry, SerializeFlowState(flow), *random);
  if (!sealed.ok()) return RandomFailure(sealed.status());
  counters.logins_started.fetch_add(1, std::memory_order_relaxed);
  Decision d = Respond(302, Outcome::kLoginRedirect, why.reason, std::move(why.detail));
  d.response_headers.emplace_back("location", std::move(*url));
  for (std::string& cookie : clear) d.response_headers.emplace_back("set-cookie", cookie);
  for (std::string& cookie : PendingFlowsToDrop(eval, now)) {
    d.response_headers.emplace_back("set-cookie", std::move(cookie));
  }
  d.response_headers.emplace_back(
      "set-cookie",
      FormatSetCookie(name, *sealed, config.session.attributes, config.session.login_timeout));
  return d;
}

std::vector<std::string> Engine::Impl::PendingFlowsToDrop(const Evaluation& eval,
                                                          absl::Time now) const {
  std::vector<std::pair<absl::Time, std::string>> flows;
  for (const auto& [name, value] : eval.jar.cookies()) {
    if (!IsFlowCookie(name)) continue;
    std::string plaintext;
    Rejection ignored;
    absl::Time created = absl::InfinitePast();
    if (OpenSealedValue(*keys, CookieBinding{name, *eval.cookie_scope}, now, value, &plaintext,
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

bool Engine::Impl::IsFlowCookie(std::string_view name) const {
  return name.size() > flow_cookie_prefix.size() &&
         name.substr(0, flow_cookie_prefix.size()) == flow_cookie_prefix;
}

Decision Engine::Impl::RandomFailure(const absl::Status& status) const {
  Decision d = Page(503, Outcome::kUnavailable, Reason::kNone,
                    StrCat("no random bytes for the login's or the session's secrets: ",
                           status.message()),
                    "Service unavailable", "Try again in a moment.");
  d.response_headers.emplace_back("retry-after", "5");
  return d;
}

Decision Engine::Impl::CallbackFailure(Reason reason, std::string detail,
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

void Engine::Impl::HandleCallback(const std::shared_ptr<Evaluation>& eval, Finish finish) const {
  if (!eval->cookie_scope) {
    return finish(
        CallbackFailure(Reason::kStateMismatch, std::string(kOutsideCookieDomain), std::nullopt));
  }
  absl::Time now = Now();
  QueryParams params = ParseQueryString(eval->request.Query());
  std::optional<std::string> state, error;
  for (const auto& [name, value] : params) {
    if (name == "state") state = state ? std::optional<std::string>() : value;
    if (name == "error") error = value;
  }
  std::string state_id;
  Rejection why;
  if (!state || !VerifySignedValue(*keys, CookieBinding{kStateCookieBinding, *eval->cookie_scope},
                                   now, *state, &state_id, &why)) {
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
  // Anyone can mint a valid state by visiting a protected page: forged
  // callbacks must not spend the client's quota at the token endpoint.
  absl::Duration retry_after;
  if (callback_limiter != nullptr && !eval->request.client_address.empty() &&
      !callback_limiter->Allow(eval->request.client_address, now, &retry_after)) {
    Decision d = Page(429, Outcome::kBadRequest, Reason::kRateLimited,
                      "too many login callbacks from this client address", "Too many requests",
                      "Too many sign-ins from your address. Wait a moment and try again.");
    d.response_headers.emplace_back("retry-after", StrCat(absl::ToInt64Seconds(retry_after)));
    return finish(std::move(d));
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
  if (!OpenSealedValue(*keys, CookieBinding{cookie_name, *eval->cookie_scope}, now, *cookie,
                       &plaintext, &why)) {
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

Decision Engine::Impl::CompleteLogin(const Evaluation& eval, const std::string& flow_cookie,
                                     const std::string& return_to, LoginResult result) const {
  absl::Time now = Now();
  Session session;
  absl::StatusOr<std::string> id = NewSessionId(*random);
  if (!id.ok()) return RandomFailure(id.status());
  session.id = std::move(*id);
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
      sessions->Save(session, *eval.cookie_scope, now, eval.jar);
  if (absl::IsUnavailable(cookies.status())) return RandomFailure(cookies.status());
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

Decision Engine::Impl::SignOut(const Evaluation& eval) const {
  Session session;
  Rejection ignored;
  bool had_session = eval.cookie_scope &&
                     sessions->Load(eval.jar, *eval.cookie_scope, Now(), &session, &ignored);
  // A link on another site must not log users out, while a plain GET of the
  // sign-out path from the user's own navigation (same site, typed,
  // bookmarked, or a client without Fetch Metadata) still does.
  if (had_session && IsCrossSite(eval.request) && !IsConfirmedSignOut(eval, session)) {
    return SignOutConfirmation(session);
  }
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

bool Engine::Impl::IsConfirmedSignOut(const Evaluation& eval, const Session& session) const {
  if (eval.request.method != "POST") return false;
  for (const auto& [name, value] : ParseQueryString(eval.request.Query())) {
    if (name == kSignOutTokenParam) return VerifySignOutToken(*keys, session.id, value);
  }
  return false;
}

Decision Engine::Impl::SignOutConfirmation(const Session& session) const {
  Decision d = Respond(200, Outcome::kSignedOut, Reason::kNone,
                       "cross-site sign-out request: confirmation asked");
  d.response_headers.emplace_back("content-type", "text/html; charset=utf-8");
  // A form and nothing else: no script, style, image or frame. No
  // form-action either: the sign-out the form submits to redirects to the
  // provider's end-session endpoint, which browsers would check against it.
  d.response_headers.emplace_back("content-security-policy",
                                  "default-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  d.response_headers.emplace_back("referrer-policy", "no-referrer");
  std::string action = StrCat(config.login->signout_path, "?", kSignOutTokenParam, "=",
                              SignOutToken(*keys, session.id));
  d.body = StrCat(
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Sign out?</title></head>\n"
      "<body><h1>Sign out?</h1>\n<p>Another site asked to sign you out of this one.</p>\n"
      "<form method=\"post\" action=\"",
      HtmlEscape(action), "\"><button type=\"submit\">Sign out</button></form></body></html>\n");
  return d;
}

}  // namespace authgate
