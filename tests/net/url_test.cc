// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "net/url.h"

#include "gtest/gtest.h"

namespace authgate {
namespace {

TEST(UrlTest, ParsesTheUsualForms) {
  absl::StatusOr<Url> url = Url::Parse("HTTPS://IdP.Example:8443/a/b?c=d");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "idp.example");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/a/b?c=d");
  EXPECT_EQ(url->ToString(), "https://idp.example:8443/a/b?c=d");
  EXPECT_EQ(Url::Parse("http://localhost")->path, "/");
  EXPECT_EQ(Url::Parse("http://localhost")->port, 80);
  EXPECT_EQ(Url::Parse("https://h?x=1")->path, "/?x=1");
  EXPECT_EQ(Url::Parse("http://[::1]:9000/jwks")->host, "[::1]");
  EXPECT_EQ(Url::Parse("http://[::1]:9000/jwks")->port, 9000);
}

TEST(UrlTest, RefusesWhatItShould) {
  for (const char* bad :
       {"", "idp.example/jwks", "ftp://idp.example/", "file:///etc/passwd", "https://",
        "https://user:pass@idp.example/", "https://idp.example/#frag", "https://idp example/",
        "https://idp.example:0/", "https://idp.example:65536/", "https://idp.example:/",
        "https://idp.example:8x/", "https://[::1/", "https://[zz]/", "https://idp.exa\nmple/",
        "https://idp.example/\x01", "javascript://alert(1)"}) {
    EXPECT_FALSE(Url::Parse(bad).ok()) << bad;
  }
}

TEST(UrlTest, LoopbackHosts) {
  for (const char* loopback : {"http://localhost/", "http://LOCALHOST:1/", "http://127.0.0.1/",
                               "http://127.255.1.2:8/", "http://[::1]/"}) {
    EXPECT_TRUE(Url::Parse(loopback)->IsLoopback()) << loopback;
  }
  for (const char* remote :
       {"http://localhost.evil/", "http://127.0.0.1.evil/", "http://128.0.0.1/", "http://127.0.0/",
        "http://127.0.0.256/", "http://10.0.0.1/", "http://[::2]/", "http://0x7f.0.0.1/",
        "http://evil-localhost/"}) {
    absl::StatusOr<Url> url = Url::Parse(remote);
    if (url.ok()) {
      EXPECT_FALSE(url->IsLoopback()) << remote;
    }
  }
}

TEST(UrlTest, PlainHttpOnlyForLoopbackUnlessAllowed) {
  EXPECT_TRUE(CheckFetchAllowed(*Url::Parse("https://idp.example/"), false).ok());
  EXPECT_TRUE(CheckFetchAllowed(*Url::Parse("http://127.0.0.1:9/"), false).ok());
  EXPECT_TRUE(CheckFetchAllowed(*Url::Parse("http://localhost/"), false).ok());
  absl::Status refused = CheckFetchAllowed(*Url::Parse("http://idp.example/"), false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckFetchAllowed(*Url::Parse("http://idp.example/"), true).ok());
}

TEST(Url, ErrorsNeverQuoteCredentials) {
  absl::StatusOr<Url> url = Url::Parse("https://alice:hunter2@idp.example/path");
  ASSERT_FALSE(url.ok());
  std::string message(url.status().message());
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_EQ(message.find("alice"), std::string::npos) << message;
  EXPECT_NE(message.find("***@idp.example"), std::string::npos) << message;
}

}  // namespace
}  // namespace authgate
