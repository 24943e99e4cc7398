// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Answers arrive on the HTTP client's thread (and, after a key refetch, on
// whichever thread completed it).
//  - Shared::lifetime: such an answer uses the client itself (validator,
//    clock) inside a Lifetime::Use; the destructor ends the lifetime, so an
//    answer either finishes its use first or sees the client gone.
//  - Shared::mutex guards the pending logins, the refresh flights and the
//    remembered refresh results. Whoever removes a pending entry under it
//    (an answer or the destructor) is the one that calls its callbacks,
//    after releasing it: each callback runs exactly once, never under a lock.

#include "oidc/oidc_client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "jose/json.h"
#include "lifetime.h"
#include "oidc/form_encoding.h"
#include "oidc/pkce.h"
#include "oidc/redirect_target.h"
#include "text.h"

namespace authgate {
namespace {

// 256 bits each (RFC 7636 4.1 for the verifier; the same for state and nonce).
constexpr size_t kRandomBytes = 32;
constexpr absl::Duration kRememberRefresh = absl::Seconds(60);
constexpr JsonLimits kClaimsLimits{/*max_size=*/64 << 10, /*max_depth=*/16};

// Remembered results are matched by a digest of the refresh token they
// used: the rotated-out token itself need not be kept.
std::string TokenHash(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

absl::Time ExpiresAt(const TokenResponse& tokens, absl::Time arrived) {
  return tokens.expires_in ? arrived + absl::Seconds(*tokens.expires_in) : absl::InfiniteFuture();
}

}  // namespace

struct OidcClient::Outcome {
  bool ok = false;
  LoginResult result;
  Rejection why;

  static Outcome Failure(Reason reason, std::string detail) {
    Outcome outcome;
    outcome.why = Rejection{reason, std::move(detail)};
    return outcome;
  }
};

struct OidcClient::RefreshFlight {
  std::string session_id;
  std::string token_hash;
  std::string refresh_token;         // kept when the response brings no new one
  std::vector<RefreshDone> waiters;  // guarded by Shared::mutex
};

struct OidcClient::Shared {
  Lifetime lifetime;

  std::mutex mutex;
  uint64_t last_login = 0;
  absl::flat_hash_map<uint64_t, LoginDone> logins;
  absl::flat_hash_map<std::string, std::shared_ptr<RefreshFlight>> flights;
  struct Remembered {
    std::string token_hash;
    LoginResult result;
    absl::Time until;
  };
  absl::flat_hash_map<std::string, Remembered> remembered;
  std::deque<std::pair<absl::Time, std::string>> remembered_order;  // by expiry

  std::atomic<uint64_t> logins_ok{0}, logins_failed{0}, refreshes_ok{0}, refreshes_failed{0},
      token_requests{0};

  void CountLogin(bool ok) { ++(ok ? logins_ok : logins_failed); }
  void CountRefreshes(bool ok, size_t callers) {
    (ok ? refreshes_ok : refreshes_failed) += callers;
  }

  void PruneLocked(absl::Time now) {
    while (!remembered_order.empty() && remembered_order.front().first <= now) {
      auto entry = remembered.find(remembered_order.front().second);
      if (entry != remembered.end() && entry->second.until == remembered_order.front().first) {
        remembered.erase(entry);
      }
      remembered_order.pop_front();
    }
  }

  static void FinishLogin(const std::shared_ptr<Shared>& shared, uint64_t login, Outcome outcome) {
    LoginDone done;
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      auto pending = shared->logins.find(login);
      if (pending == shared->logins.end()) return;  // answered by the destructor
      done = std::move(pending->second);
      shared->logins.erase(pending);
    }
    shared->CountLogin(outcome.ok);
    done(outcome.ok, std::move(outcome.result), std::move(outcome.why));
  }

  static void FinishRefresh(const std::shared_ptr<Shared>& shared,
                            const std::shared_ptr<RefreshFlight>& flight, Outcome outcome,
                            absl::Time arrived) {
    if (!outcome.ok && outcome.why.reason != Reason::kRefreshFailed) {
      outcome.why = Rejection{
          Reason::kRefreshFailed,
          StrCat("refreshed ID token: ", ReasonName(outcome.why.reason), ": ", outcome.why.detail)};
    }
    std::vector<RefreshDone> waiters;
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      auto current = shared->flights.find(flight->session_id);
      if (current == shared->flights.end() || current->second != flight) return;
      shared->flights.erase(current);
      waiters.swap(flight->waiters);
      if (outcome.ok) {
        absl::Time until = arrived + kRememberRefresh;
        shared->remembered[flight->session_id] =
            Remembered{flight->token_hash, outcome.result, until};
        shared->remembered_order.emplace_back(until, flight->session_id);
      }
    }
    shared->CountRefreshes(outcome.ok, waiters.size());
    for (RefreshDone& waiter : waiters) waiter(outcome.ok, outcome.result, outcome.why);
  }
};

