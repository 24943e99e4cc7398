// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/session_store.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "session/opened_session_cache.h"

namespace authgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kSecret(32, 's');
const std::string kName = "__Host-authgate_session";
const std::string kHost = "app.example";
const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

std::shared_ptr<const CookieKeys> Keys(const std::vector<std::string>& secrets) {
  absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive(secrets);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return *keys;
}

SessionStoreOptions Options() {
  SessionStoreOptions options;
  options.cookie_name = kName;
  return options;
}

Session MakeSession(size_t access_token_size = 40) {
  Session session;
  session.id = "AAECAwQFBgcICQoLDA0ODw";
  session.issuer = "https://idp.example";
  session.subject = "alice";
  session.id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
  session.access_token = std::string(access_token_size, 'a');
  session.refresh_token = "refresh";
  session.created = kNow;
  session.last_seen = kNow;
  session.claims_json = R"({"sub":"alice","groups":["admins"]})";
  return session;
}

// Browser applies Set-Cookie lines as a browser's cookie store would (for
// one host and path) and sends the result back as a CookieJar.
class Browser {
 public:
  void Apply(const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
      const size_t eq = line.find('=');
      const size_t end = line.find(';');
      const std::string name = line.substr(0, eq);
      if (line.find("; Max-Age=0;") != std::string::npos) {
        cookies_.erase(name);
      } else {
        cookies_[name] = line.substr(eq + 1, end - eq - 1);
      }
    }
  }
  std::map<std::string, std::string>& cookies() { return cookies_; }
  CookieJar Jar() const {
    std::string header;
    for (const auto& [name, value] : cookies_) {
      header += (header.empty() ? "" : "; ") + name + "=" + value;
    }
    return CookieJar::Parse(header);
  }

 private:
  std::map<std::string, std::string> cookies_;
};

class SessionStoreTest : public ::testing::Test {
 protected:
  // SaveTo saves `session` at `now` into the browser.
  void SaveTo(Browser* browser, const Session& session, absl::Time now = kNow,
              const SessionStore* store = nullptr) {
    absl::StatusOr<std::vector<std::string>> lines =
        (store != nullptr ? *store : store_).Save(session, kHost, now, browser->Jar());
    ASSERT_TRUE(lines.ok()) << lines.status();
    browser->Apply(*lines);
  }

  Reason Load(const CookieJar& jar, absl::Time now = kNow, std::string_view host = kHost,
              const SessionStore* store = nullptr) {
    loaded_ = Session();
    why_ = Rejection();
    if ((store != nullptr ? *store : store_).Load(jar, host, now, &loaded_, &why_)) {
      return Reason::kNone;
    }
    EXPECT_FALSE(why_.detail.empty());
    return why_.reason;
  }

  std::shared_ptr<const CookieKeys> keys_ = Keys({kSecret});
  SessionStore store_{keys_, Options()};
  Session loaded_;
  Rejection why_;
};

TEST_F(SessionStoreTest, DefaultOptionsAreValid) {
  EXPECT_TRUE(ValidateSessionStoreOptions(Options()).ok());
}

TEST_F(SessionStoreTest, RoundTripSmall) {
  absl::StatusOr<std::vector<std::string>> lines =
      store_.Save(MakeSession(), kHost, kNow, CookieJar());
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_THAT((*lines)[0], StartsWith(kName + "=1."));
  EXPECT_THAT((*lines)[0], HasSubstr("; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"));
  EXPECT_EQ((*lines)[0].find("alice"), std::string::npos);
  Browser browser;
  browser.Apply(*lines);
  ASSERT_EQ(Load(browser.Jar()), Reason::kNone) << why_.detail;
  EXPECT_EQ(loaded_.id, "AAECAwQFBgcICQoLDA0ODw");
  EXPECT_EQ(loaded_.subject, "alice");
  EXPECT_EQ(loaded_.access_token, MakeSession().access_token);
  EXPECT_EQ(loaded_.claims_json, MakeSession().claims_json);
  EXPECT_EQ(loaded_.created, kNow);
}

