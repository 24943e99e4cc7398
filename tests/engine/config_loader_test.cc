// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/config_loader.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Environment FakeEnvironment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::string TempFile(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ConfigLoader, ResolvesVariablesInStringValuesOnly) {
  absl::StatusOr<std::string> out = ResolveConfigReferences(
      R"({"a":"${A}","${A}":1,"b":["x${B}y",true,null,1.5e3],"c":{"d":"${A}${B}"}})",
      FakeEnvironment({{"A", "alpha"}, {"B", "\"q\""}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            R"({"a":"alpha","${A}":1,"b":["x\"q\"y",true,null,1.5e3],"c":{"d":"alpha\"q\""}})");
}

TEST(ConfigLoader, UnsetVariableIsAnErrorNamingKeyAndVariable) {
  absl::StatusOr<std::string> out = ResolveConfigReferences(
      R"({"oidc":{"client_secret":"${AUTHGATE_CLIENT_SECRET}"}})", FakeEnvironment({}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "oidc.client_secret: environment variable AUTHGATE_CLIENT_SECRET is not set");
}

TEST(ConfigLoader, ErrorsNameArrayPaths) {
  absl::StatusOr<std::string> out =
      ResolveConfigReferences(R"({"rules":[{},{"x":"${NOPE}"}]})", FakeEnvironment({}));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("rules[1].x: "));
}

TEST(ConfigLoader, EmptyVariableIsAValue) {
  absl::StatusOr<std::string> out =
      ResolveConfigReferences(R"({"a":"${E}"})", FakeEnvironment({{"E", ""}}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"a":""})");
}

TEST(ConfigLoader, EscapesAndLoneDollars) {
  absl::StatusOr<std::string> out = ResolveConfigReferences(
      R"({"a":"$${A} costs $5 and $","b":"$$x"})", FakeEnvironment({{"A", "no"}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"a":"${A} costs $5 and $","b":"$$x"})");
}

TEST(ConfigLoader, UnclosedAndInvalidReferencesAreErrors) {
  for (const char* text : {R"({"a":"${A"})", R"({"a":"${}"})", R"({"a":"${1A}"})",
                           R"({"a":"${A-B}"})", R"({"a":"${file:}"})"}) {
    absl::StatusOr<std::string> out = ResolveConfigReferences(text, FakeEnvironment({{"A", "1"}}));
    EXPECT_FALSE(out.ok()) << text;
    if (!out.ok()) {
      EXPECT_THAT(std::string(out.status().message()), HasSubstr("a: ")) << text;
    }
  }
}

TEST(ConfigLoader, ReadsSecretFilesWithoutTrailingNewline) {
  std::string path = TempFile("authgate_secret", "s3cr3t-value\n");
  absl::StatusOr<std::string> out =
      ResolveConfigReferences(R"({"s":"${file:)" + path + R"(}"})", FakeEnvironment({}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"s":"s3cr3t-value"})");
  std::string crlf = TempFile("authgate_secret_crlf", "abc\r\n");
  out = ResolveConfigReferences(R"({"s":"${file:)" + crlf + R"(}"})", FakeEnvironment({}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"s":"abc"})");
}

TEST(ConfigLoader, MissingOrOversizedFileIsAnErrorWithoutContent) {
  absl::StatusOr<std::string> out = ResolveConfigReferences(
      R"({"s":{"t":"${file:/nonexistent/authgate/secret}"}})", FakeEnvironment({}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "s.t: cannot read file /nonexistent/authgate/secret");
  std::string big = TempFile("authgate_big_secret", std::string((1 << 20) + 10, 'k'));
  out = ResolveConfigReferences(R"({"s":"${file:)" + big + R"(}"})", FakeEnvironment({}));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), Not(HasSubstr("kkkk")));
}

TEST(ConfigLoader, InvalidJsonIsRefused) {
  EXPECT_FALSE(ResolveConfigReferences(R"({"a":1,"a":2})", FakeEnvironment({})).ok());
  EXPECT_FALSE(ResolveConfigReferences("{", FakeEnvironment({})).ok());
}

TEST(ConfigLoader, ResolvedValuesAreNotResolvedAgain) {
  absl::StatusOr<std::string> out =
      ResolveConfigReferences(R"({"a":"${A}"})", FakeEnvironment({{"A", "${B}"}}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"a":"${B}"})");
}

}  // namespace
}  // namespace authgate
