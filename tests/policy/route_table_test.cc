// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/route_table.h"

#include <string>
#include <string_view>
#include <vector>

#include "engine/request.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/path_normalizer.h"
#include "text.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::vector<std::string> kProviders = {"idp", "a", "b"};

absl::StatusOr<RouteTable> ParseRules(std::string_view json, bool case_insensitive = false) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse(json, JsonLimits{}); !s.ok()) return s;
  return RouteTable::Parse(doc.root(), "rules", kProviders, case_insensitive);
}

RouteTable MustParse(std::string_view json, bool case_insensitive = false) {
  absl::StatusOr<RouteTable> table = ParseRules(json, case_insensitive);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? std::move(*table) : RouteTable();
}

// The name of the rule matching a GET to app.example, or "" for none.
std::string Matched(const RouteTable& table, std::string_view path, std::string_view method = "GET",
                    std::string_view host = "app.example") {
  const RouteRule* rule = table.Match(method, host, path);
  return rule == nullptr ? std::string() : rule->name;
}

std::string ErrorOf(std::string_view json) {
  absl::StatusOr<RouteTable> table = ParseRules(json);
  EXPECT_FALSE(table.ok()) << "accepted " << json;
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(table.status().message());
}

// --- Matching -------------------------------------------------------------

TEST(RouteTableTest, PrefixMatchesWholeSegmentsOnly) {
  RouteTable table =
      MustParse(R"([{"name": "public", "match": {"prefix": "/public"}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/public"), "public");
  EXPECT_EQ(Matched(table, "/public/"), "public");
  EXPECT_EQ(Matched(table, "/public/x/y"), "public");
  EXPECT_EQ(Matched(table, "/publicity"), "");
  EXPECT_EQ(Matched(table, "/public."), "");
  EXPECT_EQ(Matched(table, "/publi"), "");
  EXPECT_EQ(Matched(table, "/x/public"), "");
}

TEST(RouteTableTest, PrefixTrailingSlashIsIgnored) {
  RouteTable table =
      MustParse(R"([{"name": "p", "match": {"prefix": "/public/"}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/public"), "p");
  EXPECT_EQ(Matched(table, "/public/x"), "p");
  EXPECT_EQ(Matched(table, "/publicity"), "");
}

TEST(RouteTableTest, RootPrefixMatchesEveryPath) {
  RouteTable table =
      MustParse(R"([{"name": "all", "match": {"prefix": "/"}, "requires": "login"}])");
  EXPECT_EQ(Matched(table, "/"), "all");
  EXPECT_EQ(Matched(table, "/anything/at/all"), "all");
}

TEST(RouteTableTest, QueryStringCannotSteerTheMatch) {
  RouteTable table = MustParse(R"([
    {"name": "public", "match": {"prefix": "/public"}, "requires": "none"},
    {"name": "private", "match": {"prefix": "/private"}, "requires": "login"}])");
  Request request;
  request.method = "GET";
  request.authority = "app.example";
  request.target = "/private?x=/public";
  absl::StatusOr<std::string> path = NormalizePath(request.Path());
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "/private");
  EXPECT_EQ(Matched(table, *path), "private");
}

TEST(RouteTableTest, DotSegmentsCannotEscapeIntoAPublicPrefix) {
  RouteTable table = MustParse(R"([
    {"name": "public", "match": {"prefix": "/public"}, "requires": "none"},
    {"name": "private", "match": {"prefix": "/"}, "requires": "login"}])");
  for (std::string_view raw :
       {"/public/../private", "/public/%2e%2e/private", "/public/./../private"}) {
    absl::StatusOr<std::string> path = NormalizePath(raw);
    ASSERT_TRUE(path.ok()) << raw;
    EXPECT_EQ(Matched(table, *path), "private") << raw;
  }
}

TEST(RouteTableTest, ExactPathMatchesThatPathOnly) {
  RouteTable table =
      MustParse(R"([{"name": "home", "match": {"path": "/a"}, "requires": "login"}])");
  EXPECT_EQ(Matched(table, "/a"), "home");
  EXPECT_EQ(Matched(table, "/a/"), "");
  EXPECT_EQ(Matched(table, "/a/b"), "");
  EXPECT_EQ(Matched(table, "/ab"), "");
  EXPECT_EQ(Matched(table, "/A"), "");
}

