// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// bearer_check.cc: the Bearer JWT requirements (any of, all of, allow missing,
// allow missing or failed) and the RFC 6750 challenges.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/internal/engine_impl.h"
#include "jwt/jwt_verifier.h"
#include "text.h"

namespace authgate {

using internal::kClaimsLimits;
using internal::Respond;

Decision Engine::Impl::Challenge(int status, Outcome outcome, Reason reason, std::string detail,
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

void Engine::Impl::CheckJwtAny(const std::shared_ptr<Evaluation>& eval, Finish finish) const {
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
    std::optional<std::string> issuer = PeekIssuer(tokens[0].value, kClaimsLimits);
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

void Engine::Impl::TryProviders(const std::shared_ptr<Evaluation>& eval, ExtractedToken token,
                                std::vector<const Provider*> candidates, size_t index,
                                Rejection first_failure, Finish finish) const {
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

void Engine::Impl::CheckJwtAll(const std::shared_ptr<Evaluation>& eval, size_t index,
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

}  // namespace authgate
