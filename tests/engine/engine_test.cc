// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The engine end to end, in process: a fake OpenID Provider on an injected
// clock, a browser simulated by a cookie jar, and the attacks the login flow
// and the rules must withstand.

#include "engine/engine.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "engine/fake_identity_provider.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/query_string.h"
#include "text.h"

namespace authgate {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using testing::FakeIdentityProvider;
using testing::TestKey;

constexpr std::string_view kSessionCookie = "__Host-authgate_session";
constexpr std::string_view kFlowPrefix = "__Host-authgate_flow.";

std::string Config(std::string_view extra_oidc = "", std::string_view secret =
                                                          "0123456789abcdef0123456789abcdef-one") {
  return StrCat(R"({
    "session": {"secret": ")", secret, R"(", "lifetime": "8h", "idle_timeout": "1h"},
    "oidc": {"issuer": "https://idp.test", "client_id": "hello-world",
             "client_secret": "${CLIENT_SECRET}", "redirect_uri": "https://app.test/callback",
             "scopes": ["openid", "profile"], "signout_path": "/signout",
             "forward_bearer_token": true,
             "claim_to_headers": [{"claim": "sub", "header": "X-Authgate-Sub"},
                                  {"claim": "email", "header": "x-authgate-email"}])",
                extra_oidc, R"(},
    "jwt": {"providers": {"idp": {"issuer": "https://idp.test", "audiences": ["api"],
                                  "typ": "at+jwt",
                                  "claim_to_headers": [{"claim": "sub", "header": "x-authgate-sub"}]}}},
    "evaluate_timeout": "5s",
    "rules": [
      {"match": {"prefix": "/public"}, "requires": "none"},
      {"name": "api", "match": {"prefix": "/api"}, "requires": {"jwt": ["idp"]},
       "claims": {"scope": {"contains": "api:read"}}},
      {"match": {"prefix": "/admin"}, "requires": "login", "claims": {"roles": {"contains": "admin"}}},
      {"match": {"prefix": "/ops"}, "requires": "login",
       "claims": [{"claim": "realm_access.roles", "contains": "ops"}]},
      {"match": {"prefix": "/team"}, "requires": "login",
       "claims": [{"claim": ["https://example.com/team"], "equals": "red"}]},
      {"match": {"prefix": "/either"}, "requires": {"login_or_jwt": ["idp"]}},
      {"match": {"prefix": "/maybe"}, "requires": {"jwt": ["idp"], "allow_missing": true}},
      {"match": {"prefix": "/private"}, "requires": "login"},
      {"match": {"path": "/"}, "requires": "login"}
    ]})");
}

std::optional<std::string> HeaderOf(const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

// What the upstream receives when a host carries out an allow decision as
// decision.h says: the request's headers without remove_headers, then
// set_headers, sent to upstream_target.
struct UpstreamRequest {
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;

  // Whether `text` appears anywhere the upstream can read it.
  bool Carries(std::string_view text) const {
    if (target.find(text) != std::string::npos) return true;
    for (const auto& [name, value] : headers) {
      if (value.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

UpstreamRequest Forward(const Request& request, const Decision& d) {
  UpstreamRequest upstream;
  upstream.target = d.upstream_target;
  for (const auto& header : request.headers) {
    bool removed = false;
    for (const std::string& name : d.remove_headers) {
      removed |= EqualsIgnoreCase(header.first, name);
    }
    if (!removed) upstream.headers.push_back(header);
  }
  for (const auto& header : d.set_headers) upstream.headers.push_back(header);
  return upstream;
}

std::vector<std::string> SetCookies(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& [key, value] : d.response_headers) {
    if (key == "set-cookie") out.push_back(value);
  }
  return out;
}

std::string QueryParam(std::string_view url, std::string_view name) {
  size_t q = url.find('?');
  for (const auto& [key, value] : ParseQueryString(q == std::string_view::npos ? "" : url.substr(q + 1))) {
    if (key == name) return value;
  }
  return "";
}

// A browser's cookie store for one site.
struct Browser {
  std::map<std::string, std::string> cookies;
  std::string host = "app.test";

  void Apply(const Decision& d) {
    for (const std::string& line : SetCookies(d)) {
      size_t eq = line.find('='), semi = line.find(';');
      std::string name = line.substr(0, eq);
      std::string value = line.substr(eq + 1, semi - eq - 1);
      if (line.find("Max-Age=0") != std::string::npos) {
        cookies.erase(name);
      } else {
        cookies[name] = value;
      }
    }
  }
  std::string CookieHeader() const {
    std::string header;
    for (const auto& [name, value] : cookies) {
      if (!header.empty()) header += "; ";
      header += name + "=" + value;
    }
    return header;
  }
  Request Get(std::string target, bool html = true) const {
    Request r;
    r.method = "GET";
    r.scheme = "https";
    r.authority = host;
    r.target = std::move(target);
    if (html) r.headers.emplace_back("Accept", "text/html,application/xhtml+xml");
    if (!cookies.empty()) r.headers.emplace_back("Cookie", CookieHeader());
    r.client_address = "192.0.2.7";
    return r;
  }
  std::string FlowCookieName() const {
    for (const auto& [name, value] : cookies) {
      if (name.rfind(kFlowPrefix, 0) == 0) return name;
    }
    return "";
  }
  size_t FlowCookieCount() const {
    size_t n = 0;
    for (const auto& [name, value] : cookies) n += name.rfind(kFlowPrefix, 0) == 0 ? 1 : 0;
    return n;
  }
};

class EngineTest : public ::testing::Test {
 protected:
  void Start(const std::string& config = Config()) {
    engine_ = Make(config);
    ASSERT_NE(engine_, nullptr);
  }

  std::unique_ptr<Engine> Make(const std::string& config) {
    auto scheduler = std::make_unique<ManualScheduler>(clock_);
    ManualScheduler* raw = scheduler.get();
    EngineDependencies deps;
    deps.http = idp_.NewClient();
    deps.scheduler = std::move(scheduler);
    deps.random = &random_;
    deps.environment = [](std::string_view name) -> std::optional<std::string> {
      if (name == "CLIENT_SECRET") return std::string(FakeIdentityProvider::kClientSecret);
      return std::nullopt;
    };
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(config, std::move(deps));
    EXPECT_TRUE(engine.ok()) << engine.status();
    if (!engine.ok()) return nullptr;
    schedulers_.push_back(raw);
    for (int i = 0; i < 1000 && !(*engine)->Ready(); ++i) {
      raw->RunDue();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE((*engine)->Ready());
    return std::move(*engine);
  }

  // BeginLogin requests `target` without a session, keeps the login cookie
  // in `browser` and returns where the browser is sent (the provider).
  std::string BeginLogin(Browser& browser, const std::string& target = "/private") {
    Decision start = engine_->Evaluate(browser.Get(target));
    EXPECT_EQ(start.status, 302);
    browser.Apply(start);
    return HeaderOf(start.response_headers, "location").value_or("");
  }

  // Plays a whole login in `browser` starting at `target`; returns the
  // callback's decision.
  Decision Login(Browser& browser, const std::string& target = "/private/page?x=1",
                 const std::string& claims_patch = "{}") {
    std::string location = BeginLogin(browser, target);
    std::string code = idp_.Authorize(location, claims_patch);
    EXPECT_FALSE(code.empty()) << location;
    Decision callback = engine_->Evaluate(browser.Get(
        StrCat("/callback?code=", code, "&state=", QueryParam(location, "state"),
               "&iss=https%3A%2F%2Fidp.test")));
    browser.Apply(callback);
    return callback;
  }

  // OpenSSL's generator, unless a test makes it fail.
  class SwitchableRandom final : public RandomSource {
   public:
    absl::Status Fill(unsigned char* out, size_t size) const override {
      if (failing) return absl::UnavailableError("the test's generator failed");
      return RandomSource::System().Fill(out, size);
    }
    std::atomic<bool> failing{false};
  };

  ManualClock clock_{absl::FromUnixSeconds(1800000000)};
  SwitchableRandom random_;
  FakeIdentityProvider idp_{"https://idp.test", clock_};
  std::vector<ManualScheduler*> schedulers_;
  std::unique_ptr<Engine> engine_;
};

// ---- the login flow ----

TEST_F(EngineTest, UnauthenticatedBrowserIsSentToTheProviderWithPkce) {
  Start();
  Browser browser;
  Decision d = engine_->Evaluate(browser.Get("/private/page?x=1"));
  EXPECT_EQ(d.action, Decision::Action::kRespond);
  EXPECT_EQ(d.status, 302);
  EXPECT_EQ(d.outcome, Outcome::kLoginRedirect);
  EXPECT_EQ(d.reason, Reason::kLoginRequired);
  std::string location = HeaderOf(d.response_headers, "location").value_or("");
  EXPECT_EQ(location.rfind("https://idp.test/auth?", 0), 0u) << location;
  EXPECT_EQ(QueryParam(location, "response_type"), "code");
  EXPECT_EQ(QueryParam(location, "client_id"), "hello-world");
  EXPECT_EQ(QueryParam(location, "redirect_uri"), "https://app.test/callback");
  EXPECT_EQ(QueryParam(location, "scope"), "openid profile");
  EXPECT_EQ(QueryParam(location, "code_challenge_method"), "S256");
  EXPECT_EQ(QueryParam(location, "code_challenge").size(), 43u);
  EXPECT_FALSE(QueryParam(location, "state").empty());
  EXPECT_FALSE(QueryParam(location, "nonce").empty());
  std::vector<std::string> cookies = SetCookies(d);
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_EQ(cookies[0].rfind(kFlowPrefix, 0), 0u) << cookies[0];
  EXPECT_THAT(cookies[0], HasSubstr("; Secure"));
  EXPECT_THAT(cookies[0], HasSubstr("; HttpOnly"));
  EXPECT_THAT(cookies[0], HasSubstr("; SameSite=Lax"));
  EXPECT_THAT(cookies[0], HasSubstr("; Path=/"));
  EXPECT_THAT(cookies[0], Not(HasSubstr(QueryParam(location, "nonce"))));
  EXPECT_EQ(HeaderOf(d.response_headers, "cache-control"), "no-store");
}

TEST_F(EngineTest, LoginLandsOnTheOriginalUrlAndTheSessionIsUsed) {
  Start();
  Browser browser;
  Decision callback = Login(browser);
  EXPECT_EQ(callback.status, 302);
  EXPECT_EQ(callback.outcome, Outcome::kLoggedIn);
  EXPECT_EQ(HeaderOf(callback.response_headers, "location"), "/private/page?x=1");
  EXPECT_EQ(HeaderOf(callback.response_headers, "cache-control"), "no-store");
  EXPECT_EQ(HeaderOf(callback.response_headers, "referrer-policy"), "no-referrer");
  EXPECT_EQ(browser.FlowCookieCount(), 0u) << "the flow cookie is deleted";
  ASSERT_TRUE(browser.cookies.count(std::string(kSessionCookie)));

  browser.cookies["theme"] = "dark";
  Request request = browser.Get("/private/page?x=1");
  request.headers.emplace_back("X-Authgate-Sub", "mallory");
  request.headers.emplace_back("Authorization", "Bearer forged");
  Decision d = engine_->Evaluate(request);
  ASSERT_EQ(d.action, Decision::Action::kAllow) << d.detail;
  EXPECT_EQ(d.upstream_target, "/private/page?x=1");
  EXPECT_THAT(d.remove_headers, Contains("x-authgate-sub"));
  EXPECT_THAT(d.remove_headers, Contains("authorization"));
  EXPECT_THAT(d.remove_headers, Contains("cookie"));
  EXPECT_THAT(d.set_headers, Contains(Pair("x-authgate-sub", "alice")));
  EXPECT_THAT(d.set_headers, Contains(Pair("x-authgate-email", "alice@example.com")));
  EXPECT_THAT(d.set_headers, Contains(Pair("cookie", "theme=dark")));
  std::optional<std::string> bearer = HeaderOf(d.set_headers, "authorization");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->rfind("Bearer ey", 0), 0u);
  EXPECT_EQ(engine_->Stats().logins_completed, 1u);
}

TEST_F(EngineTest, TwoTabsLoginAtOnce) {
  Start();
  Browser browser;
  Decision first = engine_->Evaluate(browser.Get("/private/one"));
  browser.Apply(first);
  Decision second = engine_->Evaluate(browser.Get("/private/two"));
  browser.Apply(second);
  EXPECT_EQ(browser.FlowCookieCount(), 2u);
  // The first tab completes first.
  std::string location = *HeaderOf(first.response_headers, "location");
  std::string code = idp_.Authorize(location);
  Decision done = engine_->Evaluate(browser.Get(StrCat(
      "/callback?code=", code, "&state=", QueryParam(location, "state"), "&iss=https://idp.test")));
  EXPECT_EQ(HeaderOf(done.response_headers, "location"), "/private/one");
  browser.Apply(done);
  EXPECT_EQ(browser.FlowCookieCount(), 1u);
}

TEST_F(EngineTest, PendingLoginsAreBounded) {
  Start();
  Browser browser;
  for (int i = 0; i < 9; ++i) {
    clock_.Advance(absl::Seconds(1));
    browser.Apply(engine_->Evaluate(browser.Get(StrCat("/private/", i))));
    EXPECT_LE(browser.FlowCookieCount(), 5u);
  }
  EXPECT_EQ(browser.FlowCookieCount(), 5u);
}

TEST_F(EngineTest, ReturnUrlStaysOnTheSameOrigin) {
  Start();
  Browser browser;
  // Repeated slashes are merged before the target is remembered: never a
  // protocol-relative "//evil.example" in the Location.
  Decision d = Login(browser, "//private/x");
  EXPECT_EQ(HeaderOf(d.response_headers, "location"), "/private/x");
}

TEST_F(EngineTest, NonBrowserRequestsGet401InsteadOfARedirect) {
  Start();
  Browser browser;
  Request xhr = browser.Get("/private");
  xhr.headers.emplace_back("X-Requested-With", "XMLHttpRequest");
  Decision d = engine_->Evaluate(xhr);
  EXPECT_EQ(d.status, 401);
  EXPECT_FALSE(HeaderOf(d.response_headers, "location"));
  Decision api_client = engine_->Evaluate(browser.Get("/private", /*html=*/false));
  EXPECT_EQ(api_client.status, 401);
  EXPECT_EQ(api_client.reason, Reason::kLoginRequired);
}

// ---- callback attacks ----

TEST_F(EngineTest, ForgedStateIs400) {
  Start();
  Browser browser;
  std::string location = BeginLogin(browser);
  std::string code = idp_.Authorize(location);
  std::string state = QueryParam(location, "state");
  state[state.size() - 3] = state[state.size() - 3] == 'A' ? 'B' : 'A';
  Decision d = engine_->Evaluate(browser.Get(StrCat("/callback?code=", code, "&state=", state)));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kStateMismatch);
  EXPECT_FALSE(HeaderOf(d.response_headers, "location"));
  EXPECT_EQ(idp_.token_requests(), 0) << "no code exchange for a forged state";
  Decision missing = engine_->Evaluate(browser.Get(StrCat("/callback?code=", code)));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.reason, Reason::kStateMismatch);
}

TEST_F(EngineTest, StateFromAnotherLoginDoesNotOpenThisFlow) {
  Start();
  Browser victim, attacker;
  Decision mine = engine_->Evaluate(victim.Get("/private"));
  victim.Apply(mine);
  Decision theirs = engine_->Evaluate(attacker.Get("/private"));
  std::string location = *HeaderOf(theirs.response_headers, "location");
  std::string code = idp_.Authorize(location);
  // Login CSRF: the attacker's callback URL in the victim's browser.
  Decision d = engine_->Evaluate(victim.Get(
      StrCat("/callback?code=", code, "&state=", QueryParam(location, "state"))));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kFlowCookieMissing);
  EXPECT_FALSE(victim.cookies.count(std::string(kSessionCookie)));
}

TEST_F(EngineTest, MissingFlowCookieIs400) {
  Start();
  Browser browser;
  Decision start = engine_->Evaluate(browser.Get("/private"));
  std::string location = *HeaderOf(start.response_headers, "location");
  std::string code = idp_.Authorize(location);
  Decision d = engine_->Evaluate(
      browser.Get(StrCat("/callback?code=", code, "&state=", QueryParam(location, "state"))));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kFlowCookieMissing);
}

