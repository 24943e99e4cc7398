// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The sidecar's edge rules (proxy/forwarding.h): which request heads are
// refused, what is believed from whom, and what the upstream receives.
// Each attack spelling named in issue 11 has a case here.

#include "forwarding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server_settings.h"

namespace authgate_cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ServerSettings Settings(std::vector<std::string> trusted = {}) {
  ServerSettings settings;
  for (const std::string& text : trusted) {
    AddressRange range;
    EXPECT_TRUE(ParseAddressRange(text, &range)) << text;
    settings.trusted_proxies.push_back(range);
  }
  return settings;
}

ClientHead Head(std::string_view method, std::string_view target,
                std::vector<HeaderField> fields, unsigned version = 11) {
  ClientHead head;
  head.method = method;
  head.target = target;
  head.version = version;
  head.fields = std::move(fields);
  return head;
}

struct Judgement {
  bool ok;
  JudgedRequest judged;
  Refusal refusal;
};

Judgement Judge(const ClientHead& head, std::string_view peer, const ServerSettings& settings) {
  Judgement j;
  j.ok = JudgeRequest(head, peer, settings, &j.judged, &j.refusal);
  return j;
}

TEST(HeaderNames, UnderscoreAndCaseSpellingsAreTheSameName) {
  EXPECT_TRUE(HeaderNameIs("X_Authgate_Sub", "x-authgate-sub"));
  EXPECT_TRUE(HeaderNameIs("x-authgate_sub", "x-authgate-sub"));
  EXPECT_TRUE(HeaderNameIs("X-AUTHGATE-SUB", "x_authgate_sub"));
  EXPECT_FALSE(HeaderNameIs("x-authgate-su", "x-authgate-sub"));
  EXPECT_FALSE(HeaderNameIs("x-authgate.sub", "x-authgate-sub"));
  EXPECT_TRUE(HeaderNameStartsWith("X_Forwarded_Port", "x-forwarded-"));
  EXPECT_FALSE(HeaderNameStartsWith("x-forward", "x-forwarded-"));
}

TEST(Authority, RegisteredNamesAddressesAndPorts) {
  for (const char* good : {"app.example", "App.Example:8080", "127.0.0.1", "127.0.0.1:80",
                           "[::1]", "[::1]:8000", "xn--bcher-kva.example", "a_b.example"}) {
    EXPECT_TRUE(IsValidAuthority(good)) << good;
  }
  for (const char* bad : {"", "app probe.test", "user@app.example", "app.example:", ":80",
                          "app.example:123456", "app.example:8a", "[::1", "[::1]x", "[zz::1]",
                          "[1.2.3.4]", "ho/st", "a:b:c", "app.example\t", "%zz"}) {
    EXPECT_FALSE(IsValidAuthority(bad)) << bad;
  }
}

TEST(JudgeRequest, HostMustBeOneValidField) {
  ServerSettings settings = Settings();
  Judgement two = Judge(Head("GET", "/", {{"Host", "a.example"}, {"host", "b.example"}}),
                        "192.0.2.1", settings);
  EXPECT_FALSE(two.ok);
  EXPECT_EQ(two.refusal.status, 400);
  Judgement invalid = Judge(Head("GET", "/", {{"Host", "app probe.test"}}), "192.0.2.1", settings);
  EXPECT_FALSE(invalid.ok);
  EXPECT_EQ(invalid.refusal.status, 400);
  Judgement missing = Judge(Head("GET", "/", {}), "192.0.2.1", settings);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.refusal.status, 400);
  Judgement http10 = Judge(Head("GET", "/", {}, 10), "192.0.2.1", settings);
  ASSERT_TRUE(http10.ok);
  EXPECT_EQ(http10.judged.authority, "");
  Judgement good = Judge(Head("GET", "/x?y", {{"Host", "App.Example:8080"}}), "192.0.2.1",
                         settings);
  ASSERT_TRUE(good.ok);
  EXPECT_EQ(good.judged.authority, "App.Example:8080");
  EXPECT_EQ(good.judged.target, "/x?y");
  EXPECT_EQ(good.judged.scheme, "http");
}