absl::StatusOr<std::unique_ptr<OidcClient>> OidcClient::Create(
    OidcConfig config, HttpClient* http, Scheduler* scheduler, const Clock& clock,
    std::unique_ptr<KeySource> id_token_keys, const RandomSource& random) {
  if (http == nullptr || scheduler == nullptr) {
    return absl::InvalidArgumentError("the OIDC client needs an HTTP client and a scheduler");
  }
  absl::StatusOr<std::unique_ptr<MetadataSource>> metadata =
      MetadataSource::Create(config, http, scheduler);
  if (!metadata.ok()) return metadata.status();
  absl::StatusOr<std::unique_ptr<IdTokenValidator>> validator =
      IdTokenValidator::Create(config, http, scheduler, std::move(id_token_keys));
  if (!validator.ok()) return validator.status();
  return std::unique_ptr<OidcClient>(new OidcClient(std::move(config), http, clock, random,
                                                    std::move(*metadata), std::move(*validator)));
}

OidcClient::OidcClient(OidcConfig config, HttpClient* http, const Clock& clock,
                       const RandomSource& random, std::unique_ptr<MetadataSource> metadata,
                       std::unique_ptr<IdTokenValidator> validator)
    : config_(std::move(config)), clock_(clock), random_(random),
      shared_(std::make_shared<Shared>()),
      token_client_(config_, http), metadata_(std::move(metadata)),
      validator_(std::move(validator)) {}

OidcClient::~OidcClient() {
  shared_->lifetime.End();
  absl::flat_hash_map<uint64_t, LoginDone> logins;
  std::vector<RefreshDone> refreshes;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    logins.swap(shared_->logins);
    for (auto& [session_id, flight] : shared_->flights) {
      for (RefreshDone& waiter : flight->waiters) refreshes.push_back(std::move(waiter));
      flight->waiters.clear();
    }
    shared_->flights.clear();
    shared_->remembered.clear();
    shared_->remembered_order.clear();
  }
  for (auto& [id, done] : logins) {
    shared_->CountLogin(false);
    done(false, LoginResult(),
         Rejection{Reason::kProviderUnavailable, "the OIDC client was shut down"});
  }
  shared_->CountRefreshes(false, refreshes.size());
  for (RefreshDone& done : refreshes) {
    done(false, LoginResult(), Rejection{Reason::kRefreshFailed, "the OIDC client was shut down"});
  }
  // The members go next: the validator's key sources run their waiters,
  // which find nothing left to answer.
}

bool OidcClient::Ready() const { return metadata_->Get() != nullptr; }

bool OidcClient::WaitReady(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  return metadata_->WaitReady(timeout) &&
         validator_->WaitReady(std::max(deadline - absl::Now(), absl::ZeroDuration()));
}

std::string OidcClient::last_error() const { return metadata_->last_error(); }

absl::StatusOr<FlowState> OidcClient::NewFlow(std::string return_to, absl::Time now) const {
  FlowState flow;
  for (std::string* secret : {&flow.state_id, &flow.nonce, &flow.code_verifier}) {
    absl::StatusOr<std::string> value = RandomUrlSafe(kRandomBytes, random_);
    if (!value.ok()) return value.status();
    *secret = std::move(*value);
  }
  flow.return_to = SafeReturnTarget(return_to).value_or("/");
  flow.created = now;
  return flow;
}

absl::StatusOr<std::string> OidcClient::AuthorizationUrl(const FlowState& flow,
                                                         std::string_view state_param) const {
  std::shared_ptr<const ProviderMetadata> metadata = metadata_->Get();
  if (metadata == nullptr) {
    return absl::UnavailableError(ToAbsl(StrCat("provider metadata not loaded: ", last_error())));
  }
  return BuildAuthorizationUrl(*metadata, config_, state_param, flow.nonce,
                               PkceChallengeS256(flow.code_verifier));
}

