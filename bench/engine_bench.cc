// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// engine_bench.cc: how many requests per second the decision engine decides,
// in process, for each kind of request, and what the engine adds to a bare
// JwtVerifier::Verify of the same token. bench/README.md ("The decision
// engine") says what each benchmark measures.
//
// Every engine runs on a ManualScheduler over one ManualClock that never
// moves, so tokens and the session stay valid and the session cookie is
// never rewritten. The browser engine talks to the engine tests' in-process
// OpenID Provider; a login is played through it once, before any timing.
//
// Names: single-thread benchmarks are registered without any modifier that
// appends to a name; the two-thread runs are separate registrations with
// Threads(2) (BM_EngineBearerParallel/<ALG>/threads:2,
// BM_EngineSessionParallel/threads:2). Every benchmark reports
// items_per_second (one item = one decision or verification); the two-thread
// runs also report all_threads_per_second, the combined wall-clock rate.
//
// Modes without Google Benchmark, for noisy machines:
// --profile=NAME [--iterations=N] runs the operation of the single-thread
// benchmark NAME N times inside ProfileLoop, for instruction counts:
//   valgrind --tool=callgrind --toggle-collect='*ProfileLoop*'
//       engine_bench --profile=BM_EngineBearer/HS256 --iterations=2000
// --compare=A,B [--iterations=N] [--rounds=R] alternates batches of N
// iterations of A and of B, R times, and prints the median of the per-round
// ratios of their costs (thread CPU time): a ratio that survives the machine
// changing speed between two Google Benchmark runs.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/time/time.h"
#include "clock.h"
#include "engine/engine.h"
#include "engine/engine_config.h"
#include "engine/fake_identity_provider.h"
#include "jwt/jwt_verifier.h"
#include "jwt/verifier_config.h"
#include "net/query_string.h"
#include "paired_runs.h"
#include "scheduler.h"
#include "support/token_factory.h"
#include "text.h"

namespace authgate {
namespace {

using testing::FakeIdentityProvider;
using testing::TestKey;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kIssuedAt = 1767225600;  // 2026-01-01T00:00:00Z
const absl::Time kNow = absl::FromUnixSeconds(kIssuedAt + 120);
constexpr std::string_view kIssuer = "https://login.example.com/realms/prod";
constexpr std::string_view kSubject = "8f14e45f-ceea-467f-a0e6-4b1d2c3a9e71";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "engine_bench: %s\n", what.c_str());
  std::exit(1);
}

// The access token of bench/verify_bench.cc (11 claims), with api:read in
// its scope for the route's claim condition.
std::string Payload() {
  return StrCat(R"({"iss":")", kIssuer, R"(","sub":")", kSubject,
                R"(","aud":["api://orders","api://billing"],"exp":)", kIssuedAt + 3600,
                R"(,"nbf":)", kIssuedAt, R"(,"iat":)", kIssuedAt,
                R"(,"jti":"5c8e2f0a-7d1b-4e3a-9b6c-2f4d8a1e0c7b","azp":"orders-web",)",
                R"("scope":"openid profile email orders:read api:read",)",
                R"("email":"jane.doe@example.com","roles":["orders-reader","orders-writer"]})");
}

// One Bearer route, keys inline; the verifier's claim rules as in
// verify_bench (issuer, audience, lifetime). With `token_cache`, the
// provider has no token_cache key: the engine's default, the cache on.
// Without, `"token_cache": {"max_entries": 0}` turns it off.
std::string BearerConfig(const std::string& jwks, bool token_cache) {
  return StrCat(R"({"jwt": {"providers": {"p": {
      "issuer": ")", kIssuer, R"(", "audiences": ["api://orders"], "max_lifetime": "24h",
      "jwks": )", jwks, token_cache ? "" : R"(, "token_cache": {"max_entries": 0})", R"(,
      "claim_to_headers": [{"claim": "sub", "header": "x-user"}]}}},
    "rules": [{"name": "api", "match": {"prefix": "/api"}, "requires": {"jwt": ["p"]},
               "claims": {"scope": {"contains": "api:read"}}}]})");
}