TEST_F(EngineTest, ReplayedCallbackIsRefused) {
  Start();
  Browser browser;
  Decision start = engine_->Evaluate(browser.Get("/private"));
  browser.Apply(start);
  Browser stolen = browser;  // the flow cookie, kept by an attacker
  std::string location = *HeaderOf(start.response_headers, "location");
  std::string callback = StrCat("/callback?code=", idp_.Authorize(location), "&state=",
                                QueryParam(location, "state"), "&iss=https://idp.test");
  Decision first = engine_->Evaluate(browser.Get(callback));
  EXPECT_EQ(first.status, 302);
  browser.Apply(first);
  Decision again = engine_->Evaluate(browser.Get(callback));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.reason, Reason::kFlowCookieMissing);
  Decision replay = engine_->Evaluate(stolen.Get(callback));
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(replay.reason, Reason::kTokenExchangeFailed) << "the code works once";
  EXPECT_FALSE(HeaderOf(replay.response_headers, "location"));
}

TEST_F(EngineTest, CodeOfAnotherLoginIsRefusedByPkce) {
  // Code injection: the attacker's browser completes its own login with a
  // code the provider issued to the victim's. Its flow holds another PKCE
  // verifier, so the exchange fails and no session is made.
  Start();
  Browser victim, attacker;
  std::string victim_location = BeginLogin(victim);
  std::string attacker_location = BeginLogin(attacker);
  std::string victims_code = idp_.Authorize(victim_location);
  Decision d = engine_->Evaluate(attacker.Get(
      StrCat("/callback?code=", victims_code, "&state=", QueryParam(attacker_location, "state"),
             "&iss=https%3A%2F%2Fidp.test")));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kTokenExchangeFailed) << d.detail;
  attacker.Apply(d);
  EXPECT_FALSE(attacker.cookies.count(std::string(kSessionCookie)));
}

TEST_F(EngineTest, ExpiredLoginIsRefused) {
  Start();
  Browser browser;
  std::string location = BeginLogin(browser);
  std::string code = idp_.Authorize(location);
  clock_.Advance(absl::Minutes(11));
  Decision d = engine_->Evaluate(
      browser.Get(StrCat("/callback?code=", code, "&state=", QueryParam(location, "state"))));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kStateMismatch);
}

TEST_F(EngineTest, ProviderErrorIs400) {
  Start();
  Browser browser;
  std::string location = BeginLogin(browser);
  Decision d = engine_->Evaluate(browser.Get(StrCat(
      "/callback?error=access_denied&state=", QueryParam(location, "state"))));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kAuthorizationError);
  EXPECT_FALSE(HeaderOf(d.response_headers, "location"));
  Decision no_state = engine_->Evaluate(browser.Get("/callback?error=access_denied"));
  EXPECT_EQ(no_state.status, 400);
  EXPECT_EQ(no_state.reason, Reason::kAuthorizationError);
}