std::optional<std::string> OidcClient::CheckCallback(
    const std::vector<std::pair<std::string, std::string>>& params,
    const ProviderMetadata* metadata, Rejection* why) const {
  const std::string* error = nullptr;
  const std::string* code = nullptr;
  const std::string* iss = nullptr;
  for (const auto& [name, value] : params) {
    const std::string** slot = nullptr;
    if (name == "error") {
      slot = &error;
    } else if (name == "code") {
      slot = &code;
    } else if (name == "iss") {
      slot = &iss;
    } else {
      continue;
    }
    if (*slot != nullptr) {
      *why = Rejection{Reason::kAuthorizationError,
                       StrCat("the callback has parameter \"", name, "\" twice")};
      return std::nullopt;
    }
    *slot = &value;
  }
  // RFC 9207 2.4: a response from another provider (mix-up) is not even
  // read, errors included.
  if (iss != nullptr && *iss != config_.issuer) {
    *why = Rejection{Reason::kIssuerMismatch,
                     "the callback's \"iss\" is not the configured issuer (RFC 9207)"};
    return std::nullopt;
  }
  if (error != nullptr) {
    *why = Rejection{Reason::kAuthorizationError,
                     StrCat("the provider answered with error ", OAuthErrorForLog(*error))};
    return std::nullopt;
  }
  if (metadata == nullptr) {
    *why = Rejection{Reason::kProviderUnavailable, "provider metadata not loaded"};
    return std::nullopt;
  }
  if (iss == nullptr && metadata->authorization_response_iss_parameter_supported) {
    *why = Rejection{Reason::kIssuerMismatch,
                     "the callback lacks \"iss\", which the provider always sends (RFC 9207)"};
    return std::nullopt;
  }
  if (code == nullptr || code->empty()) {
    *why = Rejection{Reason::kAuthorizationError, "the callback has no \"code\""};
    return std::nullopt;
  }
  return *code;
}

void OidcClient::HandleCallback(const std::vector<std::pair<std::string, std::string>>& params,
                                const FlowState& flow, absl::Time now, LoginDone done) {
  std::shared_ptr<const ProviderMetadata> metadata = metadata_->Get();
  Rejection why;
  std::optional<std::string> code = CheckCallback(params, metadata.get(), &why);
  if (!code) {
    shared_->CountLogin(false);
    done(false, LoginResult(), std::move(why));
    return;
  }
  uint64_t login;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    login = ++shared_->last_login;
    shared_->logins.emplace(login, std::move(done));
  }
  ++shared_->token_requests;
  auto on_answer = [this, shared = shared_, login, nonce = flow.nonce,
                    now](absl::StatusOr<TokenResponse> response) {
    std::optional<Outcome> outcome;
    {
      Lifetime::Use use = shared->lifetime.Enter();
      if (!use) return;  // the destructor has answered
      outcome = OnCodeExchanged(login, nonce, now, std::move(response));
    }
    if (outcome) Shared::FinishLogin(shared, login, std::move(*outcome));
  };
  token_client_.ExchangeCode(*metadata, std::move(*code), flow.code_verifier, std::move(on_answer));
}

std::optional<OidcClient::Outcome> OidcClient::OnCodeExchanged(
    uint64_t login, const std::string& nonce, absl::Time now,
    absl::StatusOr<TokenResponse> response) {
  if (!response.ok()) {
    return Outcome::Failure(Reason::kTokenExchangeFailed,
                            std::string(FromAbsl(response.status().message())));
  }
  if (response->id_token.empty()) {
    return Outcome::Failure(Reason::kTokenExchangeFailed, "the token response has no id_token");
  }
  Outcome outcome;
  outcome.result.tokens = std::move(*response);
  outcome.result.access_token_expires_at = ExpiresAt(outcome.result.tokens, clock_.Now());
  bool final_now = validator_->ValidateAsync(
      outcome.result.tokens.id_token, nonce, now, &outcome.ok, &outcome.result.id_token,
      &outcome.why,
      [shared = shared_, login, result = outcome.result](bool ok, VerifiedToken token,
                                                         Rejection why) mutable {
        result.id_token = std::move(token);
        Shared::FinishLogin(shared, login, Outcome{ok, std::move(result), std::move(why)});
      });
  if (!final_now) return std::nullopt;
  return outcome;
}

