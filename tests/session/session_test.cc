// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/session.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jose/base64url.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;

Session Example() {
  Session session;
  session.id = "AAECAwQFBgcICQoLDA0ODw";
  session.issuer = "https://idp.example";
  session.subject = "248289761001";
  session.id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIyNDgifQ.c2ln";
  session.access_token = "at";
  session.refresh_token = "rt";
  session.access_token_expires_at = absl::FromUnixSeconds(1767229200);
  session.created = absl::FromUnixSeconds(1767225600);
  session.last_seen = absl::FromUnixSeconds(1767226000);
  session.claims_json = R"({"sub":"248289761001","groups":["admins"]})";
  return session;
}

void ExpectEqual(const Session& a, const Session& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.issuer, b.issuer);
  EXPECT_EQ(a.subject, b.subject);
  EXPECT_EQ(a.id_token, b.id_token);
  EXPECT_EQ(a.access_token, b.access_token);
  EXPECT_EQ(a.refresh_token, b.refresh_token);
  EXPECT_EQ(a.access_token_expires_at, b.access_token_expires_at);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.last_seen, b.last_seen);
  EXPECT_EQ(a.claims_json, b.claims_json);
}

TEST(SessionTest, SerializesCompactly) {
  EXPECT_EQ(SerializeSession(Example()),
            R"({"id":"AAECAwQFBgcICQoLDA0ODw","iss":"https://idp.example","sub":"248289761001",)"
            R"("id_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIyNDgifQ.c2ln","access_token":"at",)"
            R"("refresh_token":"rt","access_token_expires_at":1767229200,"created":1767225600,)"
            R"("last_seen":1767226000,"claims":{"sub":"248289761001","groups":["admins"]}})");
}

TEST(SessionTest, RoundTrip) {
  absl::StatusOr<Session> parsed = ParseSession(SerializeSession(Example()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectEqual(*parsed, Example());
}

TEST(SessionTest, RoundTripWithUnicodeAndEscapes) {
  Session session = Example();
  session.subject = "quote\" backslash\\ tab\t nul" + std::string(1, '\0') + " end";
  session.claims_json =
      "{\"name\":\"Zoë 東京 \\u00e9 😀\",\"nested\":{\"a\":[1,2.5,true,null]},\"e\":\"\\\"\"}";
  absl::StatusOr<Session> parsed = ParseSession(SerializeSession(session));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectEqual(*parsed, session);
}

TEST(SessionTest, RoundTripOfEmptyTokensAndUnknownExpiry) {
  Session session = Example();
  session.id_token.clear();
  session.access_token.clear();
  session.refresh_token.clear();
  session.access_token_expires_at = absl::InfiniteFuture();
  const std::string json = SerializeSession(session);
  EXPECT_THAT(json, HasSubstr(R"("access_token_expires_at":null)"));
  absl::StatusOr<Session> parsed = ParseSession(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectEqual(*parsed, session);
}

TEST(SessionTest, EmptyClaimsAreWrittenAsAnEmptyObject) {
  Session session = Example();
  session.claims_json.clear();
  absl::StatusOr<Session> parsed = ParseSession(SerializeSession(session));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->claims_json, "{}");
}

TEST(SessionTest, TimesAreKeptToTheSecond) {
  Session session = Example();
  session.last_seen = absl::FromUnixSeconds(1767226000) + absl::Milliseconds(999);
  absl::StatusOr<Session> parsed = ParseSession(SerializeSession(session));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->last_seen, absl::FromUnixSeconds(1767226000));
}

// Replace returns the serialized example with `from` replaced by `to`.
std::string Replace(std::string_view from, std::string_view to) {
  std::string json = SerializeSession(Example());
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  json.replace(at, from.size(), to);
  return json;
}

void ExpectRefused(const std::string& json, std::string_view message_part) {
  absl::StatusOr<Session> parsed = ParseSession(json);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << json;
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(std::string(message_part)))
      << json;
}

TEST(SessionTest, RefusesWhatIsNotJson) {
  for (const char* text : {"", "{", "not json", "{\"id\":\"a\",}", "[]x"}) {
    EXPECT_EQ(ParseSession(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  ExpectRefused(SerializeSession(Example()) + "x", "invalid JSON");
}

TEST(SessionTest, RefusesANonObject) {
  ExpectRefused("[]", "not a JSON object");
  ExpectRefused("\"session\"", "not a JSON object");
}

TEST(SessionTest, RefusesAMissingMember) {
  ExpectRefused(Replace(R"("refresh_token":"rt",)", ""), "missing \"refresh_token\"");
  ExpectRefused(Replace(R"("created":1767225600,)", ""), "missing \"created\"");
  ExpectRefused(Replace(R"("access_token_expires_at":1767229200,)", ""),
                "missing \"access_token_expires_at\"");
  ExpectRefused(Replace(R"(,"claims":{"sub":"248289761001","groups":["admins"]})", ""),
                "missing \"claims\"");
}

TEST(SessionTest, RefusesAWrongType) {
  ExpectRefused(Replace(R"("id":"AAECAwQFBgcICQoLDA0ODw")", R"("id":1)"),
                "\"id\" must be a string");
  ExpectRefused(Replace(R"("sub":"248289761001")", R"("sub":null)"), "\"sub\" must be a string");
  ExpectRefused(Replace(R"("access_token":"at")", R"("access_token":["at"])"),
                "\"access_token\" must be a string");
  ExpectRefused(Replace("\"created\":1767225600", "\"created\":\"1767225600\""), "\"created\"");
  ExpectRefused(Replace("\"last_seen\":1767226000", "\"last_seen\":null"), "\"last_seen\"");
}

TEST(SessionTest, RefusesATimeOutOfRangeOrNotWhole) {
  for (const char* bad : {"1.5", "-1", "1e3", "253402300800", "99999999999999999999"}) {
    ExpectRefused(Replace("\"created\":1767225600", std::string("\"created\":") + bad),
                  "\"created\" must be an integer");
  }
}

TEST(SessionTest, RefusesClaimsThatAreNotAnObject) {
  const std::string claims = R"({"sub":"248289761001","groups":["admins"]})";
  for (const char* bad : {"\"{}\"", "[]", "null", "1"}) {
    ExpectRefused(Replace(claims, bad), "\"claims\" must be an object");
  }
}

TEST(SessionTest, RefusesAnUnknownMember) {
  ExpectRefused(Replace(R"("id":)", R"("admin":true,"id":)"), "unknown member");
}

TEST(SessionTest, RefusesADuplicateMember) {
  ExpectRefused(Replace(R"("id":)", R"("sub":"admin","id":)"), "duplicate");
}

TEST(SessionTest, ForgedClaimsCannotSmuggleAMember) {
  Session session = Example();
  session.claims_json = R"({},"sub":"admin")";
  EXPECT_FALSE(ParseSession(SerializeSession(session)).ok());
  session.claims_json = R"({},"admin":true)";
  EXPECT_FALSE(ParseSession(SerializeSession(session)).ok());
}

TEST(SessionTest, ErrorsNeverQuoteValues) {
  absl::StatusOr<Session> parsed =
      ParseSession(Replace(R"("access_token":"at")", R"("access_token":["secret-at"])"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()).find("secret-at"), std::string::npos);
}

TEST(SessionTest, NewSessionIdsAreRandom128BitBase64Url) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = *NewSessionId();
    ASSERT_EQ(id.size(), 22u);
    std::string bytes;
    ASSERT_TRUE(Base64UrlDecode(id, &bytes)) << id;
    EXPECT_EQ(bytes.size(), 16u);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

}  // namespace
}  // namespace authgate