TEST(JudgeRequest, AbsoluteFormIsAcceptedAndItsAuthorityReplacesHost) {
  ServerSettings settings = Settings();
  Judgement j = Judge(Head("GET", "http://App.example:8080/a/b?x=1", {{"Host", "other.example"}}),
                      "192.0.2.1", settings);
  ASSERT_TRUE(j.ok);
  EXPECT_EQ(j.judged.authority, "App.example:8080");
  EXPECT_EQ(j.judged.target, "/a/b?x=1");
  Judgement bare = Judge(Head("GET", "HTTPS://app.example", {}), "192.0.2.1", settings);
  ASSERT_TRUE(bare.ok);
  EXPECT_EQ(bare.judged.target, "/");
  EXPECT_EQ(bare.judged.scheme, "http") << "the listener says how it arrived, not the URL";
  Judgement query = Judge(Head("GET", "http://app.example?q", {}), "192.0.2.1", settings);
  ASSERT_TRUE(query.ok);
  EXPECT_EQ(query.judged.target, "/?q");
  for (const char* bad : {"ftp://app.example/", "http://user@app.example/", "http://", "*",
                          "app.example:80", "http://app.example#f", "http://a b/"}) {
    Judgement j2 = Judge(Head("GET", bad, {{"Host", "app.example"}}), "192.0.2.1", settings);
    EXPECT_FALSE(j2.ok) << bad;
    EXPECT_EQ(j2.refusal.status, 400) << bad;
  }
}

TEST(JudgeRequest, OnlyALoneChunkedCodingIsAccepted) {
  ServerSettings settings = Settings();
  Judgement gzip = Judge(
      Head("POST", "/", {{"Host", "a"}, {"Transfer-Encoding", "gzip, chunked"}}), "192.0.2.1",
      settings);
  EXPECT_FALSE(gzip.ok);
  EXPECT_EQ(gzip.refusal.status, 501);
  Judgement twice = Judge(Head("POST", "/", {{"Host", "a"}, {"Transfer-Encoding", "chunked"},
                                             {"Transfer-Encoding", "chunked"}}),
                          "192.0.2.1", settings);
  EXPECT_FALSE(twice.ok);
  EXPECT_EQ(twice.refusal.status, 501);
  Judgement http10 = Judge(Head("POST", "/", {{"Transfer-Encoding", "chunked"}}, 10),
                           "192.0.2.1", settings);
  EXPECT_FALSE(http10.ok);
  EXPECT_EQ(http10.refusal.status, 400);
  Judgement underscore = Judge(
      Head("POST", "/", {{"Host", "a"}, {"Transfer_Encoding", "chunked"}}), "192.0.2.1", settings);
  EXPECT_FALSE(underscore.ok);
  EXPECT_EQ(underscore.refusal.status, 400);
  Judgement chunked = Judge(Head("POST", "/", {{"Host", "a"}, {"Transfer-Encoding", " Chunked "}}),
                            "192.0.2.1", settings);
  ASSERT_TRUE(chunked.ok);
  EXPECT_TRUE(chunked.judged.chunked);
}

TEST(JudgeRequest, NobodyIsTrustedByDefault) {
  ServerSettings settings = Settings();
  Judgement j = Judge(Head("GET", "/", {{"Host", "app.example"},
                                        {"X-Forwarded-Host", "admin.example"},
                                        {"X-Forwarded-Proto", "https"},
                                        {"X-Forwarded-For", "203.0.113.9"}}),
                      "127.0.0.1", settings);
  ASSERT_TRUE(j.ok);
  EXPECT_FALSE(j.judged.trusted_peer);
  EXPECT_EQ(j.judged.authority, "app.example");
  EXPECT_EQ(j.judged.scheme, "http");
  EXPECT_EQ(j.judged.client_address, "127.0.0.1");
}