TEST(RouteTableTest, RegexMustMatchTheWholePath) {
  RouteTable table =
      MustParse(R"([{"name": "item", "match": {"regex": "/items/[0-9]+"}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/items/42"), "item");
  EXPECT_EQ(Matched(table, "/items/42/delete"), "");
  EXPECT_EQ(Matched(table, "/admin/items/42"), "");
  EXPECT_EQ(Matched(table, "/items/"), "");
}

constexpr std::string_view kLowerCaseRules = R"([
  {"name": "admin", "match": {"prefix": "/admin"}, "requires": "login"},
  {"name": "settings", "match": {"path": "/settings"}, "requires": "login"},
  {"name": "report", "match": {"regex": "/reports/[a-z]+"}, "requires": "login"},
  {"name": "write", "match": {"prefix": "/api", "methods": ["POST"]}, "requires": "login"}])";

TEST(RouteTableTest, CaseInsensitivePathsMatchAnyCase) {
  RouteTable table = MustParse(kLowerCaseRules, /*case_insensitive=*/true);
  EXPECT_EQ(Matched(table, "/ADMIN"), "admin");
  EXPECT_EQ(Matched(table, "/Admin/Users"), "admin");
  EXPECT_EQ(Matched(table, "/ADMINISTRATION"), "") << "still whole segments";
  EXPECT_EQ(Matched(table, "/SETTINGS"), "settings");
  EXPECT_EQ(Matched(table, "/Settings/"), "");
  EXPECT_EQ(Matched(table, "/REPORTS/Annual"), "report");
  EXPECT_EQ(Matched(table, "/reports/annual/x"), "");
  EXPECT_EQ(Matched(table, "/API", "POST"), "write");
  EXPECT_EQ(Matched(table, "/API", "post"), "") << "methods stay exact";
}

TEST(RouteTableTest, PathsAreCaseSensitiveByDefault) {
  RouteTable table = MustParse(kLowerCaseRules);
  EXPECT_EQ(Matched(table, "/admin"), "admin");
  EXPECT_EQ(Matched(table, "/ADMIN"), "");
  EXPECT_EQ(Matched(table, "/SETTINGS"), "");
  EXPECT_EQ(Matched(table, "/REPORTS/annual"), "");
  EXPECT_EQ(Matched(table, "/reports/Annual"), "");
}

TEST(RouteTableTest, MethodsCompareExactly) {
  RouteTable table =
      MustParse(R"([{"name": "read", "match": {"methods": ["GET", "HEAD"]}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/x", "GET"), "read");
  EXPECT_EQ(Matched(table, "/x", "HEAD"), "read");
  EXPECT_EQ(Matched(table, "/x", "POST"), "");
  EXPECT_EQ(Matched(table, "/x", "get"), "");
  EXPECT_EQ(Matched(table, "/x", "GET "), "");
}

TEST(RouteTableTest, HostIgnoresPortCaseAndTrailingDot) {
  RouteTable table =
      MustParse(R"([{"name": "api", "match": {"host": "API.example.com"}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/", "GET", "api.example.com"), "api");
  EXPECT_EQ(Matched(table, "/", "GET", "Api.Example.COM:8443"), "api");
  EXPECT_EQ(Matched(table, "/", "GET", "api.example.com."), "api");
  EXPECT_EQ(Matched(table, "/", "GET", "api.example.com.:443"), "api");
  EXPECT_EQ(Matched(table, "/", "GET", "api.example.com.evil"), "");
  EXPECT_EQ(Matched(table, "/", "GET", "xapi.example.com"), "");
  EXPECT_EQ(Matched(table, "/", "GET", "a.api.example.com"), "");
  EXPECT_EQ(Matched(table, "/", "GET", ""), "");
}

TEST(RouteTableTest, WildcardHostMatchesSubdomainsOnly) {
  RouteTable table =
      MustParse(R"([{"name": "sub", "match": {"host": "*.example.com"}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/", "GET", "a.example.com"), "sub");
  EXPECT_EQ(Matched(table, "/", "GET", "a.b.example.com:8080"), "sub");
  EXPECT_EQ(Matched(table, "/", "GET", "A.EXAMPLE.COM"), "sub");
  EXPECT_EQ(Matched(table, "/", "GET", "example.com"), "");
  EXPECT_EQ(Matched(table, "/", "GET", ".example.com"), "");
  EXPECT_EQ(Matched(table, "/", "GET", "aexample.com"), "");
  EXPECT_EQ(Matched(table, "/", "GET", "a.example.com.evil"), "");
}

