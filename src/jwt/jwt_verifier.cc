// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwt/jwt_verifier.h"

#include <atomic>
#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "jose/jws.h"
#include "text.h"

namespace authgate {
namespace {

// Claims are a flat-ish object; nested claims (realm_access.roles) add a few
// levels.
constexpr int kClaimsMaxDepth = 16;

// ParseClaims parses a compact JWS and its payload, which must be a JSON
// object within `limits`.
bool ParseClaims(std::string_view token, JsonLimits limits, ParsedJws* jws, JsonDocument* claims,
                 Rejection* why) {
  if (!ParsedJws::Parse(token, jws, why)) return false;
  absl::InlinedVector<char, 1024> payload;
  if (!jws->DecodePayload(&payload, why)) return false;
  absl::Status parsed = claims->Parse(std::string_view(payload.data(), payload.size()), limits);
  if (!parsed.ok()) {
    why->reason = Reason::kMalformed;
    why->detail = StrCat("claims: ", parsed.message());
    return false;
  }
  if (!claims->root().is_object()) {
    why->reason = Reason::kMalformed;
    why->detail = "claims are not a JSON object";
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> PeekIssuer(std::string_view token, JsonLimits limits) {
  ParsedJws jws;
  JsonDocument claims;
  Rejection ignored;
  if (!ParseClaims(token, limits, &jws, &claims, &ignored)) return std::nullopt;
  JsonValue iss = claims.root().Find("iss");
  if (!iss.is_string()) return std::nullopt;
  return std::string(iss.string());
}

struct JwtVerifier::Pending {
  std::atomic<bool> answered{false};  // by the refetch, the bound, or the destructor
  std::string token;
  AsyncDone done;
};

struct JwtVerifier::AsyncCalls {
  Lifetime lifetime;
  std::mutex mutex;
  absl::flat_hash_set<std::shared_ptr<Pending>> pending;

  void Forget(const std::shared_ptr<Pending>& call) {
    std::lock_guard<std::mutex> lock(mutex);
    pending.erase(call);
  }
};

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    std::shared_ptr<const KeySet> keys, JwtVerifierOptions options) {
  if (keys == nullptr || keys->size() == 0) return absl::InvalidArgumentError("no keys");
  std::vector<KeyProvider> providers(1);
  providers[0].keys = KeySource::Fixed(std::move(keys), {});
  return Create(std::move(providers), std::move(options), nullptr, nullptr);
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    std::vector<KeyProvider> providers, JwtVerifierOptions options,
    std::unique_ptr<HttpClient> http, std::unique_ptr<Scheduler> scheduler) {
  // Own everything first: the verifier's destructor tears the key sources,
  // the HTTP client and the scheduler down in a safe order, also on failure.
  Scheduler* shared = scheduler.get();
  auto verifier = std::unique_ptr<JwtVerifier>(new JwtVerifier(
      std::move(providers), std::move(options), std::move(http), std::move(scheduler), shared));
  // Its callbacks go to a host: they get a thread of their own.
  verifier->delivery_ = std::make_unique<Delivery>();
  return Finish(std::move(verifier));
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    std::vector<KeyProvider> providers, JwtVerifierOptions options, Scheduler* shared_scheduler) {
  return Finish(std::unique_ptr<JwtVerifier>(new JwtVerifier(
      std::move(providers), std::move(options), nullptr, nullptr, shared_scheduler)));
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Finish(
    std::unique_ptr<JwtVerifier> verifier) {
  if (verifier->providers_.empty()) return absl::InvalidArgumentError("no key provider");
  for (const KeyProvider& provider : verifier->providers_) {
    if (verifier->providers_.size() > 1 && !provider.issuer) {
      return absl::InvalidArgumentError("with several providers, each needs an issuer");
    }
    // Keys already known (fixed ones): refuse a configuration no token can pass.
    const KeySet* keys = provider.keys->Keys();
    if (keys != nullptr && (verifier->options_.algorithms & keys->algorithms()).empty()) {
      return absl::InvalidArgumentError(
          "none of the allowed algorithms can be verified with the configured keys");
    }
  }
  return verifier;
}

JwtVerifier::JwtVerifier(std::vector<KeyProvider> providers, JwtVerifierOptions options,
                         std::unique_ptr<HttpClient> http, std::unique_ptr<Scheduler> scheduler,
                         Scheduler* scheduler_in_use)
    : options_(std::move(options)), cache_(options_.cache),
      async_(std::make_shared<AsyncCalls>()), scheduler_(std::move(scheduler)),
      http_(std::move(http)), scheduler_in_use_(scheduler_in_use),
      providers_(std::move(providers)) {
  jws_options_.allowed = options_.algorithms;
  jws_options_.max_key_candidates = options_.max_key_candidates;
}

JwtVerifier::~JwtVerifier() {
  // Answers in progress finish (they only compute and post); later ones do
  // nothing. Every call still unanswered is cancelled, exactly once.
  async_->lifetime.End();
  std::vector<std::shared_ptr<Pending>> unanswered;
  {
    std::lock_guard<std::mutex> lock(async_->mutex);
    unanswered.assign(async_->pending.begin(), async_->pending.end());
    async_->pending.clear();
  }
  for (const std::shared_ptr<Pending>& call : unanswered) {
    if (call->answered.exchange(true)) continue;
    Deliver(std::move(call->done), absl::CancelledError("the verifier was destroyed"), false,
            VerifiedToken(), Rejection());
  }
  // Close the key sources first: once closed, an HTTP answer or a timer
  // still in flight schedules and sends nothing, so the scheduler and the
  // HTTP client can then go. Their threads run no host code: joining them
  // cannot wait on a host's lock.
  providers_.clear();
  scheduler_.reset();
  http_.reset();
  // Last: its thread, detached, delivers the cancellations after we return.
  delivery_.reset();
}

void JwtVerifier::Deliver(AsyncDone done, absl::Status status, bool valid, VerifiedToken token,
                          Rejection why) const {
  if (delivery_ == nullptr) {
    done(std::move(status), valid, std::move(token), std::move(why));
    return;
  }
  delivery_->Post([done = std::move(done), status = std::move(status), valid,
                   token = std::move(token), why = std::move(why)]() mutable {
    done(std::move(status), valid, std::move(token), std::move(why));
  });
}

const Clock& JwtVerifier::clock() const {
  return scheduler_in_use_ != nullptr ? scheduler_in_use_->clock() : Clock::System();
}

const KeyProvider* JwtVerifier::SelectProvider(JsonValue claims, Rejection* why) const {
  if (providers_.size() == 1 && !providers_[0].issuer) return &providers_[0];
  JsonValue iss = claims.Find("iss");
  if (!iss.is_string()) {
    why->reason = iss.valid() ? Reason::kInvalidClaim : Reason::kMissingClaim;
    why->detail = "\"iss\" (a string) is needed to choose the provider's keys";
    return nullptr;
  }
  for (const KeyProvider& provider : providers_) {
    if (provider.issuer && *provider.issuer == iss.string()) return &provider;
  }
  why->reason = Reason::kKeyNotFound;
  why->detail = "no key provider for the token's issuer";
  return nullptr;
}

bool JwtVerifier::Verify(std::string_view token, absl::Time now, VerifiedToken* out,
                         Rejection* why) const {
  const KeyProvider* retry_with = nullptr;
  if (VerifyNow(token, now, out, why, &retry_with)) return true;
  // Never wait here: ask for a background refetch (single-flight and
  // rate-limited by the source) so that a rotated key is known soon.
  if (retry_with != nullptr) retry_with->keys->RefreshForUnknownKey(nullptr);
  return false;
}

bool JwtVerifier::VerifyNow(std::string_view token, absl::Time now, VerifiedToken* out,
                            Rejection* why, const KeyProvider** retry_with) const {
  if (token.size() > options_.max_token_size) {
    why->reason = Reason::kTokenTooLarge;
    why->detail = StrCat("token of ", token.size(), " bytes exceeds the maximum of ",
                         options_.max_token_size);
    return false;
  }
  // Only the cache needs the key generation: skip the per-provider calls
  // when it is off.
  uint64_t key_generation = 0;
  if (cache_.enabled()) {
    for (const KeyProvider& provider : providers_) key_generation += provider.keys->Generation();
  }
  if (cache_.enabled()) {
    std::shared_ptr<const TokenRecord> record;
    if (cache_.Lookup(token, absl::ToDoubleSeconds(now - absl::UnixEpoch()),
                      out ? &record : nullptr, key_generation)) {
      if (out != nullptr) *out = VerifiedToken(std::move(record));
      return true;
    }
  }

  ParsedJws jws;
  JsonDocument claims;
  if (!ParseClaims(token, JsonLimits{options_.max_token_size, kClaimsMaxDepth}, &jws, &claims,
                   why)) {
    return false;
  }

  const KeyProvider* provider = SelectProvider(claims.root(), why);
  if (provider == nullptr) return false;
  const KeySet* keys = provider->keys->Keys();
  if (keys == nullptr) {
    why->reason = Reason::kJwksUnavailable;
    why->detail = StrCat("no keys from ", provider->keys->Stats().location, " yet");
    *retry_with = provider;
    return false;
  }
  const SignatureKey* key = VerifyJwsSignature(jws, *keys, jws_options_, why);
  if (key == nullptr) {
    if (why->reason == Reason::kKeyNotFound) *retry_with = provider;
    return false;
  }
  if (!CheckType(jws.typ(), options_.claims, why)) return false;
  ClaimTimes times;
  if (!ValidateClaims(claims.root(), options_.claims, now, &times, why)) return false;

  if (out == nullptr && !cache_.enabled()) return true;
  auto record = std::make_shared<TokenRecord>();
  record->algorithm = *jws.algorithm();
  record->kid = key->kid();
  record->header = jws.ReleaseHeader();
  record->claims = std::move(claims);
  record->times = times;
  record->key_generation = key_generation;
  if (cache_.enabled()) cache_.Insert(token, record);
  if (out != nullptr) *out = VerifiedToken(std::move(record));
  return true;
}

bool JwtVerifier::VerifyAsync(std::string_view token, bool* valid, VerifiedToken* out,
                              Rejection* why, AsyncDone done) const {
  const KeyProvider* retry_with = nullptr;
  *valid = VerifyNow(token, clock().Now(), out, why, &retry_with);
  if (*valid || retry_with == nullptr || scheduler_in_use_ == nullptr) return true;

  // Whichever comes first, the refetch, the bound or the destructor,
  // answers; once.
  auto pending = std::make_shared<Pending>();
  pending->token = std::string(token);
  pending->done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(async_->mutex);
    async_->pending.insert(pending);
  }
  auto answer = [this, pending, async = async_] {
    AsyncDone engine_step;
    VerifiedToken result;
    Rejection reason;
    bool ok = false;
    {
      Lifetime::Use use = async->lifetime.Enter();
      if (!use || pending->answered.exchange(true)) return;  // cancelled, or answered
      async->Forget(pending);
      const KeyProvider* ignored = nullptr;
      ok = VerifyNow(pending->token, clock().Now(), &result, &reason, &ignored);
      if (delivery_ != nullptr) {
        return Deliver(std::move(pending->done), absl::OkStatus(), ok, std::move(result),
                       std::move(reason));
      }
      engine_step = std::move(pending->done);
    }
    // Library code (see the class comment), run once the verifier may go.
    engine_step(absl::OkStatus(), ok, std::move(result), std::move(reason));
  };
  if (!retry_with->keys->RefreshForUnknownKey(answer)) {  // rate-limited: final
    async_->Forget(pending);
    return true;
  }
  scheduler_in_use_->RunAt(clock().Now() + options_.async_timeout, answer);
  return false;
}

bool JwtVerifier::WaitReady(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  for (const KeyProvider& provider : providers_) {
    if (!provider.keys->WaitForKeys(std::max(deadline - absl::Now(), absl::ZeroDuration()))) {
      return false;
    }
  }
  return true;
}

void JwtVerifier::Refresh() const {
  for (const KeyProvider& provider : providers_) provider.keys->Refresh();
}

}  // namespace authgate
