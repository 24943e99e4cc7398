// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The readers that the jwt, oidc and engine configurations share: algorithm
// lists and durations, with the exact messages each of them reports.

#include "config_object.h"

#include <string>

#include "gtest/gtest.h"
#include "jwt/verifier_config.h"
#include "oidc/oidc_config.h"
#include "text.h"

namespace authgate {
namespace {

// Runs `read` on the object `{<members>}` opened at path "cfg"; returns the
// error message, or "" on success.
template <typename Read>
std::string ErrorOf(const std::string& members, Read read) {
  JsonDocument doc;
  EXPECT_TRUE(doc.Parse("{" + members + "}", JsonLimits{}).ok());
  absl::StatusOr<ConfigObject> object = ConfigObject::Open(doc.root(), "cfg");
  EXPECT_TRUE(object.ok());
  absl::Status s = read(*object);
  return s.ok() ? "" : std::string(FromAbsl(s.message()));
}

TEST(ConfigObjectAlgorithms, AbsentLeavesTheSetUnchanged) {
  AlgorithmSet set = AlgorithmSet::OfFamily(KeyFamily::kEc);
  const AlgorithmSet before = set;
  EXPECT_EQ(ErrorOf("", [&](ConfigObject& o) { return o.GetAlgorithms("algs", &set); }), "");
  EXPECT_TRUE(set == before);
}

TEST(ConfigObjectAlgorithms, ReadsTheNamedAlgorithms) {
  AlgorithmSet set;
  EXPECT_EQ(ErrorOf(R"("algs":["ES256","RS256"])",
                    [&](ConfigObject& o) { return o.GetAlgorithms("algs", &set); }),
            "");
  EXPECT_TRUE(set.contains(Algorithm::kES256));
  EXPECT_TRUE(set.contains(Algorithm::kRS256));
  EXPECT_FALSE(set.contains(Algorithm::kHS256));
}

TEST(ConfigObjectAlgorithms, Messages) {
  auto read = [](ConfigObject& o) {
    AlgorithmSet set;
    return o.GetAlgorithms("algs", &set);
  };
  EXPECT_EQ(ErrorOf(R"("algs":[])", read), "cfg.algs: must not be empty");
  EXPECT_EQ(ErrorOf(R"("algs":"ES256")", read), "cfg.algs: must be an array of strings");
  EXPECT_EQ(ErrorOf(R"("algs":["none"])", read),
            "cfg.algs: \"none\" is not a supported JWS algorithm");
  EXPECT_EQ(ErrorOf(R"("algs":[")" + std::string(40, 'x') + R"("])", read),
            StrCat("cfg.algs: \"", std::string(32, 'x'), "\" is not a supported JWS algorithm"));
}

TEST(ConfigObjectAlgorithms, CheckRunsInOrderAfterTheNameIsKnown) {
  std::string seen;
  auto read = [&](ConfigObject& o) {
    AlgorithmSet set;
    return o.GetAlgorithms("algs", &set, [&](const std::string& name, Algorithm) {
      seen += name + ";";
      return name == "HS256" ? o.Error("algs", "no HS256") : absl::OkStatus();
    });
  };
  EXPECT_EQ(ErrorOf(R"("algs":["ES256","HS256","bogus"])", read), "cfg.algs: no HS256");
  EXPECT_EQ(seen, "ES256;HS256;");
  seen.clear();
  EXPECT_EQ(ErrorOf(R"("algs":["bogus","HS256"])", read),
            "cfg.algs: \"bogus\" is not a supported JWS algorithm");
  EXPECT_EQ(seen, "");
}

// The verifier's "algorithms" and the oidc "id_token_algorithms" share the
// reader, so they report the same message for the same mistake.
TEST(ConfigObjectAlgorithms, VerifierAndOidcReportAlike) {
  absl::StatusOr<VerifierConfig> verifier = ParseVerifierConfig(
      R"({"jwks_file":"keys.json","algorithms":["none"]})");
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(std::string(FromAbsl(verifier.status().message())),
            "algorithms: \"none\" is not a supported JWS algorithm");
  std::string oidc = ErrorOf(
      R"("issuer":"https://idp.example","client_id":"app","client_secret":"s3cret",)"
      R"("redirect_uri":"https://app.example/callback","id_token_algorithms":["none"])",
      [](ConfigObject& o) {
        OidcConfig config;
        return ParseOidcConfig(&o, &config);
      });
  EXPECT_EQ(oidc, "cfg.id_token_algorithms: \"none\" is not a supported JWS algorithm");
}

TEST(ConfigObjectDuration, RangeMessages) {
  using Range = ConfigObject::DurationRange;
  auto read = [](Range range) {
    return [range](ConfigObject& o) {
      absl::Duration d = absl::Seconds(7);
      return o.GetDuration("d", &d, range);
    };
  };
  EXPECT_EQ(ErrorOf(R"("d":"0s")", read(Range::kAny)), "");
  EXPECT_EQ(ErrorOf(R"("d":"0s")", read(Range::kNonNegative)), "");
  EXPECT_EQ(ErrorOf(R"("d":"0s")", read(Range::kPositive)), "cfg.d: must be positive");
  EXPECT_EQ(ErrorOf(R"("d":5)", read(Range::kAny)),
            "cfg.d: must be a duration string such as \"60s\"");
}

TEST(ConfigObjectDuration, AbsentLeavesTheValueAndPresentSetsIt) {
  absl::Duration d = absl::Seconds(7);
  EXPECT_EQ(ErrorOf("", [&](ConfigObject& o) { return o.GetDuration("d", &d); }), "");
  EXPECT_EQ(d, absl::Seconds(7));
  EXPECT_EQ(ErrorOf(R"("d":"90s")", [&](ConfigObject& o) {
              return o.GetDuration("d", &d, ConfigObject::DurationRange::kPositive);
            }),
            "");
  EXPECT_EQ(d, absl::Seconds(90));
}

}  // namespace
}  // namespace authgate