TEST_F(EngineTest, WrongIssParameterIs400) {
  Start();
  Browser browser;
  std::string location = BeginLogin(browser);
  std::string code = idp_.Authorize(location);
  Decision d = engine_->Evaluate(browser.Get(StrCat("/callback?code=", code, "&state=",
                                                    QueryParam(location, "state"),
                                                    "&iss=https%3A%2F%2Fevil.test")));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kIssuerMismatch);
}

struct BadIdToken {
  const char* name;
  const char* patch;
  Reason reason;
};

void PrintTo(const BadIdToken& c, std::ostream* os) { *os << c.name; }

class BadIdTokenTest : public EngineTest, public ::testing::WithParamInterface<BadIdToken> {};

TEST_P(BadIdTokenTest, LoginFails) {
  Start();
  Browser browser;
  Decision d = Login(browser, "/private", GetParam().patch);
  EXPECT_EQ(d.status, 400) << GetParam().name;
  EXPECT_EQ(d.reason, GetParam().reason) << GetParam().name << ": " << d.detail;
  EXPECT_FALSE(browser.cookies.count(std::string(kSessionCookie)));
}

INSTANTIATE_TEST_SUITE_P(
    Engine, BadIdTokenTest,
    ::testing::Values(BadIdToken{"wrong_nonce", R"({"nonce":"not-the-one"})", Reason::kNonceMismatch},
                      BadIdToken{"missing_nonce", R"({"nonce":null})", Reason::kMissingClaim},
                      BadIdToken{"wrong_aud", R"({"aud":"someone-else"})", Reason::kAudienceMismatch},
                      BadIdToken{"missing_aud", R"({"aud":null})", Reason::kMissingClaim},
                      BadIdToken{"wrong_iss", R"({"iss":"https://evil.test"})", Reason::kIssuerMismatch},
                      BadIdToken{"missing_sub", R"({"sub":null})", Reason::kMissingClaim},
                      BadIdToken{"missing_iat", R"({"iat":null})", Reason::kMissingClaim},
                      BadIdToken{"expired", R"({"exp":1700000000})", Reason::kExpired}),
    [](const ::testing::TestParamInfo<BadIdToken>& param_info) { return param_info.param.name; });

// ---- callbacks are rate-limited per client address ----

class CallbackRateLimitTest : public EngineTest {
 protected:
  // A callback with a state the attacker had minted (by visiting a
  // protected page) and a made-up code, from `address`.
  Decision ForgedCallback(const std::string& address) {
    Browser attacker;
    std::string location = BeginLogin(attacker);
    Request r = attacker.Get(StrCat("/callback?code=forged-code&state=",
                                    QueryParam(location, "state"), "&iss=https://idp.test"));
    r.client_address = address;
    return engine_->Evaluate(r);
  }
};

TEST_F(CallbackRateLimitTest, ForgedCallbacksCannotSpendTheTokenEndpointQuota) {
  Start();  // the default: 10 a minute, burst 10
  for (int i = 0; i < 10; ++i) {
    Decision d = ForgedCallback("203.0.113.5");
    EXPECT_EQ(d.reason, Reason::kTokenExchangeFailed) << i;
  }
  EXPECT_EQ(idp_.token_requests(), 10);
  Decision limited = ForgedCallback("203.0.113.5");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.reason, Reason::kRateLimited);
  EXPECT_EQ(HeaderOf(limited.response_headers, "retry-after"), "6");
  EXPECT_EQ(HeaderOf(limited.response_headers, "cache-control"), "no-store");
  EXPECT_EQ(idp_.token_requests(), 10) << "no token request over the limit";

  // Another address is unaffected: a real user logs in.
  Browser user;
  std::string location = BeginLogin(user);
  Request callback = user.Get(StrCat("/callback?code=", idp_.Authorize(location), "&state=",
                                     QueryParam(location, "state"), "&iss=https://idp.test"));
  callback.client_address = "198.51.100.9";
  EXPECT_EQ(engine_->Evaluate(callback).outcome, Outcome::kLoggedIn);

  // The bucket refills with time.
  clock_.Advance(absl::Seconds(6));
  EXPECT_EQ(ForgedCallback("203.0.113.5").reason, Reason::kTokenExchangeFailed);
  EXPECT_EQ(ForgedCallback("203.0.113.5").reason, Reason::kRateLimited);
}

TEST_F(CallbackRateLimitTest, LimitAndBurstAreConfigurableAndZeroTurnsItOff) {
  Start(Config(R"(, "callback_rate_limit": {"per_minute": 2, "burst": 3})"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ForgedCallback("203.0.113.5").status, 400) << i;
  Decision limited = ForgedCallback("203.0.113.5");
  EXPECT_EQ(limited.reason, Reason::kRateLimited);
  EXPECT_EQ(HeaderOf(limited.response_headers, "retry-after"), "30");
  EXPECT_EQ(idp_.token_requests(), 3);

  engine_ = Make(Config(R"(, "callback_rate_limit": {"per_minute": 0})"));
  ASSERT_NE(engine_, nullptr);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(ForgedCallback("203.0.113.5").status, 400) << i;
  EXPECT_EQ(idp_.token_requests(), 18);
}

TEST_F(CallbackRateLimitTest, ForgedStatesAreRefusedWithoutSpendingTheLimit) {
  Start(Config(R"(, "callback_rate_limit": {"per_minute": 1, "burst": 1})"));
  Browser browser;
  for (int i = 0; i < 5; ++i) {
    Request r = browser.Get("/callback?code=x&state=1.4102444800.AAAA.AAAA");
    EXPECT_EQ(engine_->Evaluate(r).reason, Reason::kStateMismatch) << i;
  }
  EXPECT_EQ(Login(browser).outcome, Outcome::kLoggedIn);
}

// ---- session cookie attacks ----

TEST_F(EngineTest, TamperedOrTruncatedSessionCookieStartsANewLogin) {
  Start();
  Browser browser;
  Login(browser);
  std::string& value = browser.cookies[std::string(kSessionCookie)];
  std::string original = value;
  value[value.size() / 2] = value[value.size() / 2] == 'A' ? 'B' : 'A';
  Decision tampered = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(tampered.status, 302);
  EXPECT_EQ(tampered.reason, Reason::kSessionInvalid);
  EXPECT_THAT(SetCookies(tampered), Contains(HasSubstr(StrCat(kSessionCookie, "=;"))));
  value = original.substr(0, original.size() - 5);
  Decision truncated = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(truncated.reason, Reason::kSessionInvalid);
  EXPECT_EQ(truncated.action, Decision::Action::kRespond);
}

TEST_F(EngineTest, SessionCookieReplayedOnAnotherHostIsInvalid) {
  Start();
  Browser browser;
  Login(browser);
  browser.host = "other.test";
  Decision d = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(d.action, Decision::Action::kRespond);
  EXPECT_EQ(d.reason, Reason::kSessionInvalid);
}

TEST_F(EngineTest, SealedValueUnderAnotherNameIsInvalid) {
  Start();
  Browser browser;
  Decision start = engine_->Evaluate(browser.Get("/private"));
  browser.Apply(start);
  // The flow cookie's sealed value presented as the session.
  browser.cookies[std::string(kSessionCookie)] = browser.cookies[browser.FlowCookieName()];
  Decision d = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(d.reason, Reason::kSessionInvalid);
  EXPECT_EQ(d.action, Decision::Action::kRespond);
}

TEST_F(EngineTest, SessionFromAnotherKeyIsInvalid) {
  Start();
  Browser browser;
  Login(browser);
  std::unique_ptr<Engine> other =
      Make(Config("", "another-secret-of-at-least-32-bytes-long"));
  ASSERT_NE(other, nullptr);
  Decision d = other->Evaluate(browser.Get("/private"));
  EXPECT_EQ(d.reason, Reason::kSessionInvalid);
  EXPECT_EQ(d.action, Decision::Action::kRespond);
}

TEST_F(EngineTest, RotatedSecretStillOpensOldSessions) {
  Start();
  Browser browser;
  Login(browser);
  std::string rotated = Config("", "0123456789abcdef0123456789abcdef-new\", "
                                   "\"0123456789abcdef0123456789abcdef-one");
  rotated = rotated.substr(0, rotated.find("\"secret\"")) + "\"secret\": [\"" +
            rotated.substr(rotated.find("\"secret\"") + 11);
  size_t end = rotated.find("-one\"") + 5;
  rotated.insert(end, "]");
  std::unique_ptr<Engine> other = Make(rotated);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Evaluate(browser.Get("/private")).action, Decision::Action::kAllow);
}

TEST_F(EngineTest, IdleAndAbsoluteExpiry) {
  Start();
  idp_.set_access_token_lifetime(24 * 3600);
  Browser browser;
  Login(browser);
  clock_.Advance(absl::Minutes(61));
  Decision idle = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(idle.reason, Reason::kSessionExpired);
  EXPECT_EQ(idle.status, 302);

  Browser active;
  Login(active);
  // Active use renews the idle timeout, but not the absolute lifetime.
  for (int i = 0; i < 15; ++i) {
    clock_.Advance(absl::Minutes(30));
    Decision d = engine_->Evaluate(active.Get("/private"));
    ASSERT_EQ(d.action, Decision::Action::kAllow) << i << " " << d.detail;
    active.Apply(d);
  }
  clock_.Advance(absl::Minutes(31));
  Decision late = engine_->Evaluate(active.Get("/private"));
  EXPECT_EQ(late.reason, Reason::kSessionExpired);
}

// ---- refresh ----