// A site with browser login at the fake provider and a public prefix.
std::string BrowserConfig() {
  return StrCat(R"({
    "session": {"secret": "0123456789abcdef0123456789abcdef-bench", "lifetime": "8h",
                "idle_timeout": "1h"},
    "oidc": {"issuer": "https://idp.test", "client_id": ")", FakeIdentityProvider::kClientId,
                R"(", "client_secret": ")", FakeIdentityProvider::kClientSecret, R"(",
             "redirect_uri": "https://app.test/callback", "scopes": ["openid", "profile", "email"],
             "claim_to_headers": [{"claim": "sub", "header": "x-user"}]},
    "rules": [
      {"name": "public", "match": {"prefix": "/public"}, "requires": "none"},
      {"name": "app", "match": {"prefix": "/"}, "requires": "login"}
    ]})");
}

std::optional<std::string> HeaderOf(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

std::string Describe(const Decision& d) {
  return StrCat("status ", d.status, " outcome ", OutcomeName(d.outcome), " reason ",
                ReasonName(d.reason), ": ", d.detail);
}

Request ApiRequest(const std::string& token) {
  Request r;
  r.method = "GET";
  r.scheme = "https";
  r.authority = "api.example.com";
  r.target = "/api/orders?page=2&limit=50";
  r.headers = {{"Accept", "application/json"},
               {"User-Agent", "orders-cli/2.4 (linux; x86_64)"},
               {"Authorization", StrCat("Bearer ", token)},
               {"Accept-Encoding", "gzip, br"},
               {"X-Request-Id", "6f1c2a9e-3b7d-4c15-8e2f-0a9b7c6d5e4f"}};
  r.client_address = "192.0.2.7";
  return r;
}

Request BrowserRequest(std::string target, std::string cookie = "") {
  Request r;
  r.method = "GET";
  r.scheme = "https";
  r.authority = "app.test";
  r.target = std::move(target);
  r.headers = {{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
               {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101"},
               {"Accept-Language", "en-GB,en;q=0.5"}};
  if (!cookie.empty()) r.headers.emplace_back("Cookie", std::move(cookie));
  r.client_address = "192.0.2.7";
  return r;
}

// An engine on a ManualScheduler over `clock`, talking to `idp`, once its
// keys and provider metadata are loaded.
std::unique_ptr<Engine> MakeEngine(const std::string& config, ManualClock& clock,
                                   FakeIdentityProvider& idp) {
  auto scheduler = std::make_unique<ManualScheduler>(clock);
  ManualScheduler* raw = scheduler.get();
  EngineDependencies deps;
  deps.http = idp.NewClient();
  deps.scheduler = std::move(scheduler);
  deps.environment = [](std::string_view) { return std::nullopt; };
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(config, std::move(deps));
  if (!engine.ok()) Die(StrCat("Engine::Create: ", engine.status().message()));
  for (int i = 0; i < 2500 && !(*engine)->Ready(); ++i) {
    raw->RunDue();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!(*engine)->Ready()) Die("the engine did not become ready");
  return std::move(*engine);
}

// The verifier the engine builds for provider "p" of `config`: same key
// provider, same options, same kind of scheduler (Engine::Create).
std::unique_ptr<JwtVerifier> VerifierOf(const std::string& config, Scheduler* scheduler) {
  absl::StatusOr<EngineConfig> parsed =
      ParseEngineConfig(config, [](std::string_view) { return std::nullopt; });
  if (!parsed.ok()) Die(StrCat("ParseEngineConfig: ", parsed.status().message()));
  const JwtProviderConfig& provider = parsed->providers.front();
  absl::StatusOr<KeyProvider> keys =
      MakeKeyProvider(provider.keys, parsed->file_check_interval, nullptr, nullptr);
  if (!keys.ok()) Die(StrCat("MakeKeyProvider: ", keys.status().message()));
  std::vector<KeyProvider> list;
  list.push_back(std::move(*keys));
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      JwtVerifier::Create(std::move(list), provider.options, scheduler);
  if (!verifier.ok()) Die(StrCat("JwtVerifier::Create: ", verifier.status().message()));
  return std::move(*verifier);
}

// Everything one algorithm's benchmarks share, built once before any run.
struct BearerCase {
  std::string alg;
  std::string token;
  Request request;
  std::unique_ptr<Engine> engine;         // "token_cache": {"max_entries": 0}
  std::unique_ptr<Engine> cached_engine;  // no token_cache key: the default, on
  // The baseline: the engine's verifiers, rebuilt outside it. The scheduler
  // goes after them.
  std::unique_ptr<ManualScheduler> scheduler;
  std::unique_ptr<JwtVerifier> verifier;
  std::unique_ptr<JwtVerifier> cached_verifier;
};

// Everything, in the order it must be destroyed in reverse: engines hold
// clients of the provider, which reads the clock.
struct World {
  ManualClock clock{kNow};
  FakeIdentityProvider idp{"https://idp.test", clock};
  std::vector<std::unique_ptr<BearerCase>> bearer;
  std::unique_ptr<Engine> browser_engine;
  Request session_request;    // a logged-in browser, with one cookie of the site's own
  Request public_request;     // a requires:none route
  Request anonymous_request;  // a browser without session on a login route
};

void CheckBearer(const BearerCase& c) {
  for (const Engine* engine : {c.engine.get(), c.cached_engine.get()}) {
    for (int i = 0; i < 2; ++i) {  // the second a cache hit, when the cache is on
      Decision d = engine->Evaluate(c.request);
      if (d.action != Decision::Action::kAllow) Die(c.alg + " Bearer request: " + Describe(d));
      if (HeaderOf(d.set_headers, "x-user") != std::string(kSubject) ||
          !Contains(d.remove_headers, "authorization") || !Contains(d.remove_headers, "x-user")) {
        Die(c.alg + " Bearer request: the upstream headers are not as expected");
      }
    }
  }
  // A corrupted signature must fail, so that no benchmark can measure an
  // engine or verifier that accepts anything.
  std::string bad = c.token;
  size_t at = bad.rfind('.') + 5;
  bad[at] = bad[at] == 'A' ? 'B' : 'A';
  Decision refused = c.engine->Evaluate(ApiRequest(bad));
  if (refused.status != 401) Die(c.alg + " engine accepts a bad signature: " + Describe(refused));
  Rejection why;
  VerifiedToken out;
  if (!c.verifier->Verify(c.token, kNow, &out, &why)) {
    Die(c.alg + " token does not verify: " + std::string(ReasonName(why.reason)));
  }
  if (c.verifier->Verify(bad, kNow, &out, &why)) Die(c.alg + " verifier accepts a bad signature");
  if (c.engine->Stats().token_cache_hits != 0 || c.cached_engine->Stats().token_cache_hits == 0) {
    Die(c.alg + " engines: the cache is not on by default, or not off with max_entries 0");
  }
  uint64_t hits = c.cached_verifier->cache().hits();
  if (!c.cached_verifier->Verify(c.token, kNow, &out, &why) ||
      !c.cached_verifier->Verify(c.token, kNow, &out, &why) ||
      c.cached_verifier->cache().hits() == hits) {
    Die(c.alg + " cached verifier does not hit");
  }
}

std::unique_ptr<BearerCase> MakeBearerCase(World& world, std::string alg, TestKey key) {
  auto c = std::make_unique<BearerCase>();
  c->alg = std::move(alg);
  std::string kid = "bench-" + c->alg;
  c->token = testing::SignToken(
      key, c->alg, StrCat(R"({"alg":")", c->alg, R"(","typ":"JWT","kid":")", kid, R"("})"),
      Payload());
  c->request = ApiRequest(c->token);
  std::string jwks = key.PublicJwks(kid, c->alg);
  c->engine = MakeEngine(BearerConfig(jwks, false), world.clock, world.idp);
  c->cached_engine = MakeEngine(BearerConfig(jwks, true), world.clock, world.idp);
  c->scheduler = std::make_unique<ManualScheduler>(world.clock);
  c->verifier = VerifierOf(BearerConfig(jwks, false), c->scheduler.get());
  c->cached_verifier = VerifierOf(BearerConfig(jwks, true), c->scheduler.get());
  CheckBearer(*c);
  return c;
}

// Plays a login through the engine and the fake provider, as a browser
// would; returns the Cookie header the browser then sends.
std::string LogIn(World& world, const std::string& target) {
  const Engine& engine = *world.browser_engine;
  Decision start = engine.Evaluate(BrowserRequest(target));
  std::string location = HeaderOf(start.response_headers, "location").value_or("");
  std::optional<std::string> flow_cookie = HeaderOf(start.response_headers, "set-cookie");
  if (start.status != 302 || !flow_cookie) Die("login start: " + Describe(start));
  std::string state;
  for (const auto& [name, value] : ParseQueryString(location.substr(location.find('?') + 1))) {
    if (name == "state") state = value;
  }
  std::string code = world.idp.Authorize(location);
  if (code.empty() || state.empty()) Die("the provider refused the authorization request");
  Decision callback = engine.Evaluate(
      BrowserRequest(StrCat("/callback?code=", code, "&state=", state,
                            "&iss=https%3A%2F%2Fidp.test"),
                     flow_cookie->substr(0, flow_cookie->find(';'))));
  if (callback.outcome != Outcome::kLoggedIn) Die("login callback: " + Describe(callback));
  std::string cookies;
  for (const auto& [name, line] : callback.response_headers) {
    if (name != "set-cookie" || line.find("Max-Age=0") != std::string::npos) continue;
    cookies += StrCat(cookies.empty() ? "" : "; ", line.substr(0, line.find(';')));
  }
  return cookies;
}

void SetUpBrowser(World& world) {
  world.browser_engine = MakeEngine(BrowserConfig(), world.clock, world.idp);
  const Engine& engine = *world.browser_engine;
  std::string session_cookies = LogIn(world, "/orders/42?tab=items");
  world.session_request =
      BrowserRequest("/orders/42?tab=items", StrCat("theme=dark; ", session_cookies));
  world.public_request = BrowserRequest("/public/assets/app.css?v=3");
  world.public_request.headers.emplace_back("X-User", "mallory");
  world.anonymous_request = BrowserRequest("/orders/42?tab=items");

  Decision d = engine.Evaluate(world.session_request);
  if (d.action != Decision::Action::kAllow) Die("session request: " + Describe(d));
  if (HeaderOf(d.set_headers, "x-user") != "alice" ||
      HeaderOf(d.set_headers, "cookie") != "theme=dark" || !d.response_headers.empty()) {
    Die("session request: the upstream headers are not as expected (or the cookie was rewritten)");
  }
  Request forged = world.session_request;
  std::string& cookie = forged.headers.back().second;
  cookie[cookie.size() - 5] = cookie[cookie.size() - 5] == 'A' ? 'B' : 'A';
  if (engine.Evaluate(forged).action == Decision::Action::kAllow) {
    Die("a tampered session cookie is accepted");
  }
  d = engine.Evaluate(world.public_request);
  if (d.action != Decision::Action::kAllow || !Contains(d.remove_headers, "x-user")) {
    Die("public request: " + Describe(d));
  }
  d = engine.Evaluate(world.anonymous_request);
  if (d.status != 302 || !HeaderOf(d.response_headers, "set-cookie")) {
    Die("anonymous request: " + Describe(d));
  }
}

std::unique_ptr<World> MakeWorld() {
  auto world = std::make_unique<World>();
  world->bearer.push_back(MakeBearerCase(*world, "RS256", TestKey::Rsa(2048)));
  world->bearer.push_back(MakeBearerCase(*world, "ES256", TestKey::Ec("P-256")));
  world->bearer.push_back(
      MakeBearerCase(*world, "HS256", TestKey::Hmac("bench-hmac-secret-0123456789abcdef")));
  SetUpBrowser(*world);
  return world;
}

// ---------------------------------------------------------------------------
// The operations measured: one decision (or verification) per call, true
// when it is the expected one. Each only reads what it captured, so one
// operation serves both threads of a two-thread run.

using Op = std::function<bool()>;

Op EvaluateOp(const Engine* engine, const Request* request, Decision::Action action, int status) {
  return [engine, request, action, status] {
    Decision d = engine->Evaluate(*request);
    return d.action == action && d.status == status;
  };
}

Op VerifyOp(const JwtVerifier* verifier, const std::string* token) {
  return [verifier, token] {
    VerifiedToken out;  // the engine needs the claims, so the baseline takes them too
    Rejection why;
    return verifier->Verify(*token, kNow, &out, &why);
  };
}

struct Entry {
  std::string name;
  Op op;
  int threads;  // 0: no Threads() call, so the name gets no suffix
};

std::vector<Entry> Entries(const World& world) {
  constexpr auto kAllow = Decision::Action::kAllow;
  constexpr auto kRespond = Decision::Action::kRespond;
  std::vector<Entry> entries;
  // Grouped by algorithm, so that the runs compared with each other are
  // close in time.
  for (const auto& owned : world.bearer) {
    const BearerCase* c = owned.get();
    entries.push_back({"BM_VerifyOnly/" + c->alg, VerifyOp(c->verifier.get(), &c->token), 0});
    entries.push_back(
        {"BM_EngineBearer/" + c->alg, EvaluateOp(c->engine.get(), &c->request, kAllow, 0), 0});
    entries.push_back(
        {"BM_VerifyOnlyCached/" + c->alg, VerifyOp(c->cached_verifier.get(), &c->token), 0});
    entries.push_back({"BM_EngineBearerCached/" + c->alg,
                       EvaluateOp(c->cached_engine.get(), &c->request, kAllow, 0), 0});
    entries.push_back({"BM_EngineBearerParallel/" + c->alg,
                       EvaluateOp(c->engine.get(), &c->request, kAllow, 0), 2});
  }
  const Engine* browser = world.browser_engine.get();
  entries.push_back(
      {"BM_EngineSession", EvaluateOp(browser, &world.session_request, kAllow, 0), 0});
  entries.push_back(
      {"BM_EngineSessionParallel", EvaluateOp(browser, &world.session_request, kAllow, 0), 2});
  entries.push_back({"BM_EnginePublic", EvaluateOp(browser, &world.public_request, kAllow, 0), 0});
  entries.push_back({"BM_EngineNoSessionRedirect",
                     EvaluateOp(browser, &world.anonymous_request, kRespond, 302), 0});
  return entries;
}

// items_per_second is per CPU-second, summed over threads; a two-thread run
// also reports all_threads_per_second: each thread's iterations over its wall
// time, summed (the threads start and stop together at Google Benchmark's
// barriers), i.e. the combined rate.
void Run(benchmark::State& state, const Op* op) {
  auto start = std::chrono::steady_clock::now();
  int64_t failures = 0;
  for (auto _ : state) failures += !(*op)();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures != 0) state.SkipWithError("a decision was not the expected one");
  state.SetItemsProcessed(state.iterations());
  if (state.threads() > 1) {
    state.counters["all_threads_per_second"] =
        benchmark::Counter(seconds > 0 ? static_cast<double>(state.iterations()) / seconds : 0);
  }
}

[[gnu::noinline]] int64_t ProfileLoop(const Op& op, int64_t n) {
  int64_t failures = 0;
  for (int64_t i = 0; i < n; ++i) failures += !op();
  return failures;
}

const Op& SingleThreadOp(const std::vector<Entry>& entries, std::string_view name) {
  for (const Entry& e : entries) {
    if (e.threads == 0 && e.name == name) return e.op;
  }
  Die(StrCat("unknown single-thread benchmark ", name));
}

// Thread CPU seconds that n iterations of `op` take.
double RunBatch(const Op& op, int64_t n) {
  double start = ThreadCpuSeconds();
  int64_t failures = ProfileLoop(op, n);
  double seconds = ThreadCpuSeconds() - start;
  if (failures != 0) Die("a decision was not the expected one");
  return seconds;
}

int ProfileMain(const std::vector<Entry>& entries, std::string_view name, int64_t n) {
  double seconds = RunBatch(SingleThreadOp(entries, name), n);
  std::printf("%s: %lld iterations, %.0f ns each (thread CPU time)\n",
              std::string(name).c_str(), static_cast<long long>(n),
              1e9 * seconds / static_cast<double>(n));
  return 0;
}

int CompareMain(const std::vector<Entry>& entries, std::string_view names, int64_t n,
                int rounds) {
  size_t comma = names.find(',');
  if (comma == std::string_view::npos) Die("--compare wants A,B");
  std::string name_a(names.substr(0, comma)), name_b(names.substr(comma + 1));
  const Op& a = SingleThreadOp(entries, name_a);
  const Op& b = SingleThreadOp(entries, name_b);
  std::vector<double> ratio;
  for (const PairedRound& round :
       RunPaired([&](int64_t k) { return RunBatch(a, k); },
                 [&](int64_t k) { return RunBatch(b, k); }, n, rounds)) {
    ratio.push_back(round.seconds_a / round.seconds_b);
  }
  std::vector<double> sorted = ratio;
  std::sort(sorted.begin(), sorted.end());
  std::printf("cost(%s) / cost(%s): median of %d paired rounds %.3f (min %.3f, max %.3f)\n",
              name_a.c_str(), name_b.c_str(), rounds, Median(ratio), sorted.front(),
              sorted.back());
  return 0;
}

}  // namespace
}  // namespace authgate