TEST(RouteTableTest, BracketedIpv6Host) {
  RouteTable table =
      MustParse(R"([{"name": "v6", "match": {"host": "[::1]"}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/", "GET", "[::1]:8080"), "v6");
  EXPECT_EQ(Matched(table, "/", "GET", "[::1]"), "v6");
  EXPECT_EQ(Matched(table, "/", "GET", "[::2]"), "");
}

TEST(RouteTableTest, FirstMatchWins) {
  RouteTable table = MustParse(R"([
    {"name": "api-write", "match": {"prefix": "/api", "methods": ["POST"]},
     "requires": {"jwt_all": ["a", "b"]}},
    {"name": "api", "match": {"prefix": "/api"}, "requires": {"jwt": ["idp"]}},
    {"name": "rest", "requires": "login"}])");
  EXPECT_EQ(Matched(table, "/api/x", "POST"), "api-write");
  EXPECT_EQ(Matched(table, "/api/x", "GET"), "api");
  EXPECT_EQ(Matched(table, "/other", "POST"), "rest");
}

TEST(RouteTableTest, NoMatchingRuleReturnsNull) {
  RouteTable table = MustParse(R"([{"match": {"prefix": "/public"}, "requires": "none"}])");
  EXPECT_EQ(table.Match("GET", "app.example", "/private"), nullptr);
}

TEST(RouteTableTest, MissingOrEmptyMatchMatchesEverything) {
  RouteTable table = MustParse(R"([{"name": "x", "match": {}, "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/any", "DELETE", "h:1"), "x");
  RouteTable no_match = MustParse(R"([{"name": "y", "requires": "none"}])");
  EXPECT_EQ(Matched(no_match, "/any", "PATCH", "other"), "y");
}

TEST(RouteTableTest, AllConditionsOfAMatchMustHold) {
  RouteTable table = MustParse(R"([{"name": "api",
    "match": {"prefix": "/api", "methods": ["GET"], "host": "api.example.com"},
    "requires": "none"}])");
  EXPECT_EQ(Matched(table, "/api/x", "GET", "api.example.com"), "api");
  EXPECT_EQ(Matched(table, "/web", "GET", "api.example.com"), "");
  EXPECT_EQ(Matched(table, "/api/x", "PUT", "api.example.com"), "");
  EXPECT_EQ(Matched(table, "/api/x", "GET", "www.example.com"), "");
}

TEST(RouteTableTest, ParsesRequirementsAndNames) {
  RouteTable table = MustParse(R"([
    {"match": {"prefix": "/public"}, "requires": "none"},
    {"name": "api", "requires": {"jwt": ["idp"]}, "claims": {"scope": {"contains": "api:read"}}},
    {"requires": {"jwt": ["a", "b"], "allow_missing": true}},
    {"requires": {"jwt": ["a"], "allow_missing_or_failed": true}},
    {"requires": "login"},
    {"requires": {"login_or_jwt": ["idp"]},
     "claims": [{"claim": ["https://example.com/roles"], "contains": "admin"}]},
    {"requires": {"jwt_all": ["a", "b"]}}])");
  const std::vector<RouteRule>& rules = table.rules();
  ASSERT_EQ(rules.size(), 7u);
  EXPECT_EQ(rules[0].name, "rules[0]");
  EXPECT_EQ(rules[0].requirement.kind, RequirementKind::kNone);
  EXPECT_EQ(rules[1].name, "api");
  EXPECT_EQ(rules[1].requirement.kind, RequirementKind::kJwtAny);
  EXPECT_EQ(rules[1].requirement.providers, std::vector<std::string>{"idp"});
  ASSERT_EQ(rules[1].claims.size(), 1u);
  EXPECT_EQ(rules[1].claims[0].Describe(), "scope contains \"api:read\"");
  EXPECT_TRUE(rules[2].requirement.allow_missing);
  EXPECT_FALSE(rules[2].requirement.allow_missing_or_failed);
  EXPECT_EQ(rules[2].requirement.providers, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(rules[3].requirement.allow_missing);
  EXPECT_TRUE(rules[3].requirement.allow_missing_or_failed);
  EXPECT_EQ(rules[4].requirement.kind, RequirementKind::kLogin);
  EXPECT_EQ(rules[5].requirement.kind, RequirementKind::kLoginOrJwt);
  EXPECT_EQ(rules[5].claims[0].path, std::vector<std::string>{"https://example.com/roles"});
  EXPECT_EQ(rules[6].requirement.kind, RequirementKind::kJwtAll);
  EXPECT_EQ(rules[6].name, "rules[6]");
}

