// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The sidecar's own pieces that need no network: its keys in the YAML
// (server_settings), the trusted-proxy ranges, the log's JSON strings and
// the Prometheus rendering.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "log.h"
#include "metrics.h"
#include "yaml_config.h"

namespace authgate_cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBase[] =
    "listen: 127.0.0.1:8000\n"
    "upstream: http://127.0.0.1:8001\n"
    "rules: [{match: {prefix: /}, requires: none}]\n";

bool Load(const std::string& yaml, SidecarConfig* config, std::string* error) {
  return LoadSidecarConfig(yaml, config, error);
}

TEST(SidecarConfig, DefaultsAndEngineDocumentWithoutSidecarKeys) {
  SidecarConfig config;
  std::string error;
  ASSERT_TRUE(Load(std::string(kBase) + "admin: '[::1]:9901'\n", &config, &error)) << error;
  const ServerSettings& s = config.server;
  EXPECT_EQ(s.listen.host, "127.0.0.1");
  EXPECT_EQ(s.listen.port, 8000);
  EXPECT_FALSE(s.upstream.tls);
  EXPECT_EQ(s.upstream.port, 8001);
  ASSERT_TRUE(s.admin.has_value());
  EXPECT_EQ(s.admin->host, "::1");
  EXPECT_EQ(s.max_header_bytes, 65536u);
  EXPECT_EQ(s.header_timeout.count(), 10'000);
  EXPECT_EQ(s.auth_request_path, "") << "the auth endpoint is off unless configured";
  EXPECT_EQ(s.auth_request_proxy, AuthRequestProxy::kNone);
  EXPECT_TRUE(s.trusted_proxies.empty()) << "nobody is trusted unless configured";
  EXPECT_FALSE(InRanges(s.trusted_proxies, "127.0.0.1"));
  EXPECT_EQ(s.auth_request_redirect_status, 401);
  EXPECT_THAT(config.engine_json, Not(HasSubstr("listen")));
  EXPECT_THAT(config.engine_json, Not(HasSubstr("upstream")));
  EXPECT_THAT(config.engine_json, HasSubstr("\"rules\""));
}

TEST(SidecarConfig, UpstreamForms) {
  struct Case {
    const char* url;
    bool tls;
    const char* host;
    int port;
  } cases[] = {{"https://app.internal", true, "app.internal", 443},
               {"http://app.internal/", false, "app.internal", 80},
               {"http://[::1]:9000", false, "::1", 9000},
               {"https://[::1]", true, "::1", 443}};
  for (const Case& c : cases) {
    SidecarConfig config;
    std::string error;
    std::string yaml = std::string("listen: 127.0.0.1:8000\nupstream: ") + c.url + "\n";
    ASSERT_TRUE(Load(yaml, &config, &error)) << c.url << ": " << error;
    EXPECT_EQ(config.server.upstream.tls, c.tls) << c.url;
    EXPECT_EQ(config.server.upstream.host, c.host) << c.url;
    EXPECT_EQ(config.server.upstream.port, c.port) << c.url;
  }
  for (const char* bad : {"ftp://x", "http://", "http://x/app", "http://u@x", "http://x?q",
                          "http://::1:80", "http://x:99999", "http://x:0"}) {
    SidecarConfig config;
    std::string error;
    EXPECT_FALSE(Load(std::string("listen: 127.0.0.1:8000\nupstream: ") + bad + "\n", &config,
                      &error))
        << bad;
    EXPECT_THAT(error, HasSubstr("upstream")) << bad;
  }
}

TEST(SidecarConfig, ServerKeysAreCheckedByName) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"server: {threads: -1}", "server.threads"},
      {"server: {max_connections: 0}", "server.max_connections"},
      {"server: {idle_timeout: 1.5s}", "server.idle_timeout"},
      {"server: {idle_timeout: 0s}", "server.idle_timeout"},
      {"server: {access_log: yes}", "server.access_log"},
      {"server: {auth_request_path: /auth/}", "server.auth_request_path"},
      {"server: {auth_request_redirect_status: 303}", "server.auth_request_redirect_status"},
      {"server: {trusted_proxies: 10.0.0.0/8}", "server.trusted_proxies"},
      {"server: {trusted_proxies: [not-an-ip]}", "server.trusted_proxies[0]"},
      {"server: {tls: {cert_file: a, key_file: b, ca_file: c}}", "server.tls.ca_file"},
      {"server: {typo: 1}", "server.typo: unknown key"},
  };
  for (const Case& c : cases) {
    SidecarConfig config;
    std::string error;
    EXPECT_FALSE(Load(std::string(kBase) + c.yaml + "\n", &config, &error)) << c.yaml;
    EXPECT_THAT(error, HasSubstr(c.error)) << c.yaml;
  }
}