TEST(JudgeRequest, TrustedProxyNamesHostSchemeAndClient) {
  ServerSettings settings = Settings({"10.0.0.0/8"});
  Judgement j = Judge(Head("GET", "/", {{"Host", "sidecar:8000"},
                                        {"X-Forwarded-Host", "app.example"},
                                        {"X-Forwarded-Proto", "HTTPS"},
                                        {"X-Forwarded-For", "198.51.100.7, 203.0.113.9"},
                                        {"X-Forwarded-For", "10.1.1.1"}}),
                      "10.0.0.2", settings);
  ASSERT_TRUE(j.ok);
  EXPECT_TRUE(j.judged.trusted_peer);
  EXPECT_EQ(j.judged.authority, "app.example");
  EXPECT_EQ(j.judged.scheme, "https");
  EXPECT_EQ(j.judged.client_address, "203.0.113.9") << "the rightmost address not trusted";
  Judgement garbage = Judge(Head("GET", "/", {{"Host", "a"},
                                              {"X-Forwarded-For", "203.0.113.9, not-an-ip"}}),
                            "10.0.0.2", settings);
  ASSERT_TRUE(garbage.ok);
  EXPECT_EQ(garbage.judged.client_address, "10.0.0.2");
}

TEST(JudgeRequest, AmbiguousForwardingHeadersFromTrustedProxyAreRefused) {
  ServerSettings settings = Settings({"10.0.0.0/8"});
  const std::vector<std::vector<HeaderField>> cases = {
      {{"Host", "a"}, {"X-Forwarded-Host", "b.example"}, {"X-Forwarded-Host", "c.example"}},
      {{"Host", "a"}, {"X-Forwarded-Host", "b.example"}, {"X_Forwarded_Host", "c.example"}},
      {{"Host", "a"}, {"X_Forwarded_Host", "c.example"}},
      {{"Host", "a"}, {"X-Forwarded-Host", "b.example, c.example"}},
      {{"Host", "a"}, {"X-Forwarded-Proto", "gopher"}},
      {{"Host", "a"}, {"X-Forwarded-Proto", "http"}, {"X-Forwarded-Proto", "https"}}};
  for (const auto& fields : cases) {
    Judgement j = Judge(Head("GET", "/", fields), "10.0.0.2", settings);
    EXPECT_FALSE(j.ok) << fields.back().name << ": " << fields.back().value;
    EXPECT_EQ(j.refusal.status, 400);
  }
}

// ---------------------------------------------------------------- auth requests

Judgement JudgeAuth(AuthRequestProxy proxy, const ClientHead& head, std::string_view suffix = "",
                    std::string_view peer = "127.0.0.1") {
  ServerSettings settings = Settings({"127.0.0.1"});
  settings.auth_request_path = "/authgate/auth";
  settings.auth_request_proxy = proxy;
  Judgement j;
  j.ok = JudgeAuthRequest(head, suffix, peer, settings, &j.judged, &j.refusal);
  return j;
}

// DELETE /admin/x through a proxy that copies every client header into
// the auth request: the client adds the other proxies' headers naming a
// public GET.
std::vector<HeaderField> SpoofedDelete(AuthRequestProxy proxy) {
  std::vector<HeaderField> client = {{"X-Original-URI", "/public"},
                                     {"X-Original-Method", "GET"},
                                     {"X-Forwarded-Uri", "/public"},
                                     {"X-Forwarded-Method", "GET"}};
  std::vector<HeaderField> from_proxy;
  switch (proxy) {
    case AuthRequestProxy::kNginx:
      from_proxy = {{"X-Original-URI", "/admin/x"}, {"X-Original-Method", "DELETE"},
                    {"X-Forwarded-Host", "app.example"}, {"X-Forwarded-Proto", "https"}};
      // nginx's proxy_set_header replaces the client's copies.
      client.erase(client.begin(), client.begin() + 2);
      break;
    case AuthRequestProxy::kCaddy:
    case AuthRequestProxy::kTraefik:
      from_proxy = {{"X-Forwarded-Uri", "/admin/x"}, {"X-Forwarded-Method", "DELETE"},
                    {"X-Forwarded-Host", "app.example"}, {"X-Forwarded-Proto", "https"}};
      client.erase(client.begin() + 2, client.end());  // overwritten by the proxy
      break;
    case AuthRequestProxy::kEnvoy:
      from_proxy = {{"Host", "app.example"}};
      break;
    case AuthRequestProxy::kNone:
      break;
  }
  client.insert(client.end(), from_proxy.begin(), from_proxy.end());
  return client;
}