// --- Configuration errors -------------------------------------------------

TEST(RouteTableConfigTest, MissingRequires) {
  EXPECT_THAT(ErrorOf(R"([{"requires": "none"}, {"match": {"prefix": "/a"}}])"),
              StartsWith("rules[1].requires: is required"));
}

TEST(RouteTableConfigTest, UnknownProvider) {
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": ["idp", "nope"]}}])"),
              StartsWith("rules[0].requires.jwt: unknown provider \"nope\""));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"login_or_jwt": ["x"]}}])"),
              StartsWith("rules[0].requires.login_or_jwt: unknown provider"));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt_all": ["a", "z"]}}])"),
              StartsWith("rules[0].requires.jwt_all: unknown provider"));
}

TEST(RouteTableConfigTest, UnknownKeys) {
  EXPECT_EQ(ErrorOf(R"([{"requires": "none", "require": "login"}])"),
            "rules[0].require: unknown key");
  EXPECT_EQ(ErrorOf(R"([{"match": {"prefixx": "/a"}, "requires": "none"}])"),
            "rules[0].match.prefixx: unknown key");
  EXPECT_EQ(ErrorOf(R"([{"requires": {"jwt": ["idp"], "allow_mising": true}}])"),
            "rules[0].requires.allow_mising: unknown key");
}

TEST(RouteTableConfigTest, BadRegex) {
  EXPECT_THAT(
      ErrorOf(R"([{"requires": "none"}, {"match": {"regex": "/items/(["}, "requires": "none"}])"),
      StartsWith("rules[1].match.regex: invalid regular expression: "));
}

TEST(RouteTableConfigTest, BadMethod) {
  EXPECT_THAT(ErrorOf(R"([{"match": {"methods": ["GET", "post"]}, "requires": "none"}])"),
              StartsWith("rules[0].match.methods[1]: must be uppercase"));
  EXPECT_THAT(ErrorOf(R"([{"match": {"methods": ["GE T"]}, "requires": "none"}])"),
              StartsWith("rules[0].match.methods[0]: must be an HTTP method"));
  EXPECT_THAT(ErrorOf(R"([{"match": {"methods": []}, "requires": "none"}])"),
              StartsWith("rules[0].match.methods: must not be empty"));
  EXPECT_THAT(ErrorOf(R"([{"match": {"methods": "GET"}, "requires": "none"}])"),
              StartsWith("rules[0].match.methods: must be a list"));
}

TEST(RouteTableConfigTest, ClaimsOnNone) {
  EXPECT_THAT(ErrorOf(R"([{"requires": "none", "claims": {"sub": {"equals": "x"}}}])"),
              StartsWith("rules[0].claims: a rule requiring \"none\""));
}

TEST(RouteTableConfigTest, ClaimsWithAllowFlags) {
  // Omitting the token would pass the rule without the claims ever checked.
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": ["idp"], "allow_missing": true},
                           "claims": {"sub": {"equals": "x"}}}])"),
              StartsWith("rules[0].claims: not allowed with allow_missing"));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": ["idp"], "allow_missing_or_failed": true},
                           "claims": {"sub": {"equals": "x"}}}])"),
              StartsWith("rules[0].claims: not allowed with allow_missing"));
}

TEST(RouteTableConfigTest, BadClaimsNameTheirKey) {
  EXPECT_THAT(ErrorOf(R"([{"requires": "login", "claims": {"sub": {"equal": "x"}}}])"),
              StartsWith("rules[0].claims.sub"));
}

TEST(RouteTableConfigTest, BothAllowFlags) {
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": ["idp"], "allow_missing": true,
                                         "allow_missing_or_failed": true}}])"),
              StartsWith("rules[0].requires.allow_missing_or_failed: cannot be combined"));
}

TEST(RouteTableConfigTest, AllowFlagsOnlyWithJwtAnyOf) {
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt_all": ["a", "b"], "allow_missing": true}}])"),
              StartsWith("rules[0].requires.allow_missing: only with \"jwt\""));
  EXPECT_THAT(
      ErrorOf(R"([{"requires": {"login_or_jwt": ["a"], "allow_missing_or_failed": true}}])"),
      StartsWith("rules[0].requires.allow_missing_or_failed: only with \"jwt\""));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": ["a"], "allow_missing": "yes"}}])"),
              StartsWith("rules[0].requires.allow_missing: must be true or false"));
}