TEST_F(SessionStoreTest, RoundTripLargeAcrossChunks) {
  const Session session = MakeSession(9000);
  absl::StatusOr<std::vector<std::string>> lines = store_.Save(session, kHost, kNow, CookieJar());
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 4u);
  EXPECT_THAT((*lines)[0], StartsWith(kName + "=4."));
  EXPECT_THAT((*lines)[1], StartsWith(kName + ".1="));
  EXPECT_THAT((*lines)[2], StartsWith(kName + ".2="));
  EXPECT_THAT((*lines)[3], StartsWith(kName + ".3="));
  for (const std::string& line : *lines) {
    EXPECT_LE(line.size(), 3800u);
    EXPECT_THAT(line, HasSubstr("; Max-Age=3600; Secure"));
  }
  Browser browser;
  browser.Apply(*lines);
  ASSERT_EQ(Load(browser.Jar()), Reason::kNone) << why_.detail;
  EXPECT_EQ(loaded_.access_token, session.access_token);
}

TEST_F(SessionStoreTest, FullChunksFillTheLimitExactly) {
  absl::StatusOr<std::vector<std::string>> lines =
      store_.Save(MakeSession(9000), kHost, kNow, CookieJar());
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ((*lines)[1].size(), 3800u);
  EXPECT_LE((*lines)[0].size(), 3800u);
  EXPECT_GE((*lines)[0].size(), 3799u);
}

TEST_F(SessionStoreTest, MaxAgeEndsAtTheEarlierOfLifetimeAndIdleTimeout) {
  Session session = MakeSession();
  session.created = kNow - absl::Hours(23) - absl::Minutes(30);
  absl::StatusOr<std::vector<std::string>> lines = store_.Save(session, kHost, kNow, CookieJar());
  ASSERT_TRUE(lines.ok());
  EXPECT_THAT((*lines)[0], HasSubstr("; Max-Age=1800;"));
  SessionStoreOptions no_idle = Options();
  no_idle.idle_timeout = absl::ZeroDuration();
  SessionStore store(keys_, no_idle);
  lines = store.Save(MakeSession(), kHost, kNow, CookieJar());
  ASSERT_TRUE(lines.ok());
  EXPECT_THAT((*lines)[0], HasSubstr("; Max-Age=86400;"));
}

TEST_F(SessionStoreTest, StaleChunksAreClearedWhenTheSessionShrinks) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  ASSERT_EQ(browser.cookies().size(), 4u);
  absl::StatusOr<std::vector<std::string>> lines =
      store_.Save(MakeSession(10), kHost, kNow, browser.Jar());
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 4u);
  EXPECT_THAT((*lines)[0], StartsWith(kName + "=1."));
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ((*lines)[i], FormatDeleteCookie(kName + "." + std::to_string(i), CookieAttributes()));
  }
  browser.Apply(*lines);
  EXPECT_EQ(browser.cookies().size(), 1u);
  ASSERT_EQ(Load(browser.Jar()), Reason::kNone) << why_.detail;
  EXPECT_EQ(loaded_.access_token, std::string(10, 'a'));
}

TEST_F(SessionStoreTest, AMissingMiddleChunkIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  browser.cookies().erase(kName + ".2");
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
  EXPECT_THAT(why_.detail, HasSubstr("part 2 of 4 is missing"));
}

TEST_F(SessionStoreTest, AMissingLastChunkIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  browser.cookies().erase(kName + ".3");
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, AnExtraStaleChunkIsIgnored) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  // A shrink whose deletions the browser never applied: the old parts stay.
  absl::StatusOr<std::vector<std::string>> lines =
      store_.Save(MakeSession(10), kHost, kNow, CookieJar());
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u);
  browser.Apply(*lines);
  ASSERT_EQ(browser.cookies().size(), 4u);
  ASSERT_EQ(Load(browser.Jar()), Reason::kNone) << why_.detail;
  EXPECT_EQ(loaded_.access_token, std::string(10, 'a'));
  browser.cookies()[kName + ".7"] = "garbage";
  EXPECT_EQ(Load(browser.Jar()), Reason::kNone) << why_.detail;
}