TEST_F(EngineTest, ExpiredAccessTokenIsRefreshed) {
  Start();
  idp_.set_access_token_lifetime(120);
  Browser browser;
  Login(browser);
  Decision before = engine_->Evaluate(browser.Get("/private"));
  clock_.Advance(absl::Minutes(3));
  Decision d = engine_->Evaluate(browser.Get("/private"));
  ASSERT_EQ(d.action, Decision::Action::kAllow) << d.detail;
  EXPECT_EQ(idp_.refresh_requests(), 1);
  EXPECT_NE(HeaderOf(d.set_headers, "authorization"), HeaderOf(before.set_headers, "authorization"));
  EXPECT_THAT(SetCookies(d), Contains(HasSubstr(kSessionCookie)));
  browser.Apply(d);
  Decision after = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(after.action, Decision::Action::kAllow);
  EXPECT_EQ(idp_.refresh_requests(), 1) << "the new session carries the new tokens";
  EXPECT_EQ(engine_->Stats().refreshes, 1u);
}

TEST_F(EngineTest, RefreshFailureMeansLoggingInAgain) {
  Start();
  idp_.set_access_token_lifetime(120);
  Browser browser;
  Login(browser);
  idp_.set_refresh_fails(true);
  clock_.Advance(absl::Minutes(3));
  Decision d = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(d.status, 302);
  EXPECT_EQ(d.reason, Reason::kRefreshFailed);
  EXPECT_THAT(SetCookies(d), Contains(HasSubstr(StrCat(kSessionCookie, "=;"))));
}

TEST_F(EngineTest, RefreshedIdTokenMustKeepTheSubject) {
  Start();
  idp_.set_access_token_lifetime(120);
  Browser browser;
  Login(browser);
  idp_.set_refresh_sub("mallory");
  clock_.Advance(absl::Minutes(3));
  Decision d = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(d.reason, Reason::kRefreshFailed);
  EXPECT_EQ(d.action, Decision::Action::kRespond);
}

TEST_F(EngineTest, ConcurrentRequestsRefreshOnce) {
  Start();
  idp_.set_access_token_lifetime(120);
  Browser browser;
  Login(browser);
  clock_.Advance(absl::Minutes(3));
  idp_.HoldTokenEndpoint(true);
  constexpr int kRequests = 20;
  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<Decision> decisions;
  for (int i = 0; i < kRequests; ++i) {
    Decision d;
    bool inline_answer = engine_->EvaluateAsync(browser.Get("/private"), &d,
                                                [&](absl::StatusOr<Decision> later) {
      ASSERT_TRUE(later.ok()) << later.status();
      std::lock_guard<std::mutex> lock(mutex);
      decisions.push_back(*std::move(later));
      all_done.notify_all();
    });
    EXPECT_FALSE(inline_answer) << "the refresh is pending";
  }
  idp_.HoldTokenEndpoint(false);
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(10),
                                [&] { return decisions.size() == kRequests; }));
  EXPECT_EQ(idp_.refresh_requests(), 1);
  for (const Decision& d : decisions) {
    EXPECT_EQ(d.action, Decision::Action::kAllow);
    EXPECT_EQ(HeaderOf(d.set_headers, "authorization"),
              HeaderOf(decisions[0].set_headers, "authorization"));
  }
}

// ---- a session shared across subdomains (session.cookie_domain) ----

constexpr std::string_view kDomainSessionCookie = "__Secure-authgate_session";

std::string CookieDomainConfig() {
  std::string config = Config();
  config.replace(config.find("\"lifetime\""), 0, "\"cookie_domain\": \".Example.TEST\", ");
  config.replace(config.find("https://app.test/callback"), 25, "https://b.example.test/callback");
  return config;
}

TEST_F(EngineTest, CookieDomainSharesTheLoginAndTheSessionAcrossSubdomains) {
  Start(CookieDomainConfig());
  Browser browser;
  browser.host = "a.example.test";
  std::string location = BeginLogin(browser, "/private/x");
  ASSERT_FALSE(location.empty());
  std::string code = idp_.Authorize(location);
  // The provider sends the browser to the redirect URI, on another subdomain.
  browser.host = "b.example.test";
  Decision callback = engine_->Evaluate(browser.Get(StrCat(
      "/callback?code=", code, "&state=", QueryParam(location, "state"), "&iss=https://idp.test")));
  ASSERT_EQ(callback.outcome, Outcome::kLoggedIn) << callback.detail;
  EXPECT_THAT(SetCookies(callback),
              Contains(AllOf(HasSubstr(StrCat(kDomainSessionCookie, "=")),
                             HasSubstr("; Domain=example.test;"))));
  browser.Apply(callback);
  for (const char* host :
       {"a.example.test", "b.example.test", "example.test", "C.Example.Test:8443"}) {
    browser.host = host;
    Decision d = engine_->Evaluate(browser.Get("/private"));
    EXPECT_EQ(d.action, Decision::Action::kAllow) << host << ": " << d.detail;
  }
}

TEST_F(EngineTest, CookieDomainSessionDoesNotOpenOutsideTheDomain) {
  Start(CookieDomainConfig());
  Browser browser;
  browser.host = "b.example.test";
  ASSERT_EQ(Login(browser).outcome, Outcome::kLoggedIn);
  ASSERT_TRUE(browser.cookies.count(std::string(kDomainSessionCookie)));
  // The session cookie copied to hosts the domain does not cover.
  for (const char* host : {"example.test.evil", "evilexample.test", "evil.test", "test"}) {
    browser.host = host;
    Decision d = engine_->Evaluate(browser.Get("/private"));
    EXPECT_EQ(d.action, Decision::Action::kRespond) << host;
    EXPECT_EQ(d.status, 401) << host << ": a login could not complete there";
    EXPECT_EQ(d.reason, Reason::kSessionInvalid) << host;
    EXPECT_FALSE(HeaderOf(d.response_headers, "location")) << host;
  }
}

TEST_F(EngineTest, CookieDomainLoginIsNotCompletedOutsideTheDomain) {
  Start(CookieDomainConfig());
  Browser browser;
  browser.host = "a.example.test";
  std::string location = BeginLogin(browser);
  std::string code = idp_.Authorize(location);
  browser.host = "evil.test";  // the state and the login cookie, replayed elsewhere
  Decision d = engine_->Evaluate(browser.Get(StrCat(
      "/callback?code=", code, "&state=", QueryParam(location, "state"), "&iss=https://idp.test")));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kStateMismatch);
  EXPECT_EQ(idp_.token_requests(), 0);
}

// ---- sign-out ----

TEST_F(EngineTest, SignOutClearsTheSessionAndLogsOutAtTheProvider) {
  Start();
  Browser browser;
  Login(browser);
  Decision d = engine_->Evaluate(browser.Get("/signout"));
  EXPECT_EQ(d.status, 302);
  EXPECT_EQ(d.outcome, Outcome::kSignedOut);
  std::string location = HeaderOf(d.response_headers, "location").value_or("");
  EXPECT_EQ(location.rfind("https://idp.test/session/end?", 0), 0u) << location;
  EXPECT_FALSE(QueryParam(location, "id_token_hint").empty());
  browser.Apply(d);
  EXPECT_FALSE(browser.cookies.count(std::string(kSessionCookie)));
  EXPECT_EQ(engine_->Evaluate(browser.Get("/private")).status, 302);
}

// A sign-out request as a browser sends it from a page of `site`
// ("cross-site", "same-site", "same-origin", "none"; "" sends no
// Sec-Fetch-Site, as older browsers and other clients do).
Request SignOutRequest(const Browser& browser, std::string_view site,
                       std::string target = "/signout", std::string method = "GET") {
  Request r = browser.Get(std::move(target));
  r.method = std::move(method);
  if (!site.empty()) r.headers.emplace_back("Sec-Fetch-Site", std::string(site));
  return r;
}

bool SignedOut(const Decision& d) {
  return d.outcome == Outcome::kSignedOut &&
         std::any_of(d.response_headers.begin(), d.response_headers.end(), [](const auto& h) {
           return h.first == "set-cookie" && h.second.rfind(StrCat(kSessionCookie, "=;"), 0) == 0;
         });
}

// The action of the confirmation page's form: the sign-out path with its token.
std::string ConfirmationAction(const Decision& page) {
  const std::string marker = "action=\"";
  size_t start = page.body.find(marker);
  if (start == std::string::npos) return "";
  start += marker.size();
  return page.body.substr(start, page.body.find('"', start) - start);
}