int main(int argc, char** argv) {
  using authgate::FlagValue;
  const char* profile = FlagValue(argc, argv, "--profile");
  const char* compare = FlagValue(argc, argv, "--compare");
  if (profile == nullptr && compare == nullptr) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  }
  std::unique_ptr<authgate::World> world = authgate::MakeWorld();
  const std::vector<authgate::Entry> entries = authgate::Entries(*world);
  if (profile != nullptr || compare != nullptr) {
    const char* iterations = FlagValue(argc, argv, "--iterations");
    const char* rounds = FlagValue(argc, argv, "--rounds");
    int64_t n = iterations != nullptr ? std::atoll(iterations) : 0;
    int r = rounds != nullptr ? std::atoi(rounds) : 0;
    if (profile != nullptr) return authgate::ProfileMain(entries, profile, n > 0 ? n : 1000);
    return authgate::CompareMain(entries, compare, n > 0 ? n : 1000, r > 0 ? r : 21);
  }
  for (const authgate::Entry& e : entries) {
    benchmark::internal::Benchmark* b =
        benchmark::RegisterBenchmark(e.name.c_str(), authgate::Run, &e.op);
    if (e.threads > 0) b->Threads(e.threads);
  }
  benchmark::AddCustomContext("claims_json_bytes", std::to_string(authgate::Payload().size()));
  for (const auto& c : world->bearer) {
    benchmark::AddCustomContext("token_bytes_" + c->alg, std::to_string(c->token.size()));
  }
  benchmark::AddCustomContext(
      "session_cookie_header_bytes",
      std::to_string(authgate::HeaderOf(world->session_request.headers, "cookie")->size()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