TEST_F(SessionStoreTest, SwappedChunksAreInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  std::swap(browser.cookies()[kName + ".1"], browser.cookies()[kName + ".2"]);
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, AChunkOfAnotherSessionIsInvalid) {
  Browser mine, theirs;
  SaveTo(&mine, MakeSession(9000));
  Session other = MakeSession(9000);
  other.subject = "mallory";
  SaveTo(&theirs, other);
  mine.cookies()[kName + ".2"] = theirs.cookies()[kName + ".2"];
  EXPECT_EQ(Load(mine.Jar()), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, ATamperedChunkIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  std::string& part = browser.cookies()[kName + ".1"];
  part[100] = part[100] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, ATruncatedCookieIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  std::string& value = browser.cookies()[kName];
  value.resize(value.size() - 5);
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, AWrongChunkCountIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  std::string& first = browser.cookies()[kName];
  // Claiming fewer parts drops the tail; claiming more needs a part that is not there.
  first[0] = '3';
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
  first[0] = '5';
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, AMalformedFirstCookieIsInvalid) {
  for (const char* value : {"", "garbage", "0.AAAA", "01.AAAA", "11.AAAA", "-1.AAAA", "1.",
                            "1.not-sealed", "x.AAAA"}) {
    EXPECT_EQ(Load(CookieJar::Parse(kName + "=" + value)), Reason::kSessionInvalid) << value;
  }
}

TEST_F(SessionStoreTest, ReplayedOnAnotherHostIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  EXPECT_EQ(Load(browser.Jar(), kNow, "other.example"), Reason::kSessionInvalid);
  EXPECT_EQ(Load(browser.Jar(), kNow, "app.example:8443"), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, UnderAnotherCookieNameIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  SessionStoreOptions options = Options();
  options.cookie_name = "__Host-other_session";
  SessionStore other(keys_, options);
  CookieJar renamed = CookieJar::Parse(options.cookie_name + "=" + browser.cookies()[kName]);
  EXPECT_EQ(Load(renamed, kNow, kHost, &other), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, ExpiresAtTheAbsoluteLifetime) {
  // Active all day: saved again every 50 minutes, never idle.
  Browser browser;
  SaveTo(&browser, MakeSession());
  absl::Time now = kNow;
  while (now + absl::Minutes(50) < kNow + absl::Hours(24)) {
    now += absl::Minutes(50);
    ASSERT_EQ(Load(browser.Jar(), now), Reason::kNone) << why_.detail;
    Session session = loaded_;
    session.last_seen = now;
    SaveTo(&browser, session, now);
  }
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Hours(24) - absl::Seconds(1)), Reason::kNone);
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Hours(24)), Reason::kSessionExpired);
}

TEST_F(SessionStoreTest, AShortenedLifetimeAppliesToIssuedSessions) {
  SessionStoreOptions no_idle = Options();
  no_idle.idle_timeout = absl::ZeroDuration();
  SessionStore long_lived(keys_, no_idle);
  Browser browser;
  SaveTo(&browser, MakeSession(), kNow, &long_lived);
  no_idle.lifetime = absl::Hours(1);
  SessionStore short_lived(keys_, no_idle);
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Hours(2), kHost, &long_lived), Reason::kNone);
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Hours(2), kHost, &short_lived),
            Reason::kSessionExpired);
  EXPECT_THAT(why_.detail, HasSubstr("lifetime"));
}

TEST_F(SessionStoreTest, ExpiresAfterTheIdleTimeout) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Minutes(59)), Reason::kNone);
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Hours(1)), Reason::kSessionExpired);
}