TEST_F(EngineTest, CrossSiteSignOutAsksForConfirmation) {
  Start();
  Browser browser;
  Login(browser);
  Decision page = engine_->Evaluate(SignOutRequest(browser, "cross-site"));
  EXPECT_EQ(page.action, Decision::Action::kRespond);
  EXPECT_EQ(page.status, 200);
  EXPECT_FALSE(SignedOut(page));
  EXPECT_THAT(SetCookies(page), IsEmpty());
  EXPECT_EQ(HeaderOf(page.response_headers, "cache-control"), "no-store");
  EXPECT_THAT(HeaderOf(page.response_headers, "content-type").value_or(""), HasSubstr("text/html"));
  std::string policy = HeaderOf(page.response_headers, "content-security-policy").value_or("");
  EXPECT_THAT(policy, HasSubstr("default-src 'none'"));
  EXPECT_THAT(policy, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(page.body, HasSubstr("method=\"post\""));
  EXPECT_THAT(page.body, Not(HasSubstr("<script")));
  EXPECT_EQ(ConfirmationAction(page).rfind("/signout?", 0), 0u) << page.body;
  EXPECT_EQ(engine_->Evaluate(browser.Get("/private")).action, Decision::Action::kAllow)
      << "still signed in";
}

TEST_F(EngineTest, ConfirmedCrossSiteSignOutSignsOut) {
  Start();
  Browser browser;
  Login(browser);
  std::string action =
      ConfirmationAction(engine_->Evaluate(SignOutRequest(browser, "cross-site")));
  ASSERT_FALSE(action.empty());
  Decision d = engine_->Evaluate(SignOutRequest(browser, "cross-site", action, "POST"));
  EXPECT_TRUE(SignedOut(d)) << d.status << " " << d.body;
  EXPECT_EQ(d.status, 302);
  browser.Apply(d);
  EXPECT_EQ(engine_->Evaluate(browser.Get("/private")).status, 302);
}

TEST_F(EngineTest, CrossSiteSignOutWithoutTheSessionsTokenGetsTheConfirmationAgain) {
  Start();
  Browser browser, other;
  Login(browser);
  Login(other);
  std::string mine = ConfirmationAction(engine_->Evaluate(SignOutRequest(browser, "cross-site")));
  std::string theirs = ConfirmationAction(engine_->Evaluate(SignOutRequest(other, "cross-site")));
  ASSERT_FALSE(mine.empty());
  ASSERT_NE(mine, theirs);
  std::string tampered = mine;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  const std::pair<std::string, std::string> attempts[] = {
      {"/signout", "POST"},
      {"/signout?confirm=", "POST"},
      {tampered, "POST"},
      {theirs, "POST"},  // another session's token
      {mine, "GET"},     // a link, not the form
  };
  for (const auto& [target, method] : attempts) {
    Decision d = engine_->Evaluate(SignOutRequest(browser, "cross-site", target, method));
    EXPECT_FALSE(SignedOut(d)) << method << " " << target;
    EXPECT_EQ(d.status, 200) << method << " " << target;
    EXPECT_FALSE(ConfirmationAction(d).empty()) << method << " " << target;
  }
  EXPECT_EQ(engine_->Evaluate(browser.Get("/private")).action, Decision::Action::kAllow);
}

TEST_F(EngineTest, SameSiteAndDirectSignOutsSignOutAtOnce) {
  Start();
  for (const char* site : {"same-origin", "same-site", "none", ""}) {
    Browser browser;
    Login(browser);
    Decision d = engine_->Evaluate(SignOutRequest(browser, site));
    EXPECT_TRUE(SignedOut(d)) << site;
    EXPECT_EQ(d.status, 302) << site;
  }
  Browser anonymous;
  Decision without_session = engine_->Evaluate(SignOutRequest(anonymous, "cross-site"));
  EXPECT_EQ(without_session.outcome, Outcome::kSignedOut);
  EXPECT_TRUE(ConfirmationAction(without_session).empty()) << "nothing to protect";
}

// ---- rules and paths ----

TEST_F(EngineTest, PublicNeedsNothingButIdentityHeadersAreStripped) {
  Start();
  Browser browser;
  Request r = browser.Get("/public/index.html?q=1");
  r.headers.emplace_back("X-Authgate-Sub", "admin");
  r.headers.emplace_back("X-Authgate-Email", "admin@example.com");
  Decision d = engine_->Evaluate(r);
  ASSERT_EQ(d.action, Decision::Action::kAllow);
  EXPECT_EQ(d.upstream_target, "/public/index.html?q=1");
  EXPECT_THAT(d.remove_headers, Contains("x-authgate-sub"));
  EXPECT_THAT(d.remove_headers, Contains("x-authgate-email"));
  EXPECT_THAT(d.set_headers, IsEmpty());
}

TEST_F(EngineTest, NoMatchingRuleIsDenied) {
  Start();
  Browser browser;
  Decision d = engine_->Evaluate(browser.Get("/publicity"));
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.reason, Reason::kNoMatchingRule);
}

TEST_F(EngineTest, PathTricksDoNotBypassRules) {
  Start();
  Browser browser;
  struct Case {
    const char* target;
    int status;  // 0: allowed
    std::string upstream;
  };
  const Case cases[] = {
      {"/public/../private", 302, ""},
      {"/public/%2e%2e/private", 302, ""},
      {"/public/.%2E/private", 302, ""},
      {"/private?x=/public", 302, ""},
      {"/public//../private", 302, ""},
      {"//public/../private", 302, ""},
      {"/public/%2fprivate", 400, ""},
      {"/public/%2F..%2Fprivate", 400, ""},
      {"/public/..%5cprivate", 400, ""},
      {"/public/%00", 400, ""},
      {"/public/../../private", 400, ""},
      {"/public%252f..%252fprivate", 403, ""},
      {"/public/%252e%252e/private", 0, "/public/%252e%252e/private"},
      {"/public/%70rivate", 0, "/public/private"},
      {"/private.", 403, ""},
      {"/admin;x=1", 302, ""},
      {"/public;x/../private", 302, ""},
      {"/;x/private", 302, ""},
      {"/private/", 302, ""},
      {"/PRIVATE", 403, ""},
      {"/publicity", 403, ""},
      {"/public/./x/../y?z=%2F", 0, "/public/y?z=%2F"},
  };
  for (const Case& c : cases) {
    Decision d = engine_->Evaluate(browser.Get(c.target));
    if (c.status == 0) {
      EXPECT_EQ(d.action, Decision::Action::kAllow) << c.target;
      EXPECT_EQ(d.upstream_target, c.upstream) << c.target;
    } else {
      EXPECT_EQ(d.action, Decision::Action::kRespond) << c.target;
      EXPECT_EQ(d.status, c.status) << c.target << " " << d.detail;
    }
  }
}

TEST_F(EngineTest, SessionClaimConditions) {
  Start();
  Browser browser;
  Login(browser);
  EXPECT_EQ(engine_->Evaluate(browser.Get("/admin")).action, Decision::Action::kAllow);
  EXPECT_EQ(engine_->Evaluate(browser.Get("/ops")).action, Decision::Action::kAllow);
  Decision team = engine_->Evaluate(browser.Get("/team"));
  EXPECT_EQ(team.status, 403);
  EXPECT_EQ(team.reason, Reason::kInsufficientClaims);
  EXPECT_FALSE(HeaderOf(team.response_headers, "www-authenticate")) << "a page, not a challenge";
}

// ---- Bearer tokens ----

class BearerTest : public EngineTest {
 protected:
  std::string Token(std::string_view patch = "{}") {
    int64_t now = absl::ToUnixSeconds(clock_.Now());
    std::string base = StrCat(R"({"iss":"https://idp.test","sub":"svc-1","aud":"api",)",
                              R"("scope":"api:read api:write","iat":)", now, R"(,"exp":)",
                              now + 300, "}");
    if (patch == "{}") return idp_.AccessToken(base);
    // Only a few patches are needed: rebuild the claims.
    return idp_.AccessToken(StrCat(base.substr(0, base.size() - 1), ",", patch.substr(1)));
  }
  Request Api(std::vector<std::string> authorizations, std::string target = "/api/orders") {
    Request r;
    r.method = "GET";
    r.scheme = "https";
    r.authority = "app.test";
    r.target = std::move(target);
    for (std::string& a : authorizations) r.headers.emplace_back("Authorization", std::move(a));
    return r;
  }
};

TEST_F(BearerTest, ValidTokenIsAllowedAndRemovedFromTheUpstreamRequest) {
  Start();
  Request r = Api({"Bearer " + Token()});
  r.headers.emplace_back("X-Authgate-Sub", "admin");
  Decision d = engine_->Evaluate(r);
  ASSERT_EQ(d.action, Decision::Action::kAllow) << d.detail;
  EXPECT_EQ(d.rule, "api");
  EXPECT_THAT(d.remove_headers, Contains("authorization"));
  EXPECT_THAT(d.remove_headers, Contains("x-authgate-sub"));
  EXPECT_THAT(d.set_headers, Contains(Pair("x-authgate-sub", "svc-1")));
}

TEST_F(BearerTest, ClaimWithALineBreakIsNotCopiedIntoAHeader) {
  // A claim copied into a header must not smuggle a second header (or a
  // second request) into the upstream request.
  Start();
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  for (const char* sub : {R"("svc\r\nX-Admin: 1")", R"("svc\nx")", R"("svc\u0000x")"}) {
    std::string token = idp_.AccessToken(
        StrCat(R"({"iss":"https://idp.test","sub":)", sub, R"(,"aud":"api","scope":"api:read",)",
               R"("iat":)", now, R"(,"exp":)", now + 300, "}"));
    Decision d = engine_->Evaluate(Api({"Bearer " + token}));
    ASSERT_EQ(d.action, Decision::Action::kAllow) << d.detail;
    EXPECT_FALSE(HeaderOf(d.set_headers, "x-authgate-sub")) << sub;
    EXPECT_THAT(d.remove_headers, Contains("x-authgate-sub"));
  }
}

TEST_F(BearerTest, MissingTokenIs401WithoutErrorCode) {
  Start();
  Decision d = engine_->Evaluate(Api({}));
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.reason, Reason::kTokenMissing);
  EXPECT_EQ(d.rule, "api");  // refusals name their rule, for metrics and logs
  EXPECT_EQ(HeaderOf(d.response_headers, "www-authenticate"), "Bearer realm=\"authgate\"");
}

TEST_F(BearerTest, InvalidTokenIs401InvalidToken) {
  Start();
  std::string token = Token();
  token[token.size() - 4] = token[token.size() - 4] == 'A' ? 'B' : 'A';
  Decision d = engine_->Evaluate(Api({"Bearer " + token}));
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.reason, Reason::kSignatureInvalid);
  EXPECT_THAT(HeaderOf(d.response_headers, "www-authenticate").value_or(""),
              HasSubstr("error=\"invalid_token\""));
  Decision empty = engine_->Evaluate(Api({"Bearer "}));
  EXPECT_EQ(empty.status, 401);
  Decision other_audience = engine_->Evaluate(Api({"Bearer " + Token(R"({"aud":"x"})")}));
  EXPECT_EQ(other_audience.status, 401);
}