void OidcClient::Refresh(std::string session_id, std::string refresh_token,
                         std::string previous_claims_json, absl::Time now, RefreshDone done) {
  auto fail = [this, &done](std::string detail) {
    shared_->CountRefreshes(false, 1);
    done(false, LoginResult(), Rejection{Reason::kRefreshFailed, std::move(detail)});
  };
  if (refresh_token.empty()) return fail("the session has no refresh token");
  JsonDocument claims;
  if (!claims.Parse(previous_claims_json, kClaimsLimits).ok() || !claims.root().is_object()) {
    return fail("the session's ID token claims are unreadable");
  }
  auto previous = std::make_shared<const JsonDocument>(std::move(claims));
  std::string token_hash = TokenHash(refresh_token);
  std::shared_ptr<RefreshFlight> flight;
  std::optional<LoginResult> remembered;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->PruneLocked(now);
    auto memo = shared_->remembered.find(session_id);
    auto running = shared_->flights.find(session_id);
    if (memo != shared_->remembered.end() && memo->second.token_hash == token_hash) {
      remembered = memo->second.result;
    } else if (running != shared_->flights.end()) {
      running->second->waiters.push_back(std::move(done));
      return;
    } else {
      flight = std::make_shared<RefreshFlight>();
      flight->session_id = session_id;
      flight->token_hash = std::move(token_hash);
      flight->refresh_token = std::move(refresh_token);
      flight->waiters.push_back(std::move(done));
      shared_->flights.emplace(std::move(session_id), flight);
    }
  }
  if (remembered) {
    shared_->CountRefreshes(true, 1);
    done(true, std::move(*remembered), Rejection());
    return;
  }
  std::shared_ptr<const ProviderMetadata> metadata = metadata_->Get();
  if (metadata == nullptr) {
    Shared::FinishRefresh(shared_, flight,
                          Outcome::Failure(Reason::kRefreshFailed, "provider metadata not loaded"),
                          now);
    return;
  }
  ++shared_->token_requests;
  auto on_answer = [this, shared = shared_, flight, previous = std::move(previous),
                    now](absl::StatusOr<TokenResponse> response) {
    std::optional<Outcome> outcome;
    absl::Time arrived;
    {
      Lifetime::Use use = shared->lifetime.Enter();
      if (!use) return;  // the destructor has answered
      arrived = clock_.Now();
      outcome = OnRefreshed(flight, previous, now, arrived, std::move(response));
    }
    if (outcome) Shared::FinishRefresh(shared, flight, std::move(*outcome), arrived);
  };
  token_client_.Refresh(*metadata, flight->refresh_token, std::move(on_answer));
}

std::optional<OidcClient::Outcome> OidcClient::OnRefreshed(
    const std::shared_ptr<RefreshFlight>& flight, std::shared_ptr<const JsonDocument> previous,
    absl::Time now, absl::Time arrived, absl::StatusOr<TokenResponse> response) {
  if (!response.ok()) {
    return Outcome::Failure(Reason::kRefreshFailed,
                            std::string(FromAbsl(response.status().message())));
  }
  Outcome outcome;
  outcome.result.tokens = std::move(*response);
  if (outcome.result.tokens.refresh_token.empty()) {
    outcome.result.tokens.refresh_token = flight->refresh_token;
  }
  outcome.result.access_token_expires_at = ExpiresAt(outcome.result.tokens, arrived);
  if (outcome.result.tokens.id_token.empty()) {
    outcome.ok = true;
    return outcome;
  }
  bool final_now = validator_->ValidateRefreshedAsync(
      outcome.result.tokens.id_token, std::move(previous), now, &outcome.ok,
      &outcome.result.id_token, &outcome.why,
      [shared = shared_, flight, arrived, result = outcome.result](bool ok, VerifiedToken token,
                                                                   Rejection why) mutable {
        result.id_token = std::move(token);
        Shared::FinishRefresh(shared, flight, Outcome{ok, std::move(result), std::move(why)},
                              arrived);
      });
  if (!final_now) return std::nullopt;
  return outcome;
}

std::optional<std::string> OidcClient::LogoutUrl(std::string_view id_token_hint) const {
  std::shared_ptr<const ProviderMetadata> metadata = metadata_->Get();
  if (metadata == nullptr || !metadata->end_session_endpoint) return std::nullopt;
  std::string query;
  if (!id_token_hint.empty()) AppendFormParam(&query, "id_token_hint", id_token_hint);
  if (config_.post_logout_redirect_uri) {
    AppendFormParam(&query, "post_logout_redirect_uri", *config_.post_logout_redirect_uri);
  }
  AppendFormParam(&query, "client_id", config_.client_id);
  return WithQuery(*metadata->end_session_endpoint, query);
}

OidcStats OidcClient::Stats() const {
  OidcStats stats;
  stats.logins_ok = shared_->logins_ok.load();
  stats.logins_failed = shared_->logins_failed.load();
  stats.refreshes_ok = shared_->refreshes_ok.load();
  stats.refreshes_failed = shared_->refreshes_failed.load();
  stats.token_requests = shared_->token_requests.load();
  return stats;
}

}  // namespace authgate