TEST(JudgeAuthRequest, EachProxyIsReadFromItsOwnHeadersOnly) {
  for (AuthRequestProxy proxy : {AuthRequestProxy::kNginx, AuthRequestProxy::kCaddy,
                                 AuthRequestProxy::kTraefik, AuthRequestProxy::kEnvoy}) {
    bool envoy = proxy == AuthRequestProxy::kEnvoy;
    ClientHead head = Head(envoy ? "DELETE" : "GET", envoy ? "/authgate/auth/admin/x" : "/authgate/auth",
                           SpoofedDelete(proxy));
    Judgement j = JudgeAuth(proxy, head, envoy ? "/admin/x" : "");
    ASSERT_TRUE(j.ok) << static_cast<int>(proxy) << ": " << j.refusal.body;
    EXPECT_EQ(j.judged.method, "DELETE") << static_cast<int>(proxy);
    EXPECT_EQ(j.judged.target, "/admin/x") << static_cast<int>(proxy);
    EXPECT_EQ(j.judged.authority, "app.example") << static_cast<int>(proxy);
  }
}

TEST(JudgeAuthRequest, ProxyHeadersMustBeThereExactlyOnce) {
  // Caddy that did not overwrite: the client's copy and the proxy's.
  Judgement twice = JudgeAuth(
      AuthRequestProxy::kCaddy,
      Head("GET", "/authgate/auth",
           {{"X-Forwarded-Uri", "/public"}, {"X-Forwarded-Uri", "/admin/x"},
            {"X-Forwarded-Method", "DELETE"}, {"X-Forwarded-Host", "a"},
            {"X-Forwarded-Proto", "http"}}));
  EXPECT_FALSE(twice.ok);
  EXPECT_EQ(twice.refusal.status, 400);
  Judgement underscore = JudgeAuth(
      AuthRequestProxy::kTraefik,
      Head("GET", "/authgate/auth",
           {{"X_Forwarded_Uri", "/public"}, {"X-Forwarded-Uri", "/admin/x"},
            {"X-Forwarded-Method", "DELETE"}, {"X-Forwarded-Host", "a"},
            {"X-Forwarded-Proto", "http"}}));
  EXPECT_FALSE(underscore.ok);
  // nginx configured without X-Original-Method: no fallback to the
  // request's own method (GET) or to X-Forwarded-Method.
  Judgement missing = JudgeAuth(
      AuthRequestProxy::kNginx,
      Head("GET", "/authgate/auth",
           {{"X-Original-URI", "/admin/x"}, {"X-Forwarded-Method", "GET"},
            {"X-Forwarded-Host", "a"}, {"X-Forwarded-Proto", "http"}}));
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.refusal.status, 400);
  Judgement not_a_path = JudgeAuth(
      AuthRequestProxy::kNginx,
      Head("GET", "/authgate/auth",
           {{"X-Original-URI", "http://evil/"}, {"X-Original-Method", "GET"},
            {"X-Forwarded-Host", "a"}, {"X-Forwarded-Proto", "http"}}));
  EXPECT_FALSE(not_a_path.ok);
}

TEST(JudgeAuthRequest, UntrustedPeerIs403) {
  Judgement j = JudgeAuth(AuthRequestProxy::kEnvoy, Head("GET", "/authgate/auth/x", {{"Host", "a"}}),
                          "/x", "192.0.2.1");
  EXPECT_FALSE(j.ok);
  EXPECT_EQ(j.refusal.status, 403);
  EXPECT_EQ(j.refusal.reason, "untrusted_proxy");
}