TEST_F(BearerTest, UnknownKeyIsRefetchedBeforeTheVerdict) {
  Start();
  clock_.Advance(absl::Seconds(31));  // past the refetch rate limit
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::string token = testing::SignToken(
      idp_.key(), "RS256", R"({"alg":"RS256","typ":"at+jwt","kid":"rotated-away"})",
      StrCat(R"({"iss":"https://idp.test","sub":"svc-1","aud":"api","scope":"api:read","iat":)",
             now, R"(,"exp":)", now + 300, "}"));
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<Decision> later;
  Decision now_decision;
  // The refetch usually completes after EvaluateAsync() returns (then the
  // callback answers); when the provider is faster, the answer comes inline.
  if (engine_->EvaluateAsync(Api({"Bearer " + token}), &now_decision,
                             [&](absl::StatusOr<Decision> d) {
        ASSERT_TRUE(d.ok()) << d.status();
        std::lock_guard<std::mutex> lock(mutex);
        later = *std::move(d);
        answered.notify_all();
      })) {
    later = std::move(now_decision);
  }
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(answered.wait_for(lock, std::chrono::seconds(10), [&] { return later.has_value(); }));
  EXPECT_EQ(later->status, 401);
  EXPECT_EQ(later->reason, Reason::kKeyNotFound);
  EXPECT_THAT(later->detail, Not(IsEmpty()));
}

TEST_F(BearerTest, TwoTokensAre400InvalidRequest) {
  Start();
  Decision d = engine_->Evaluate(Api({"Bearer " + Token(), "Bearer " + Token()}));
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reason, Reason::kMultipleTokens);
  EXPECT_THAT(HeaderOf(d.response_headers, "www-authenticate").value_or(""),
              HasSubstr("error=\"invalid_request\""));
}

TEST_F(BearerTest, MissingScopeIs403InsufficientScope) {
  Start();
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::string token = idp_.AccessToken(StrCat(
      R"({"iss":"https://idp.test","sub":"svc-1","aud":"api","scope":"api:write","iat":)", now,
      R"(,"exp":)", now + 300, "}"));
  Decision d = engine_->Evaluate(Api({"Bearer " + token}));
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.reason, Reason::kInsufficientClaims);
  EXPECT_THAT(HeaderOf(d.response_headers, "www-authenticate").value_or(""),
              HasSubstr("error=\"insufficient_scope\""));
}

TEST_F(BearerTest, LoginOrJwtAcceptsEither) {
  Start();
  Decision jwt = engine_->Evaluate(Api({"Bearer " + Token()}, "/either/x"));
  EXPECT_EQ(jwt.action, Decision::Action::kAllow);
  Browser browser;
  EXPECT_EQ(engine_->Evaluate(browser.Get("/either/x")).status, 302);
  Login(browser, "/either/x");
  EXPECT_EQ(engine_->Evaluate(browser.Get("/either/x")).action, Decision::Action::kAllow);
}

TEST_F(BearerTest, AllowMissingPassesWithoutTokenButNotWithABadOne) {
  Start();
  EXPECT_EQ(engine_->Evaluate(Api({}, "/maybe")).action, Decision::Action::kAllow);
  EXPECT_EQ(engine_->Evaluate(Api({"Bearer x.y.z"}, "/maybe")).status, 401);
}

// ---- the verified-token cache, on by default in the engine ----

// The default Config() has no `token_cache`: the second request with the same
// token is a cache hit.
TEST_F(BearerTest, TokenCacheIsOnByDefault) {
  Start();
  Request r = Api({"Bearer " + Token()});
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(engine_->Evaluate(r).action, Decision::Action::kAllow) << i;
  }
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.token_cache_misses, 1u);
  EXPECT_EQ(stats.token_cache_hits, 2u);
}

TEST_F(BearerTest, MaxEntriesZeroTurnsTheTokenCacheOff) {
  std::string config = Config();
  const std::string typ = R"("typ": "at+jwt",)";
  config.replace(config.find(typ), typ.size(),
                 typ + R"( "token_cache": {"max_entries": 0},)");
  Start(config);
  Request r = Api({"Bearer " + Token()});
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(engine_->Evaluate(r).action, Decision::Action::kAllow) << i;
  }
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.token_cache_hits, 0u);
  EXPECT_EQ(stats.token_cache_misses, 0u);  // not even looked up
}

// A hit re-checks the token's validity window: a cached token that expires
// between two requests is refused on the second (exp + clock_skew of 60s).
TEST_F(BearerTest, CachedTokenIsRefusedOnceItExpires) {
  Start();
  Request r = Api({"Bearer " + Token()});  // exp: now + 300
  ASSERT_EQ(engine_->Evaluate(r).action, Decision::Action::kAllow);
  clock_.Advance(absl::Seconds(300 + 60 - 1));
  ASSERT_EQ(engine_->Evaluate(r).action, Decision::Action::kAllow);
  EXPECT_EQ(engine_->Stats().token_cache_hits, 1u);
  clock_.Advance(absl::Seconds(1));
  Decision d = engine_->Evaluate(r);
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.reason, Reason::kExpired);
  EXPECT_THAT(HeaderOf(d.response_headers, "www-authenticate").value_or(""),
              HasSubstr("error=\"invalid_token\""));
  EXPECT_EQ(engine_->Stats().token_cache_hits, 1u);
}

// The cache holds what the provider verified; the route's claim conditions
// are judged on every request, hit or miss.
TEST_F(BearerTest, ClaimConditionsOfTheRouteApplyToACachedToken) {
  Start();
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::string token = idp_.AccessToken(StrCat(
      R"({"iss":"https://idp.test","sub":"svc-1","aud":"api","scope":"api:write","iat":)", now,
      R"(,"exp":)", now + 300, "}"));
  // /either needs the provider only: allowed, and the token is cached.
  ASSERT_EQ(engine_->Evaluate(Api({"Bearer " + token}, "/either/x")).action,
            Decision::Action::kAllow);
  // /api also needs scope api:read, which this token lacks.
  Decision d = engine_->Evaluate(Api({"Bearer " + token}));
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.reason, Reason::kInsufficientClaims);
  EXPECT_EQ(engine_->Stats().token_cache_hits, 1u);
}

// A cached token is tied to the key set it was verified with: once the
// provider's keys change (here a key file, re-read every 5s), the token is
// verified again, and one signed by a key that is gone is refused.
TEST_F(BearerTest, CachedTokenOfAKeyRotatedAwayIsRefusedOnceTheKeysChange) {
  TestKey old_key = TestKey::Ec("P-256");
  TestKey new_key = TestKey::Ec("P-256");
  std::string path = ::testing::TempDir() + "/engine_test_rotated_jwks.json";
  auto write_keys = [&](const std::string& jwks) {
    std::ofstream file(path, std::ios::trunc);
    file << jwks;
  };
  write_keys(old_key.PublicJwks("old"));
  Start(StrCat(R"({"jwt": {"providers": {"files": {"issuer": "https://files.test",
      "audiences": ["api"], "jwks_file": ")", path, R"("}}},
    "rules": [{"match": {"prefix": "/api"}, "requires": {"jwt": ["files"]}}]})"));
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::string token = testing::SignToken(
      old_key, "ES256", R"({"alg":"ES256","kid":"old"})",
      StrCat(R"({"iss":"https://files.test","sub":"svc-1","aud":"api","exp":)", now + 300, "}"));
  Request r = Api({"Bearer " + token});
  ASSERT_EQ(engine_->Evaluate(r).action, Decision::Action::kAllow);
  ASSERT_EQ(engine_->Evaluate(r).action, Decision::Action::kAllow);
  EXPECT_EQ(engine_->Stats().token_cache_hits, 1u);

  write_keys(new_key.PublicJwks("new-key"));
  clock_.Advance(absl::Seconds(6));
  schedulers_.back()->RunDue();
  Decision d = engine_->Evaluate(r);
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.reason, Reason::kKeyNotFound);
  EXPECT_EQ(engine_->Stats().token_cache_hits, 1u);
  std::remove(path.c_str());
}

// ---- tokens that did not verify never reach the upstream ----

// Providers reading tokens from a header, a cookie and a query parameter,
// and one whose verified tokens are forwarded; every route lets failed
// tokens through.
std::string OptionalTokenConfig() {
  return R"({
    "jwt": {"providers": {
      "header": {"issuer": "https://idp.test", "audiences": ["api"], "typ": "at+jwt"},
      "cookie": {"issuer": "https://idp.test", "audiences": ["api"], "typ": "at+jwt",
                 "from_cookies": ["api_token"]},
      "param": {"issuer": "https://idp.test", "audiences": ["api"], "typ": "at+jwt",
                "from_params": ["access_token"]},
      "kept": {"issuer": "https://idp.test", "audiences": ["api"], "typ": "at+jwt",
               "from_headers": [{"name": "X-Api-Token"}], "forward": true}}},
    "rules": [
      {"match": {"prefix": "/header"},
       "requires": {"jwt": ["header"], "allow_missing_or_failed": true}},
      {"match": {"prefix": "/cookie"},
       "requires": {"jwt": ["cookie"], "allow_missing_or_failed": true}},
      {"match": {"prefix": "/param"},
       "requires": {"jwt": ["param"], "allow_missing_or_failed": true}},
      {"match": {"prefix": "/kept"},
       "requires": {"jwt": ["kept"], "allow_missing_or_failed": true}}
    ]})";
}