// Found by sidecar_yaml_fuzz: yaml-cpp keeps both of two equal keys and a
// lookup takes the first, so the second `listen` went to the engine as an
// unknown key and a second `threads` was silently ignored.
TEST(SidecarConfig, AKeyGivenTwiceIsRefusedWhereItIs) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"listen: 127.0.0.1:9000", "listen: duplicate key"},
      {"server: {threads: 2, threads: 4}", "server.threads: duplicate key"},
      {"session: {secret: a, 'secret': b}", "session.secret: duplicate key"},
      {"x: [{a: 1}, {b: 1, b: 2}]", "x[1].b: duplicate key"},
  };
  for (const Case& c : cases) {
    SidecarConfig config;
    std::string error;
    EXPECT_FALSE(Load(std::string(kBase) + c.yaml + "\n", &config, &error)) << c.yaml;
    EXPECT_EQ(error, c.error) << c.yaml;
  }
}

// Found by sidecar_yaml_fuzz: 470 bytes of nested aliases expand to 10^8
// values, which the conversion to JSON walked for minutes and gigabytes
// (and a refusal after 8 MiB of them still took seconds).
TEST(SidecarConfig, AliasesMayNotExpandPastTheEngineLimits) {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 8; ++level) {
    const std::string previous = "*a" + std::to_string(level - 1);
    bomb += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [" + previous;
    for (int i = 1; i < 10; ++i) bomb += ", " + previous;
    bomb += "]\n";
  }
  SidecarConfig config;
  std::string error;
  EXPECT_FALSE(Load(std::string(kBase) + bomb, &config, &error));
  EXPECT_THAT(error, HasSubstr("expands to more than 100000 values"));

  // One long string repeated is few values but many bytes.
  std::string repeated = "s0: &s0 " + std::string(100'000, 'x') + "\n";
  for (int level = 1; level <= 3; ++level) {
    const std::string previous = "*s" + std::to_string(level - 1);
    repeated += "s" + std::to_string(level) + ": &s" + std::to_string(level) + " [" + previous;
    for (int i = 1; i < 10; ++i) repeated += ", " + previous;
    repeated += "]\n";
  }
  EXPECT_FALSE(Load(std::string(kBase) + repeated, &config, &error));
  EXPECT_THAT(error, HasSubstr("expands to more than 8 MiB"));

  // A chain of aliases nests without any nesting in the text.
  std::string chain = "c0: &c0 x\n";
  for (int level = 1; level <= 40; ++level) {
    chain += "c" + std::to_string(level) + ": &c" + std::to_string(level) + " [*c" +
             std::to_string(level - 1) + "]\n";
  }
  EXPECT_FALSE(Load(std::string(kBase) + chain, &config, &error));
  EXPECT_THAT(error, HasSubstr("nested deeper than 32 levels"));
}

TEST(TrustedProxies, RangesMatchByPrefixAndMappedAddresses) {
  SidecarConfig config;
  std::string error;
  ASSERT_TRUE(Load(std::string(kBase) +
                       "server: {trusted_proxies: [10.0.0.0/8, 192.168.1.7, 'fd00::/8']}\n",
                   &config, &error))
      << error;
  const auto& ranges = config.server.trusted_proxies;
  EXPECT_TRUE(InRanges(ranges, "10.200.3.4"));
  EXPECT_TRUE(InRanges(ranges, "192.168.1.7"));
  EXPECT_FALSE(InRanges(ranges, "192.168.1.8"));
  EXPECT_FALSE(InRanges(ranges, "11.0.0.1"));
  EXPECT_TRUE(InRanges(ranges, "::ffff:10.1.2.3"));  // IPv4-mapped
  EXPECT_TRUE(InRanges(ranges, "fd12::1"));
  EXPECT_FALSE(InRanges(ranges, "fe80::1"));
  EXPECT_FALSE(InRanges(ranges, "127.0.0.1"));
  EXPECT_FALSE(InRanges(ranges, "garbage"));
  EXPECT_FALSE(InRanges(ranges, ""));
  EXPECT_FALSE(InRanges(ranges, std::string("10.0.0.1\0", 9)));

  // Nobody by default, not even loopback: behind a proxy on the same host
  // every client would be trusted.
  SidecarConfig defaults;
  ASSERT_TRUE(Load(kBase, &defaults, &error));
  for (const char* address : {"127.0.0.1", "127.9.9.9", "::1", "10.0.0.1"}) {
    EXPECT_FALSE(InRanges(defaults.server.trusted_proxies, address)) << address;
  }
}

TEST(AccessLogJson, StringsStayValidJson) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01\x7f", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\"");
  out.clear();
  AppendJsonString("caf\xc3\xa9 \xff\xc3", &out);  // é, then two invalid bytes
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\"");
  out.clear();
  AppendJsonString("\xed\xa0\x80", &out);  // an encoded surrogate is not UTF-8
  EXPECT_EQ(out, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(Metrics, RendersCountersHistogramsAndEngineStats) {
  Metrics metrics(2);
  metrics.RecordRequest(0, "rules[0]", "allowed", 0.002, 0.001);
  metrics.RecordRequest(1, "rules[0]", "allowed", 0.3, -1);
  metrics.RecordRequest(1, "rules[1]", "unauthorized", 20, -1);
  metrics.RecordUpstreamError(0, UpstreamError::kTimeout);
  metrics.ConnectionOpened();
  EngineCounters engine;
  engine.counters = {{"logins_started", 4},      {"logins_completed", 2},
                     {"logins_failed", 1},       {"refreshes", 5},
                     {"refresh_failures", 0},    {"jwks_fetch_successes", 6},
                     {"jwks_fetch_failures", 7}, {"token_cache_hits", 8},
                     {"token_cache_misses", 9}};
  engine.refusals = {{"token_missing", 3}, {"expired", 1}};
  std::string text = metrics.Render(engine, true);
  EXPECT_THAT(text, HasSubstr("authgate_requests_total{rule=\"rules[0]\",decision=\"allowed\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("authgate_requests_total{rule=\"rules[1]\",decision=\"unauthorized\"} 1\n"));
  // Cumulative buckets: 0.002 falls in le=0.0025, 0.3 in le=0.5, 20 only in +Inf.
  EXPECT_THAT(text, HasSubstr("authgate_request_duration_seconds_bucket{le=\"0.001\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("authgate_request_duration_seconds_bucket{le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("authgate_request_duration_seconds_bucket{le=\"0.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("authgate_request_duration_seconds_bucket{le=\"10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("authgate_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("authgate_request_duration_seconds_count 3\n"));
  EXPECT_THAT(text, HasSubstr("authgate_upstream_duration_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("authgate_upstream_errors_total{kind=\"timeout\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("authgate_logins_total{result=\"started\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("authgate_refreshes_total{result=\"ok\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("authgate_jwks_fetches_total{result=\"failure\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("authgate_token_cache_hits_total 8\n"));
  EXPECT_THAT(text, HasSubstr("authgate_refusals_total{reason=\"token_missing\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("authgate_refusals_total{reason=\"expired\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("authgate_connections_active 1\n"));
  EXPECT_THAT(text, HasSubstr("authgate_ready 1\n"));
  // Every sample line is "name{labels} value" or "name value".
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_EQ(line.rfind("authgate_", 0), 0u) << line;
    EXPECT_NE(line.find(' '), std::string::npos) << line;
  }
}

// The engine's counters and key errors come through the C ABI as numbers
// and strings: a real engine whose provider's key server refuses.
TEST(Metrics, EngineCountersAndKeyErrorsAreReadThroughTheCAbi) {
  const std::string config =
      R"({"jwt": {"providers": {"down": {"issuer": "https://idp.example",)"
      R"( "audiences": ["api"], "jwks_uri": "http://127.0.0.1:9/jwks"}}},)"
      R"( "rules": [{"match": {"prefix": "/"}, "requires": {"jwt": ["down"]}}]})";
  authgate_engine* engine = nullptr;
  authgate_error* error = nullptr;
  ASSERT_EQ(authgate_engine_new(&engine, config.data(), config.size(), &error), AUTHGATE_OK)
      << authgate_error_message(error);
  // Never ready (port 9 refuses); waiting lets the first fetch fail.
  EXPECT_EQ(authgate_engine_wait_ready(engine, 2000, nullptr), AUTHGATE_TIMEOUT);
  authgate_request* request = nullptr;
  ASSERT_EQ(authgate_request_new(&request, nullptr), AUTHGATE_OK);
  const std::pair<authgate_request_field, std::string> fields[] = {
      {AUTHGATE_REQUEST_METHOD, "GET"},
      {AUTHGATE_REQUEST_SCHEME, "http"},
      {AUTHGATE_REQUEST_AUTHORITY, "app.test"},
      {AUTHGATE_REQUEST_TARGET, "/x"}};
  for (const auto& [field, value] : fields) {
    ASSERT_EQ(authgate_request_set(request, field, value.data(), value.size(), nullptr),
              AUTHGATE_OK);
  }
  authgate_decision* decision = nullptr;
  ASSERT_EQ(authgate_engine_evaluate(&decision, engine, request, nullptr), AUTHGATE_OK);
  EXPECT_EQ(authgate_decision_status(decision), 401);
  authgate_decision_free(decision);
  authgate_request_free(request);

  EngineCounters counters = ReadEngineCounters(engine);
  EXPECT_EQ(counters.counters.size(), 9u);
  EXPECT_GE(counters.counters["jwks_fetch_failures"], 1u);
  EXPECT_EQ(counters.counters["jwks_fetch_successes"], 0u);
  EXPECT_THAT(counters.refusals,
              ElementsAre(std::pair<std::string, uint64_t>("token_missing", 1)));
  std::vector<std::pair<std::string, std::string>> errors = ReadKeyErrors(engine);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, "down");
  EXPECT_THAT(errors[0].second, HasSubstr("127.0.0.1"));
  authgate_engine_free(engine);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics metrics(1);
  metrics.RecordRequest(0, "a\"b\\c\nd", "allowed", 0.001, -1);
  EXPECT_THAT(metrics.Render(EngineCounters(), false),
              HasSubstr("authgate_requests_total{rule=\"a\\\"b\\\\c\\nd\",decision=\"allowed\"} 1"));
}

}  // namespace
}  // namespace authgate_cli