TEST(JudgeAuthRequest, LowerCaseMethodIsPassedOnForTheEngineToRefuse) {
  Judgement j = JudgeAuth(AuthRequestProxy::kTraefik,
                          Head("GET", "/authgate/auth",
                               {{"X-Forwarded-Uri", "/api"}, {"X-Forwarded-Method", "post"},
                                {"X-Forwarded-Host", "a"}, {"X-Forwarded-Proto", "http"}}));
  ASSERT_TRUE(j.ok);
  EXPECT_EQ(j.judged.method, "post");
  Judgement spaces = JudgeAuth(AuthRequestProxy::kTraefik,
                               Head("GET", "/authgate/auth",
                                    {{"X-Forwarded-Uri", "/api"}, {"X-Forwarded-Method", "GE T"},
                                     {"X-Forwarded-Host", "a"}, {"X-Forwarded-Proto", "http"}}));
  EXPECT_FALSE(spaces.ok);
}

// --------------------------------------------------------------- upstream head

std::string Upstream(const ClientHead& head, std::string_view peer, const ServerSettings& settings,
                     const UpstreamChanges& changes) {
  Judgement j = Judge(head, peer, settings);
  EXPECT_TRUE(j.ok) << j.refusal.body;
  return BuildUpstreamHead(head, j.judged, changes, peer, "127.0.0.1:8001", std::nullopt);
}

TEST(UpstreamHead, EverySpellingOfWhatTheSidecarOwnsIsDropped) {
  ServerSettings settings = Settings({"10.0.0.0/8"});
  ClientHead head = Head("GET", "/x", {{"Host", "app.example"},
                                       {"X_Authgate_Sub", "admin"},
                                       {"x-authgate_sub", "admin"},
                                       {"X-AUTHGATE-ROLES", "admin"},
                                       {"X_User", "admin"},
                                       {"X-Forwarded_For", "6.6.6.6"},
                                       {"Content_Length", "5"},
                                       {"Upgrade", "websocket"},
                                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                       {"Sec_WebSocket_Version", "13"},
                                       {"Accept", "text/html"}});
  UpstreamChanges changes;
  changes.target = "/x";
  changes.remove = {"x-user"};
  changes.set = {{"x-user", "alice"}};
  for (const char* peer : {"10.0.0.2", "192.0.2.1"}) {
    std::string out = Upstream(head, peer, settings, changes);
    EXPECT_THAT(out, Not(HasSubstr("admin"))) << peer;
    EXPECT_THAT(out, Not(HasSubstr("6.6.6.6"))) << peer;
    EXPECT_THAT(out, Not(HasSubstr("evil.example"))) << peer;
    EXPECT_THAT(out, Not(HasSubstr("Content_Length"))) << peer;
    EXPECT_THAT(out, Not(HasSubstr("ebSocket"))) << peer;
    EXPECT_THAT(out, Not(HasSubstr("websocket"))) << peer;
    EXPECT_THAT(out, HasSubstr("\r\nx-user: alice\r\n")) << peer;
    EXPECT_THAT(out, HasSubstr("\r\nAccept: text/html\r\n")) << peer;
  }
  // From a trusted peer an underscore X-Forwarded-Host is refused (see
  // AmbiguousForwardingHeadersFromTrustedProxyAreRefused); from anyone
  // else it is dropped.
  head.fields.push_back({"X_Forwarded_Host", "evil.example"});
  EXPECT_THAT(Upstream(head, "192.0.2.1", settings, changes), Not(HasSubstr("evil.example")));
}