class FailedTokenTest : public BearerTest {
 protected:
  std::string Signed(std::string_view issuer, int64_t expires_in) {
    int64_t now = absl::ToUnixSeconds(clock_.Now());
    return idp_.AccessToken(StrCat(R"({"iss":")", issuer, R"(","sub":"svc-1","aud":"api","iat":)",
                                   now - 600, R"(,"exp":)", now + expires_in, "}"));
  }
  // Tokens that must not verify, by what is wrong with them.
  std::vector<std::pair<std::string, std::string>> FailedTokens() {
    std::string forged = Signed("https://idp.test", 300);
    forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
    return {{"forged", forged},
            {"expired", Signed("https://idp.test", -300)},
            {"wrong issuer", Signed("https://evil.test", 300)}};
  }
};

TEST_F(FailedTokenTest, FailedHeaderTokenIsNotForwarded) {
  Start(OptionalTokenConfig());
  for (const auto& [what, token] : FailedTokens()) {
    Request r = Api({"Bearer " + token}, "/header/x");
    Decision d = engine_->Evaluate(r);
    ASSERT_EQ(d.action, Decision::Action::kAllow) << what << ": " << d.detail;
    EXPECT_FALSE(Forward(r, d).Carries(token)) << what;
  }
}

TEST_F(FailedTokenTest, FailedCookieTokenIsNotForwarded) {
  Start(OptionalTokenConfig());
  for (const auto& [what, token] : FailedTokens()) {
    Request r = Api({}, "/cookie/x");
    r.headers.emplace_back("Cookie", "theme=dark; api_token=" + token);
    Decision d = engine_->Evaluate(r);
    ASSERT_EQ(d.action, Decision::Action::kAllow) << what << ": " << d.detail;
    UpstreamRequest upstream = Forward(r, d);
    EXPECT_FALSE(upstream.Carries(token)) << what;
    EXPECT_EQ(HeaderOf(upstream.headers, "cookie"), "theme=dark") << what;
  }
}

TEST_F(FailedTokenTest, FailedQueryTokenIsNotForwarded) {
  Start(OptionalTokenConfig());
  for (const auto& [what, token] : FailedTokens()) {
    Request r = Api({}, StrCat("/param/x?page=2&access_token=", token));
    Decision d = engine_->Evaluate(r);
    ASSERT_EQ(d.action, Decision::Action::kAllow) << what << ": " << d.detail;
    EXPECT_FALSE(Forward(r, d).Carries(token)) << what;
    EXPECT_EQ(d.upstream_target, "/param/x?page=2") << what;
  }
}

TEST_F(FailedTokenTest, VerifiedTokenOfAForwardingProviderIsKeptAFailedOneIsNot) {
  Start(OptionalTokenConfig());
  std::string valid = Signed("https://idp.test", 300);
  Request good = Api({}, "/kept/x");
  good.headers.emplace_back("X-Api-Token", valid);
  Decision allowed = engine_->Evaluate(good);
  ASSERT_EQ(allowed.action, Decision::Action::kAllow) << allowed.detail;
  EXPECT_EQ(HeaderOf(Forward(good, allowed).headers, "x-api-token"), valid);

  std::string expired = Signed("https://idp.test", -300);
  Request bad = Api({}, "/kept/x");
  bad.headers.emplace_back("X-Api-Token", expired);
  Decision passed = engine_->Evaluate(bad);
  ASSERT_EQ(passed.action, Decision::Action::kAllow) << passed.detail;
  EXPECT_FALSE(Forward(bad, passed).Carries(expired));
}

TEST_F(FailedTokenTest, EngineWithoutLoginLeavesTheClientsCookiesAlone) {
  Start(OptionalTokenConfig());
  Request r = Api({}, "/header/x");
  r.headers.emplace_back("Cookie", "theme=dark; lang=en");
  Decision d = engine_->Evaluate(r);
  ASSERT_EQ(d.action, Decision::Action::kAllow) << d.detail;
  EXPECT_EQ(HeaderOf(Forward(r, d).headers, "cookie"), "theme=dark; lang=en");
}

TEST_F(BearerTest, ClientAuthorizationIsRemovedOnLoginRoutes) {
  std::string config = Config();
  config.replace(config.find("\"forward_bearer_token\": true"), 28,
                 "\"forward_bearer_token\": false");
  Start(config);
  Browser browser;
  Login(browser);
  Request r = browser.Get("/private");
  r.headers.emplace_back("Authorization", "Bearer " + Token());
  Decision d = engine_->Evaluate(r);
  ASSERT_EQ(d.action, Decision::Action::kAllow) << d.detail;
  EXPECT_FALSE(HeaderOf(Forward(r, d).headers, "authorization"));
}

// ---- methods ----

TEST_F(EngineTest, MethodWithALowerCaseLetterIsRefusedBeforeAnythingElse) {
  Start();
  Browser browser;
  Login(browser);
  for (const char* method : {"post", "Get", "deletE"}) {
    for (const char* target : {"/public/x", "/private", "/callback?code=c&state=s", "/signout"}) {
      Request r = browser.Get(target);
      r.method = method;
      Decision d = engine_->Evaluate(r);
      EXPECT_EQ(d.action, Decision::Action::kRespond) << method << " " << target;
      EXPECT_EQ(d.status, 400) << method << " " << target;
      EXPECT_EQ(d.reason, Reason::kInvalidMethod) << method << " " << target;
      EXPECT_THAT(SetCookies(d), IsEmpty()) << "nothing signed out: " << method << " " << target;
    }
  }
  EXPECT_EQ(engine_->Evaluate(browser.Get("/private")).action, Decision::Action::kAllow);
}

TEST_F(EngineTest, MethodThatIsNotAnHttpTokenIsRefused) {
  Start();
  Browser browser;
  for (const char* method : {"", "GET /", "GE\tT", "GET\r\nX-Injected: 1", "G\xC3\x89T", "\"GET\"",
                             "GET,POST"}) {
    Request r = browser.Get("/public/x");
    r.method = method;
    Decision d = engine_->Evaluate(r);
    EXPECT_EQ(d.status, 400) << method;
    EXPECT_EQ(d.reason, Reason::kInvalidMethod) << method;
  }
  for (const char* method : {"GET", "PROPFIND", "M-SEARCH", "BREW"}) {
    Request r = browser.Get("/public/x");
    r.method = method;
    EXPECT_EQ(engine_->Evaluate(r).action, Decision::Action::kAllow) << method;
  }
}

TEST_F(BearerTest, MethodOverrideHeadersNeverReachTheUpstream) {
  Start();
  Browser browser;
  Login(browser);
  Request public_page = browser.Get("/public/x");
  Request session_page = browser.Get("/private");
  Request api = Api({"Bearer " + Token()});
  for (Request* r : {&public_page, &session_page, &api}) {
    r->method = "POST";
    r->headers.emplace_back("X-HTTP-Method-Override", "DELETE");
    r->headers.emplace_back("x-http-method", "DELETE");
    r->headers.emplace_back("X-Method-Override", "DELETE");
    Decision d = engine_->Evaluate(*r);
    ASSERT_EQ(d.action, Decision::Action::kAllow) << r->target << ": " << d.detail;
    EXPECT_FALSE(Forward(*r, d).Carries("DELETE")) << r->target;
  }
}

// Rules for lower-case paths in front of an upstream whose router ignores
// case (Express, ASP.NET Core).
std::string LowerCaseRules(bool case_insensitive) {
  return StrCat(R"({
    "jwt": {"providers": {"idp": {"issuer": "https://idp.test", "audiences": ["api"]}}},
    "rules_case_insensitive": )", case_insensitive ? "true" : "false", R"(,
    "rules": [
      {"match": {"prefix": "/admin"}, "requires": {"jwt": ["idp"]}},
      {"match": {"path": "/settings"}, "requires": {"jwt": ["idp"]}},
      {"match": {"regex": "^/reports/[a-z]+$"}, "requires": {"jwt": ["idp"]}},
      {"match": {"prefix": "/"}, "requires": "none"}
    ]})");
}

TEST_F(BearerTest, UpperCasePathsBypassLowerCaseRulesUnlessRulesAreCaseInsensitive) {
  Start(LowerCaseRules(/*case_insensitive=*/true));
  for (const char* target : {"/admin", "/ADMIN", "/Admin/users", "/SETTINGS", "/Reports/Annual"}) {
    Decision d = engine_->Evaluate(Api({}, target));
    EXPECT_EQ(d.status, 401) << target;
    EXPECT_EQ(d.reason, Reason::kTokenMissing) << target;
  }
  Decision forwarded = engine_->Evaluate(Api({"Bearer " + Token()}, "/ADMIN/Users?x=1"));
  ASSERT_EQ(forwarded.action, Decision::Action::kAllow) << forwarded.detail;
  EXPECT_EQ(forwarded.upstream_target, "/ADMIN/Users?x=1") << "the path is forwarded as sent";
  EXPECT_EQ(engine_->Evaluate(Api({}, "/administration")).action, Decision::Action::kAllow)
      << "still whole segments";

  std::unique_ptr<Engine> exact = Make(LowerCaseRules(/*case_insensitive=*/false));
  ASSERT_NE(exact, nullptr);
  EXPECT_EQ(exact->Evaluate(Api({}, "/admin")).status, 401);
  for (const char* target : {"/ADMIN", "/Admin/users", "/SETTINGS", "/Reports/Annual"}) {
    EXPECT_EQ(exact->Evaluate(Api({}, target)).action, Decision::Action::kAllow) << target;
  }
}

// ---- the engine itself ----

TEST_F(EngineTest, EvaluateAsyncAnswersInlineWhenNoNetworkIsNeeded) {
  Start();
  Browser browser;
  Decision d;
  bool called = false;
  EXPECT_TRUE(engine_->EvaluateAsync(browser.Get("/public/x"), &d,
                                     [&](absl::StatusOr<Decision>) { called = true; }));
  EXPECT_EQ(d.action, Decision::Action::kAllow);
  EXPECT_FALSE(called);
}

