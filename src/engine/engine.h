// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// engine.h: evaluate(request) -> decision, the whole decision of the sidecar
// kept host-independent, so that the proxy and the Python and Go hosts make
// exactly the same decisions from the same configuration.
//
//   absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(config_json);
//   Decision d;
//   if (!(*engine)->EvaluateAsync(request, &d, [](absl::StatusOr<Decision> later) { ... })) {
//     return;  // a token exchange, refresh or key refetch is under way
//   }
//   Carry(d);
//
// For each request, in this order: the method is checked (400 unless an
// upper-case HTTP token); the path is normalised (400 when it is
// malformed or climbs above the root); the callback and sign-out paths are
// handled; the first matching rule decides what identity is needed (no rule:
// 403, fail closed); the identity is established (Bearer JWT, browser
// session, or either); the rule's claim conditions are checked; and the
// upstream request is prepared: client-sent copies of every identity header
// and method overrides are stripped, tokens that did not verify removed,
// identity headers set, authgate's cookies removed.
//
// Threads: Evaluate() and EvaluateAsync() may be called from any number of
// threads at once. EvaluateAsync() answers at once (returning true) unless a
// step needs the network; then `done` runs exactly once on the engine's
// delivery thread (delivery.h), never inside EvaluateAsync(), never under a
// lock of the library, and never on the HTTP client's or the scheduler's
// thread; it may block, take the host's own lock, or call the engine again.
// (A network step that completes before EvaluateAsync() returns is answered
// inline: true, and `done` never runs.)
// Evaluate() waits for such a step up to `evaluate_timeout` and then answers
// 504. Destroying the engine never waits for a `done` and never runs one:
// each call still pending gets Cancelled, on the delivery thread, after the
// destructor has returned.
// fork(): the engine's threads are started again in the child (after_fork.h).

#ifndef AUTHGATE_SRC_ENGINE_ENGINE_H_
#define AUTHGATE_SRC_ENGINE_ENGINE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/config_loader.h"
#include "engine/decision.h"
#include "engine/request.h"
#include "net/http_client.h"
#include "random.h"
#include "reason.h"
#include "scheduler.h"

namespace authgate {

// EngineDependencies replace the engine's defaults (tests; hosts with their
// own event loop may bring a scheduler).
struct EngineDependencies {
  std::unique_ptr<HttpClient> http;      // default: libcurl, with the `http` settings
  std::unique_ptr<Scheduler> scheduler;  // default: a thread on the system clock
  Environment environment;               // default: the process environment
  // Default: OpenSSL's CSPRNG. Must outlive the engine.
  const RandomSource* random = nullptr;
};

struct EngineStats {
  std::array<uint64_t, kOutcomeCount> outcomes{};  // by Outcome
  std::array<uint64_t, kMaxReason + 1> reasons{};  // refusals by Reason
  uint64_t logins_started = 0;
  uint64_t logins_completed = 0;
  uint64_t logins_failed = 0;
  uint64_t refreshes = 0;
  uint64_t refresh_failures = 0;
  // Summed over the `jwt` providers: key fetches by result, and the
  // verified-token cache's hits and misses.
  uint64_t jwks_fetch_successes = 0;
  uint64_t jwks_fetch_failures = 0;
  uint64_t token_cache_hits = 0;
  uint64_t token_cache_misses = 0;
};

class Engine {
 public:
  // Done receives the decision, or Cancelled when the engine was destroyed
  // before it was known.
  using Done = std::function<void(absl::StatusOr<Decision>)>;

  // Create parses the configuration (docs/config.md, "engine"), resolves its
  // references, and starts the key and discovery fetches.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(std::string_view json,
                                                        EngineDependencies dependencies = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // EvaluateAsync decides at once when it can: returns true with *out set.
  // Otherwise returns false and `done` receives the decision later.
  bool EvaluateAsync(const Request& request, Decision* out, Done done) const;

  // Evaluate decides, waiting up to evaluate_timeout for network steps.
  Decision Evaluate(const Request& request) const;

  // WaitReady blocks until every key source and the provider's metadata are
  // loaded, or `timeout` passes. Ready tells without blocking.
  bool WaitReady(absl::Duration timeout) const;
  bool Ready() const;

  EngineStats Stats() const;

  // KeyError names `jwt` provider number `index` (configuration order) and
  // gives the error of its last key fetch: "" when it succeeded, else no
  // secret, only a status, a transport error, or why the document was
  // refused (the errors of a provider's several sources joined by "; ").
  // nullopt past the last provider.
  std::optional<std::pair<std::string, std::string>> KeyError(size_t index) const;
  // Warnings about the configuration (e.g. cookies without Secure).
  const std::vector<std::string>& warnings() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_ENGINE_ENGINE_H_