TEST(RouteTableConfigTest, EmptyProviderList) {
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": []}}])"),
              StartsWith("rules[0].requires.jwt: must not be empty"));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt_all": []}}])"),
              StartsWith("rules[0].requires.jwt_all: must not be empty"));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"login_or_jwt": []}}])"),
              StartsWith("rules[0].requires.login_or_jwt: must not be empty"));
}

TEST(RouteTableConfigTest, DuplicateProvider) {
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt_all": ["a", "a"]}}])"),
              StartsWith("rules[0].requires.jwt_all: lists provider \"a\" twice"));
}

TEST(RouteTableConfigTest, BadRequiresValue) {
  EXPECT_THAT(ErrorOf(R"([{"requires": "jwt"}])"), StartsWith("rules[0].requires: must be"));
  EXPECT_THAT(ErrorOf(R"([{"requires": true}])"), StartsWith("rules[0].requires: must be"));
  EXPECT_THAT(ErrorOf(R"([{"requires": {}}])"),
              HasSubstr("give exactly one of jwt, jwt_all, login_or_jwt"));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": ["a"], "jwt_all": ["b"]}}])"),
              StartsWith("rules[0].requires.jwt_all: give exactly one of"));
  EXPECT_THAT(ErrorOf(R"([{"requires": {"jwt": "idp"}}])"),
              StartsWith("rules[0].requires.jwt: must be a list"));
}

TEST(RouteTableConfigTest, MoreThanOnePathMatcher) {
  EXPECT_THAT(ErrorOf(R"([{"match": {"path": "/a", "prefix": "/a"}, "requires": "none"}])"),
              StartsWith("rules[0].match.prefix: give at most one of path, prefix, regex"));
  EXPECT_THAT(ErrorOf(R"([{"match": {"prefix": "/a", "regex": "/a"}, "requires": "none"}])"),
              StartsWith("rules[0].match.regex: give at most one of"));
}

TEST(RouteTableConfigTest, PathsMustBeNormalised) {
  // A prefix that no normalised request path can have would never match.
  EXPECT_THAT(ErrorOf(R"([{"match": {"prefix": "/a//b"}, "requires": "none"}])"),
              StartsWith("rules[0].match.prefix: must be in normalised form, \"/a/b\""));
  EXPECT_THAT(ErrorOf(R"([{"match": {"path": "/%61"}, "requires": "none"}])"),
              StartsWith("rules[0].match.path: must be in normalised form, \"/a\""));
  EXPECT_THAT(ErrorOf(R"([{"match": {"prefix": "public"}, "requires": "none"}])"),
              StartsWith("rules[0].match.prefix: invalid path"));
  EXPECT_THAT(ErrorOf(R"([{"match": {"path": "/a/../.."}, "requires": "none"}])"),
              StartsWith("rules[0].match.path: invalid path"));
}

TEST(RouteTableConfigTest, BadHost) {
  for (std::string_view host : {"api.example.com:443", "", "*.", "*", "a..b", "a.b.",
                                "x*.example.com", "http://a", "[zz]"}) {
    EXPECT_THAT(ErrorOf(StrCat(R"([{"match": {"host": ")", host, R"("}, "requires": "none"}])")),
                StartsWith("rules[0].match.host: must be a host name"))
        << host;
  }
}

TEST(RouteTableConfigTest, RulesMustBeANonEmptyList) {
  EXPECT_THAT(ErrorOf("[]"), StartsWith("rules: must not be empty"));
  EXPECT_THAT(ErrorOf("{}"), StartsWith("rules: must be a list"));
  EXPECT_THAT(ErrorOf(R"(["none"])"), StartsWith("rules[0]: must be an object"));
}

TEST(RouteTableConfigTest, DuplicateOrEmptyRuleName) {
  EXPECT_THAT(ErrorOf(R"([{"name": "x", "requires": "none"}, {"name": "x", "requires": "login"}])"),
              StartsWith("rules[1].name: duplicate rule name \"x\""));
  EXPECT_THAT(ErrorOf(R"([{"name": "", "requires": "none"}])"),
              StartsWith("rules[0].name: must not be empty"));
}

}  // namespace
}  // namespace authgate