TEST(UpstreamHead, ForwardingHeadersPassOnlyFromTrustedProxies) {
  ServerSettings settings = Settings({"10.0.0.0/8"});
  std::vector<HeaderField> fields = {{"Host", "app.example"},
                                     {"Forwarded", "for=6.6.6.6;host=evil"},
                                     {"X-Real-IP", "6.6.6.6"},
                                     {"X-Forwarded-Port", "6666"},
                                     {"X-Forwarded-Prefix", "/evil"},
                                     {"X-Original-URL", "/evil"},
                                     {"X-Rewrite-URL", "/evil"},
                                     {"X-Original-URI", "/evil"},
                                     {"X-Original-Method", "EVIL"},
                                     {"X-Forwarded-Uri", "/evil"}};
  ClientHead head = Head("GET", "/x", fields);
  UpstreamChanges changes;
  changes.target = "/x";
  std::string untrusted = Upstream(head, "192.0.2.1", settings, changes);
  EXPECT_THAT(untrusted, Not(HasSubstr("evil"))) << untrusted;
  EXPECT_THAT(untrusted, Not(HasSubstr("6666")));
  EXPECT_THAT(untrusted, Not(HasSubstr("6.6.6.6")));
  EXPECT_THAT(untrusted, HasSubstr("\r\nx-forwarded-for: 192.0.2.1\r\n"));
  std::string trusted = Upstream(head, "10.0.0.2", settings, changes);
  for (const HeaderField& field : fields) {
    if (field.name == "Host") continue;  // rebuilt, see UpstreamSeesTheHostTheRulesJudged
    EXPECT_THAT(trusted, HasSubstr(std::string(field.name) + ": " + std::string(field.value)))
        << field.name;
  }
}

TEST(UpstreamHead, UpstreamSeesTheHostTheRulesJudged) {
  ServerSettings settings = Settings({"10.0.0.0/8"});
  ClientHead head = Head("GET", "/x", {{"Host", "sidecar.internal"},
                                       {"X-Forwarded-Host", "app.example"},
                                       {"X-Forwarded-For", "203.0.113.9"}});
  UpstreamChanges changes;
  changes.target = "/x";
  std::string out = Upstream(head, "10.0.0.2", settings, changes);
  EXPECT_THAT(out, HasSubstr("\r\nhost: app.example\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nx-forwarded-host: app.example\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nx-forwarded-for: 203.0.113.9, 10.0.0.2\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("sidecar.internal")));
  // From an untrusted peer the X-Forwarded-Host is not believed, and the
  // upstream gets the Host the rules judged.
  std::string untrusted = Upstream(head, "192.0.2.1", settings, changes);
  EXPECT_THAT(untrusted, HasSubstr("\r\nhost: sidecar.internal\r\n"));
  EXPECT_THAT(untrusted, Not(HasSubstr("app.example")));
}

TEST(UpstreamHead, AbsoluteFormGoesUpstreamInOriginFormWithItsHost) {
  ServerSettings settings = Settings();
  ClientHead head = Head("GET", "http://app.example/a?b", {{"Host", "other.example"}});
  UpstreamChanges changes;
  changes.target = "/a?b";
  std::string out = Upstream(head, "192.0.2.1", settings, changes);
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "GET /a?b HTTP/1.1");
  EXPECT_THAT(out, HasSubstr("\r\nhost: app.example\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("other.example")));
}

TEST(UpstreamHead, FramingIsTheSidecars) {
  ServerSettings settings = Settings();
  ClientHead head = Head("POST", "/x", {{"Host", "a"}, {"Transfer-Encoding", "chunked"},
                                        {"Expect", "100-continue"}, {"Connection", "x-hop"},
                                        {"X-Hop", "1"}, {"Keep-Alive", "timeout=5"}});
  UpstreamChanges changes;
  changes.target = "/x";
  std::string out = Upstream(head, "192.0.2.1", settings, changes);
  EXPECT_THAT(out, HasSubstr("\r\ntransfer-encoding: chunked\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("Transfer-Encoding")));
  EXPECT_THAT(out, Not(HasSubstr("Expect")));
  EXPECT_THAT(out, Not(HasSubstr("X-Hop")));
  EXPECT_THAT(out, Not(HasSubstr("Keep-Alive")));
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace authgate_cli