TEST_F(SessionStoreTest, IdleTimeoutCountsFromLastSeen) {
  Session session = MakeSession();
  session.last_seen = kNow - absl::Minutes(50);
  Browser browser;
  SaveTo(&browser, session);
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Minutes(9)), Reason::kNone);
  EXPECT_EQ(Load(browser.Jar(), kNow + absl::Minutes(10)), Reason::kSessionExpired);
  EXPECT_THAT(why_.detail, HasSubstr("idle"));
}

TEST_F(SessionStoreTest, OpenedSessionsAreRememberedByTheirExactCookies) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  ASSERT_EQ(Load(browser.Jar()), Reason::kNone);
  EXPECT_EQ(store_.opened_sessions(), 1u);
  Session first = loaded_;
  ASSERT_EQ(Load(browser.Jar(), kNow + absl::Minutes(1)), Reason::kNone);
  EXPECT_EQ(loaded_.id, first.id);
  EXPECT_EQ(loaded_.access_token, first.access_token);
  EXPECT_EQ(store_.opened_sessions(), 1u);  // the same cookies: no second entry
}

TEST_F(SessionStoreTest, ARememberedSessionDoesNotAdmitATamperedCopy) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  ASSERT_EQ(Load(browser.Jar()), Reason::kNone);
  std::string& value = browser.cookies()[kName];
  value[value.size() - 3] = value[value.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Load(browser.Jar()), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, ARememberedSessionIsNotValidOnAnotherHost) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  ASSERT_EQ(Load(browser.Jar()), Reason::kNone);
  EXPECT_EQ(Load(browser.Jar(), kNow, "other.test"), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, WithoutTheCacheEveryLoadOpensTheCookies) {
  SessionStoreOptions options = Options();
  options.opened_cache_entries = 0;
  SessionStore uncached(keys_, options);
  Browser browser;
  SaveTo(&browser, MakeSession(), kNow, &uncached);
  EXPECT_EQ(Load(browser.Jar(), kNow, kHost, &uncached), Reason::kNone);
  EXPECT_EQ(Load(browser.Jar(), kNow, kHost, &uncached), Reason::kNone);
  EXPECT_EQ(uncached.opened_sessions(), 0u);
}

TEST(OpenedSessionCacheTest, StaysWithinItsCapacity) {
  OpenedSessionCache cache(32);
  Session session;
  session.id = "s";
  for (int i = 0; i < 1000; ++i) cache.Insert("app.test", "sealed-" + std::to_string(i), session);
  EXPECT_LE(cache.size(), 32u);
  EXPECT_GT(cache.size(), 0u);
  EXPECT_FALSE(cache.Find("app.test", "never-inserted").has_value());
  cache.Insert("app.test", "kept", session);
  ASSERT_TRUE(cache.Find("app.test", "kept").has_value());
  EXPECT_FALSE(cache.Find("other.test", "kept").has_value());
}

TEST_F(SessionStoreTest, WrongKeyIsInvalid) {
  Browser browser;
  SaveTo(&browser, MakeSession());
  SessionStore other(Keys({std::string(32, 'x')}), Options());
  EXPECT_EQ(Load(browser.Jar(), kNow, kHost, &other), Reason::kSessionInvalid);
}

TEST_F(SessionStoreTest, RotatedKeyStillOpens) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  SessionStore rotated(Keys({std::string(32, 'n'), kSecret}), Options());
  EXPECT_EQ(Load(browser.Jar(), kNow, kHost, &rotated), Reason::kNone) << why_.detail;
}

TEST_F(SessionStoreTest, NoCookieIsLoginRequired) {
  EXPECT_EQ(Load(CookieJar()), Reason::kLoginRequired);
  EXPECT_EQ(Load(CookieJar::Parse("theme=dark; other=1")), Reason::kLoginRequired);
  // Parts without the first cookie are no session either.
  EXPECT_EQ(Load(CookieJar::Parse(kName + ".1=AAAA")), Reason::kLoginRequired);
}

