// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/claim_condition.h"

#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace authgate {
namespace {

using ::testing::StartsWith;

std::vector<ClaimCondition> Conditions(std::string_view json) {
  JsonDocument doc;
  EXPECT_TRUE(doc.Parse(json, JsonLimits{}).ok()) << json;
  absl::StatusOr<std::vector<ClaimCondition>> conditions =
      ParseClaimConditions(doc.root(), "rules[0].claims");
  EXPECT_TRUE(conditions.ok()) << conditions.status();
  return conditions.ok() ? *conditions : std::vector<ClaimCondition>();
}

std::string ErrorOf(std::string_view json) {
  JsonDocument doc;
  EXPECT_TRUE(doc.Parse(json, JsonLimits{}).ok()) << json;
  absl::StatusOr<std::vector<ClaimCondition>> conditions =
      ParseClaimConditions(doc.root(), "rules[0].claims");
  EXPECT_FALSE(conditions.ok()) << "accepted " << json;
  return std::string(conditions.status().message());
}

// Whether `claims` satisfy the conditions `config`; *unmet as ClaimsSatisfied.
bool Satisfied(std::string_view config, std::string_view claims, std::string* unmet = nullptr) {
  const std::vector<ClaimCondition> conditions = Conditions(config);
  EXPECT_FALSE(conditions.empty());
  JsonDocument doc;
  EXPECT_TRUE(doc.Parse(claims, JsonLimits{}).ok()) << claims;
  return ClaimsSatisfied(doc.root(), conditions, unmet);
}

TEST(ClaimConditionTest, EqualsString) {
  const char* kConfig = R"({"sub": {"equals": "alice"}})";
  EXPECT_TRUE(Satisfied(kConfig, R"({"sub": "alice"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"sub": "alice2"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"sub": "Alice"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"sub": ["alice"]})"));
}

TEST(ClaimConditionTest, EqualsNumberByValue) {
  const char* kConfig = R"({"level": {"equals": 3}})";
  EXPECT_TRUE(Satisfied(kConfig, R"({"level": 3})"));
  EXPECT_TRUE(Satisfied(kConfig, R"({"level": 3.0})"));
  EXPECT_TRUE(Satisfied(kConfig, R"({"level": 3e0})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"level": 4})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"level": "3"})"));
  EXPECT_TRUE(Satisfied(R"({"ratio": {"equals": 0.5}})", R"({"ratio": 5e-1})"));
}

TEST(ClaimConditionTest, LargeIntegersCompareExactly) {
  // Both round to the same double; they are different identifiers.
  EXPECT_FALSE(Satisfied(R"({"id": {"equals": 9007199254740993}})", R"({"id": 9007199254740992})"));
  EXPECT_TRUE(Satisfied(R"({"id": {"equals": 9007199254740993}})", R"({"id": 9007199254740993})"));
}

TEST(ClaimConditionTest, EqualsBoolean) {
  const char* kConfig = R"({"email_verified": {"equals": true}})";
  EXPECT_TRUE(Satisfied(kConfig, R"({"email_verified": true})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"email_verified": false})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"email_verified": "true"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"email_verified": 1})"));
  EXPECT_TRUE(Satisfied(R"({"banned": {"equals": false}})", R"({"banned": false})"));
}

TEST(ClaimConditionTest, OneOf) {
  const char* kConfig = R"({"tier": {"one_of": ["gold", "silver", 7, true]}})";
  EXPECT_TRUE(Satisfied(kConfig, R"({"tier": "gold"})"));
  EXPECT_TRUE(Satisfied(kConfig, R"({"tier": "silver"})"));
  EXPECT_TRUE(Satisfied(kConfig, R"({"tier": 7})"));
  EXPECT_TRUE(Satisfied(kConfig, R"({"tier": true})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"tier": "bronze"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"tier": "7"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"tier": ["gold"]})"));
}

TEST(ClaimConditionTest, ContainsArrayElement) {
  EXPECT_TRUE(Satisfied(R"({"groups": {"contains": "admin"}})", R"({"groups": ["dev", "admin"]})"));
  EXPECT_FALSE(Satisfied(R"({"groups": {"contains": "admin"}})",
                         R"({"groups": ["dev", "administrators"]})"));
  EXPECT_FALSE(Satisfied(R"({"groups": {"contains": "admin"}})", R"({"groups": []})"));
  EXPECT_TRUE(Satisfied(R"({"ids": {"contains": 2}})", R"({"ids": [1, 2.0, 3]})"));
  EXPECT_FALSE(Satisfied(R"({"ids": {"contains": 2}})", R"({"ids": ["2"]})"));
  EXPECT_TRUE(Satisfied(R"({"flags": {"contains": true}})", R"({"flags": [false, true]})"));
  // Nested arrays are not searched.
  EXPECT_FALSE(Satisfied(R"({"groups": {"contains": "admin"}})", R"({"groups": [["admin"]]})"));
}

TEST(ClaimConditionTest, ContainsSpaceDelimitedScopeToken) {
  const char* kConfig = R"({"scope": {"contains": "api:read"}})";
  EXPECT_TRUE(Satisfied(kConfig, R"({"scope": "openid api:read profile"})"));
  EXPECT_TRUE(Satisfied(kConfig, R"({"scope": "api:read"})"));
  EXPECT_TRUE(Satisfied(kConfig, R"({"scope": "a  api:read"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"scope": "api:readwrite"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"scope": "api:rea"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"scope": "xapi:read"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"scope": "openid,api:read"})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"scope": ""})"));
  // A number is not searched for inside a string.
  EXPECT_FALSE(Satisfied(R"({"scope": {"contains": 1}})", R"({"scope": "1 2"})"));
}

TEST(ClaimConditionTest, NestedDottedPath) {
  const char* kConfig = R"({"realm_access.roles": {"contains": "admin"}})";
  EXPECT_TRUE(Satisfied(kConfig, R"({"realm_access": {"roles": ["admin"]}})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"realm_access": {"roles": ["user"]}})"));
  // A top-level member literally named "realm_access.roles" is another claim.
  EXPECT_FALSE(Satisfied(kConfig, R"({"realm_access.roles": ["admin"]})"));
  EXPECT_TRUE(Satisfied(R"({"a.b.c": {"equals": 1}})", R"({"a": {"b": {"c": 1}}})"));
}

TEST(ClaimConditionTest, SegmentListForNamesWithDots) {
  const char* kConfig = R"([{"claim": ["https://example.com/roles"], "contains": "admin"}])";
  EXPECT_TRUE(Satisfied(kConfig, R"({"https://example.com/roles": ["admin"]})"));
  EXPECT_FALSE(Satisfied(kConfig, R"({"https://example": {"com/roles": ["admin"]}})"));
  EXPECT_TRUE(
      Satisfied(R"([{"claim": ["ext", "a.b"], "equals": "x"}])", R"({"ext": {"a.b": "x"}})"));
  EXPECT_TRUE(Satisfied(R"([{"claim": "realm_access.roles", "one_of": ["a", "b"]}])",
                        R"({"realm_access": {"roles": "b"}})"));
}

TEST(ClaimConditionTest, AbsentClaimFails) {
  std::string unmet;
  EXPECT_FALSE(
      Satisfied(R"({"realm_access.roles": {"contains": "admin"}})", R"({"sub": "x"})", &unmet));
  EXPECT_EQ(unmet, "realm_access.roles");
  EXPECT_FALSE(
      Satisfied(R"({"realm_access.roles": {"contains": "admin"}})", R"({"realm_access": {}})"));
  EXPECT_FALSE(Satisfied(R"({"x": {"equals": false}})", R"({})"));
}

TEST(ClaimConditionTest, WrongTypeFails) {
  EXPECT_FALSE(Satisfied(R"({"sub": {"equals": "1"}})", R"({"sub": 1})"));
  EXPECT_FALSE(Satisfied(R"({"sub": {"equals": "x"}})", R"({"sub": null})"));
  EXPECT_FALSE(Satisfied(R"({"sub": {"equals": "x"}})", R"({"sub": {"x": "x"}})"));
  EXPECT_FALSE(Satisfied(R"({"roles": {"contains": "x"}})", R"({"roles": {"x": true}})"));
  EXPECT_FALSE(Satisfied(R"({"roles": {"contains": "x"}})", R"({"roles": 5})"));
  // A claims document that is not an object holds no claim.
  EXPECT_FALSE(Satisfied(R"({"sub": {"equals": "x"}})", R"(["x"])"));
}

TEST(ClaimConditionTest, ArraysOnThePathAreNotTraversed) {
  EXPECT_FALSE(
      Satisfied(R"({"orgs.role": {"equals": "admin"}})", R"({"orgs": [{"role": "admin"}]})"));
  EXPECT_FALSE(Satisfied(R"({"orgs.0": {"equals": "admin"}})", R"({"orgs": ["admin"]})"));
}

TEST(ClaimConditionTest, AllMustHoldAndUnmetNamesTheFirstFailure) {
  const char* kConfig = R"([{"claim": "sub", "equals": "alice"},
                            {"claim": ["https://example.com/roles"], "contains": "admin"},
                            {"claim": "tier", "equals": "gold"}])";
  std::string unmet;
  EXPECT_TRUE(Satisfied(
      kConfig, R"({"sub": "alice", "https://example.com/roles": ["admin"], "tier": "gold"})",
      &unmet));
  EXPECT_FALSE(Satisfied(
      kConfig, R"({"sub": "alice", "https://example.com/roles": ["user"], "tier": "bronze"})",
      &unmet));
  EXPECT_EQ(unmet, R"(["https://example.com/roles"])");
  EXPECT_FALSE(Satisfied(
      kConfig,
      R"({"sub": "alice", "https://example.com/roles": ["admin"], "tier": "secret-value"})",
      &unmet));
  EXPECT_EQ(unmet, "tier");
  EXPECT_FALSE(Satisfied(kConfig, R"({"sub": "bob"})", nullptr));
}

TEST(ClaimConditionTest, Describe) {
  const std::vector<ClaimCondition> conditions = Conditions(
      R"([{"claim": "scope", "contains": "api:read"}, {"claim": "a.b", "one_of": ["x", 2, false]},
          {"claim": ["https://e.com/r"], "equals": 1.5}])");
  ASSERT_EQ(conditions.size(), 3u);
  EXPECT_EQ(conditions[0].Describe(), "scope contains \"api:read\"");
  EXPECT_EQ(conditions[1].Describe(), "a.b one of [\"x\",2,false]");
  EXPECT_EQ(conditions[2].Describe(), "[\"https://e.com/r\"] equals 1.5");
}

TEST(ClaimConditionConfigTest, OperatorErrors) {
  EXPECT_THAT(ErrorOf(R"({"sub": {}})"),
              StartsWith("rules[0].claims.sub: give exactly one of equals, one_of, contains"));
  EXPECT_THAT(ErrorOf(R"({"sub": {"equals": "a", "contains": "b"}})"),
              StartsWith("rules[0].claims.sub: give exactly one of"));
  EXPECT_THAT(ErrorOf(R"({"sub": {"equals": "a", "other": 1}})"),
              StartsWith("rules[0].claims.sub.other: unknown key"));
  EXPECT_THAT(ErrorOf(R"({"sub": "alice"})"), StartsWith("rules[0].claims.sub: must be an object"));
  EXPECT_THAT(ErrorOf(R"({"sub": {"one_of": []}})"),
              StartsWith("rules[0].claims.sub.one_of: must not be empty"));
  EXPECT_THAT(ErrorOf(R"({"sub": {"one_of": "a"}})"),
              StartsWith("rules[0].claims.sub.one_of: must be a list"));
  EXPECT_THAT(ErrorOf(R"({"scope": {"contains": ""}})"),
              StartsWith("rules[0].claims.scope.contains: must not be an empty string"));
}

TEST(ClaimConditionConfigTest, ValueErrors) {
  EXPECT_THAT(ErrorOf(R"({"sub": {"equals": null}})"),
              StartsWith("rules[0].claims.sub.equals: must be a string, a number or a boolean"));
  EXPECT_THAT(ErrorOf(R"({"sub": {"equals": ["a"]}})"),
              StartsWith("rules[0].claims.sub.equals: must be"));
  EXPECT_THAT(ErrorOf(R"({"sub": {"one_of": ["a", {}]}})"),
              StartsWith("rules[0].claims.sub.one_of[1]: must be"));
  EXPECT_THAT(ErrorOf(R"({"n": {"equals": 1e999}})"),
              StartsWith("rules[0].claims.n.equals: number out of range"));
}

TEST(ClaimConditionConfigTest, NameErrors) {
  EXPECT_THAT(ErrorOf(R"({"a..b": {"equals": 1}})"),
              StartsWith("rules[0].claims.a..b: claim name has an empty segment"));
  EXPECT_THAT(ErrorOf(R"({"": {"equals": 1}})"), StartsWith("rules[0].claims.: claim name"));
  EXPECT_THAT(ErrorOf(R"([{"equals": 1}])"), StartsWith("rules[0].claims[0].claim: is required"));
  EXPECT_THAT(ErrorOf(R"([{"claim": [], "equals": 1}])"),
              StartsWith("rules[0].claims[0].claim: must be"));
  EXPECT_THAT(ErrorOf(R"([{"claim": ["a", ""], "equals": 1}])"),
              StartsWith("rules[0].claims[0].claim: name segments must be non-empty strings"));
  EXPECT_THAT(ErrorOf(R"([{"claim": 5, "equals": 1}])"),
              StartsWith("rules[0].claims[0].claim: must be"));
}

TEST(ClaimConditionConfigTest, ShapeErrors) {
  EXPECT_THAT(ErrorOf(R"({})"), StartsWith("rules[0].claims: must not be empty"));
  EXPECT_THAT(ErrorOf(R"([])"), StartsWith("rules[0].claims: must not be empty"));
  EXPECT_THAT(ErrorOf(R"("scope")"), StartsWith("rules[0].claims: must be an object or a list"));
  EXPECT_THAT(ErrorOf(R"(["scope"])"), StartsWith("rules[0].claims[0]: must be an object"));
}

}  // namespace
}  // namespace authgate