TEST_F(EngineTest, SyncEvaluateIsBoundedAndDestructionCancelsPending) {
  std::string config = Config();
  config.replace(config.find("\"5s\""), 4, "\"100ms\"");
  Start(config);
  idp_.set_access_token_lifetime(120);
  Browser browser;
  Login(browser);
  clock_.Advance(absl::Minutes(3));
  idp_.HoldTokenEndpoint(true);
  Decision timed_out = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(timed_out.status, 504);
  struct Answers {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<absl::Status> statuses;
    std::thread::id thread;
  };
  auto answers = std::make_shared<Answers>();
  Decision d;
  EXPECT_FALSE(engine_->EvaluateAsync(browser.Get("/private"), &d,
                                      [answers](absl::StatusOr<Decision> later) {
                                        std::lock_guard<std::mutex> lock(answers->mutex);
                                        answers->statuses.push_back(later.status());
                                        answers->thread = std::this_thread::get_id();
                                        answers->changed.notify_all();
                                      }));
  engine_.reset();
  std::unique_lock<std::mutex> lock(answers->mutex);
  ASSERT_TRUE(answers->changed.wait_for(lock, std::chrono::seconds(10),
                                        [&] { return !answers->statuses.empty(); }));
  EXPECT_EQ(answers->statuses.size(), 1u);
  EXPECT_TRUE(absl::IsCancelled(answers->statuses[0])) << answers->statuses[0];
  EXPECT_NE(answers->thread, std::this_thread::get_id()) << "run inside the destructor";
  lock.unlock();
  idp_.HoldTokenEndpoint(false);
}

// A random generator that fails is a 503 without any cookie, whether the
// login starts (state, nonce, verifier, the sealed flow cookie) or ends (the
// session's id and its sealed cookie); never an abort, never an empty value.
TEST_F(EngineTest, RandomGeneratorFailureIs503WithoutCookies) {
  Start();
  Browser browser;
  random_.failing = true;
  Decision start = engine_->Evaluate(browser.Get("/private"));
  EXPECT_EQ(start.status, 503);
  EXPECT_EQ(start.outcome, Outcome::kUnavailable);
  EXPECT_THAT(start.detail, HasSubstr("random"));
  EXPECT_THAT(SetCookies(start), IsEmpty());
  EXPECT_FALSE(HeaderOf(start.response_headers, "location").has_value());

  random_.failing = false;
  std::string location = BeginLogin(browser);
  std::string code = idp_.Authorize(location);
  random_.failing = true;
  Decision callback = engine_->Evaluate(browser.Get(StrCat(
      "/callback?code=", code, "&state=", QueryParam(location, "state"),
      "&iss=https%3A%2F%2Fidp.test")));
  EXPECT_EQ(callback.status, 503);
  EXPECT_EQ(callback.outcome, Outcome::kUnavailable);
  EXPECT_THAT(callback.detail, HasSubstr("random"));
  EXPECT_THAT(SetCookies(callback), IsEmpty());
}

TEST_F(EngineTest, StatsCountOutcomesAndReasons) {
  Start();
  Browser browser;
  engine_->Evaluate(browser.Get("/publicity"));
  engine_->Evaluate(browser.Get("/public"));
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.outcomes[static_cast<size_t>(Outcome::kAllowed)], 1u);
  EXPECT_EQ(stats.outcomes[static_cast<size_t>(Outcome::kForbidden)], 1u);
  EXPECT_EQ(stats.reasons[static_cast<size_t>(Reason::kNoMatchingRule)], 1u);
}


// ---- host callbacks (a Python callback takes the GIL, a Go one may block) ----

class EngineTestHostCallbacks : public BearerTest {
 protected:
  // An access token signed with a key the provider's JWKS lacks: its verdict
  // waits for a key refetch, so EvaluateAsync() answers later.
  std::string TokenWithUnknownKey() {
    int64_t now = absl::ToUnixSeconds(clock_.Now());
    return testing::SignToken(
        idp_.key(), "RS256", R"({"alg":"RS256","typ":"at+jwt","kid":"rotated-away"})",
        StrCat(R"({"iss":"https://idp.test","sub":"svc-1","aud":"api","scope":"api:read",)",
               R"("iat":)", now, R"(,"exp":)", now + 300, "}"));
  }
};

// The host's lock, held by the thread freeing the engine, blocks a callback
// already running: free must return anyway; then the callback completes,
// and the call still pending at free is cancelled. Each callback runs once.
TEST_F(EngineTestHostCallbacks, FreeReturnsWhileACallbackWaitsForTheFreeingThreadsLock) {
  Start();
  clock_.Advance(absl::Seconds(31));  // past the refetch rate limit
  idp_.set_access_token_lifetime(120);
  Browser browser;
  Login(browser);
  clock_.Advance(absl::Minutes(3));  // the session's access token needs a refresh
  // Both calls below are certainly pending: their answers wait here.
  idp_.HoldTokenEndpoint(true);
  idp_.HoldJwks(true);

  struct Shared {
    std::mutex host_lock;  // the GIL
    std::mutex mutex;
    std::condition_variable changed;
    bool browser_callback_entered = false;
    bool freed = false;
    int browser_calls = 0;
    int bearer_calls = 0;
    std::optional<Decision> browser_decision;
    absl::Status bearer_status;
  };
  auto shared = std::make_shared<Shared>();
  auto wait_for = [&](auto condition) {
    std::unique_lock<std::mutex> lock(shared->mutex);
    return shared->changed.wait_for(lock, std::chrono::seconds(10), condition);
  };
  Request browser_request = browser.Get("/private");
  Request bearer_request = Api({"Bearer " + TokenWithUnknownKey()});
  std::unique_ptr<Engine> engine = std::move(engine_);
  std::thread host([&, shared, engine = std::move(engine)]() mutable {
    std::lock_guard<std::mutex> held(shared->host_lock);
    Decision d;
    // Answered once the token endpoint answers; its callback takes the
    // host's lock.
    EXPECT_FALSE(engine->EvaluateAsync(browser_request, &d,
                                       [shared](absl::StatusOr<Decision> later) {
                                         {
                                           std::lock_guard<std::mutex> lock(shared->mutex);
                                           shared->browser_callback_entered = true;
                                           shared->changed.notify_all();
                                         }
                                         std::lock_guard<std::mutex> gil(shared->host_lock);
                                         std::lock_guard<std::mutex> lock(shared->mutex);
                                         ++shared->browser_calls;
                                         if (later.ok()) shared->browser_decision = *later;
                                         shared->changed.notify_all();
                                       }));
    // Its key refetch stays held: still pending when the engine is freed.
    EXPECT_FALSE(engine->EvaluateAsync(bearer_request, &d,
                                       [shared](absl::StatusOr<Decision> later) {
                                         std::lock_guard<std::mutex> lock(shared->mutex);
                                         ++shared->bearer_calls;
                                         shared->bearer_status = later.status();
                                         shared->changed.notify_all();
                                       }));
    idp_.HoldTokenEndpoint(false);
    {
      std::unique_lock<std::mutex> lock(shared->mutex);
      if (!shared->changed.wait_for(lock, std::chrono::seconds(10),
                                    [&] { return shared->browser_callback_entered; })) {
        ADD_FAILURE() << "the browser request's callback never started";
      }
    }
    engine.reset();  // authgate_engine_free, with the GIL held
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->freed = true;
    shared->changed.notify_all();
  });
  bool freed = wait_for([&] { return shared->freed; });
  if (!freed) {
    // The old behaviour: free waits for the callback, which waits for the
    // host's lock, held by the freeing thread, forever. Those threads can
    // never be joined, nor the fixture torn down: end the process.
    ADD_FAILURE() << "freeing the engine waited for a callback blocked on the freeing thread's lock";
    std::fflush(stdout);
    std::_Exit(1);
  }
  host.join();  // releases the host's lock: the callbacks may now complete
  ASSERT_TRUE(wait_for([&] { return shared->browser_calls == 1 && shared->bearer_calls == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a second call would show
  std::lock_guard<std::mutex> lock(shared->mutex);
  EXPECT_EQ(shared->browser_calls, 1);
  EXPECT_EQ(shared->bearer_calls, 1);
  ASSERT_TRUE(shared->browser_decision.has_value());
  EXPECT_EQ(shared->browser_decision->action, Decision::Action::kAllow);
  EXPECT_TRUE(absl::IsCancelled(shared->bearer_status)) << shared->bearer_status;
  idp_.HoldJwks(false);
}

// A callback that evaluates again, with a step that needs the network,
// gets its answer: the callback does not occupy a thread the engine needs.
TEST_F(EngineTestHostCallbacks, CallbackMayEvaluateAgain) {
  Start();
  idp_.set_access_token_lifetime(120);
  Browser first, second;
  Login(first);
  Login(second);
  clock_.Advance(absl::Minutes(3));  // both sessions' access tokens need a refresh
  idp_.HoldTokenEndpoint(true);  // the first call is certainly pending
  Request second_request = second.Get("/private");
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Decision> nested;
  int calls = 0;
  Decision d;
  ASSERT_FALSE(engine_->EvaluateAsync(
      first.Get("/private"), &d, [&](absl::StatusOr<Decision> later) {
        EXPECT_TRUE(later.ok()) << later.status();
        Decision again = engine_->Evaluate(second_request);  // a refresh: the network
        std::lock_guard<std::mutex> lock(mutex);
        ++calls;
        nested = std::move(again);
        changed.notify_all();
      }));
  idp_.HoldTokenEndpoint(false);
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(20), [&] { return nested.has_value(); }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(nested->action, Decision::Action::kAllow) << nested->status << " " << nested->detail;
  EXPECT_EQ(idp_.refresh_requests(), 2);
}

}  // namespace
}  // namespace authgate