TEST_F(SessionStoreTest, TooLargeIsAnError) {
  absl::StatusOr<std::vector<std::string>> lines =
      store_.Save(MakeSession(40000), kHost, kNow, CookieJar());
  EXPECT_EQ(lines.status().code(), absl::StatusCode::kResourceExhausted);
  SessionStoreOptions options = Options();
  options.max_chunks = 2;
  SessionStore two(keys_, options);
  lines = two.Save(MakeSession(9000), kHost, kNow, CookieJar());
  EXPECT_EQ(lines.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(lines.status().message()), HasSubstr("max_chunks"));
  EXPECT_TRUE(two.Save(MakeSession(5000), kHost, kNow, CookieJar()).ok());
}

TEST_F(SessionStoreTest, RefusesToSaveASessionWithoutId) {
  Session session = MakeSession();
  session.id.clear();
  EXPECT_EQ(store_.Save(session, kHost, kNow, CookieJar()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SessionStoreTest, RefusesToSaveASessionPastItsLifetime) {
  Session session = MakeSession();
  session.created = kNow - absl::Hours(24);
  EXPECT_EQ(store_.Save(session, kHost, kNow, CookieJar()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SessionStoreTest, ClearDeletesEveryPartPresent) {
  CookieJar jar = CookieJar::Parse(kName + "=x; theme=dark; " + kName + ".2=y; " + kName +
                                   ".1=z; " + kName + ".2=dup");
  const CookieAttributes attributes;
  EXPECT_THAT(store_.Clear(jar),
              ElementsAre(FormatDeleteCookie(kName, attributes),
                          FormatDeleteCookie(kName + ".1", attributes),
                          FormatDeleteCookie(kName + ".2", attributes)));
  EXPECT_THAT(store_.Clear(CookieJar()), ElementsAre(FormatDeleteCookie(kName, attributes)));
}

TEST_F(SessionStoreTest, OwnsItsCookieAndItsParts) {
  for (const std::string& name : {kName, kName + ".1", kName + ".9", kName + ".63"}) {
    EXPECT_TRUE(store_.OwnsCookie(name)) << name;
  }
  for (const std::string& name :
       {std::string("theme"), kName + ".0", kName + ".01", kName + ".64", kName + ".x",
        kName + ".", kName + "x", kName + ".1.1", kName.substr(0, 10), std::string("__Host-"),
        std::string(), std::string("__host-authgate_session")}) {
    EXPECT_FALSE(store_.OwnsCookie(name)) << name;
  }
}

TEST_F(SessionStoreTest, ValidatesOptions) {
  SessionStoreOptions options = Options();
  options.attributes.domain = "example.com";  // __Host- forbids Domain
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options = Options();
  options.cookie_name = "bad name";
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options = Options();
  options.lifetime = absl::ZeroDuration();
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options = Options();
  options.idle_timeout = -absl::Seconds(1);
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options = Options();
  options.max_cookie_bytes = 4097;
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options.max_cookie_bytes = 511;
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options = Options();
  options.max_chunks = 0;
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options.max_chunks = kMaxSessionChunks + 1;
  EXPECT_FALSE(ValidateSessionStoreOptions(options).ok());
  options.max_chunks = kMaxSessionChunks;
  EXPECT_TRUE(ValidateSessionStoreOptions(options).ok());
}

TEST_F(SessionStoreTest, LoadsConcurrently) {
  Browser browser;
  SaveTo(&browser, MakeSession(9000));
  const CookieJar jar = browser.Jar();
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Session session;
        Rejection why;
        if (!store_.Load(jar, kHost, kNow, &session, &why) || session.subject != "alice" ||
            !store_.Save(session, kHost, kNow, jar).ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace authgate
