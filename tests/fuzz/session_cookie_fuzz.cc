// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the browser's cookies as the engine reads them: the session cookie
// and its parts (`name`, `name.1`, ...) opened by the SessionStore, the
// login's flow cookies opened as sealed values, and the Cookie header
// rewritten for the upstream without authgate's cookies.
//
// Input: Cookie header values, one per line. "@0" to "@9" stand for the
// parts of one genuine session (sealed by this target, which holds the
// secret; the fuzzer does not), "@F" for a genuine flow cookie's value, so
// that the fuzzer can also shuffle, truncate, repeat and mix real parts.
//
// Invariants, beyond no crash, leak or hang:
// - Load opens the genuine session exactly when the parts it joins (the
//   first cookie of each part name, as many as the count says) are the
//   genuine ones, in order, and only on the host it was sealed for; any
//   other jar gives login_required (no session cookie) or session_invalid,
//   never session_expired (a forgery is invalid, not expired); past the
//   lifetime the genuine session is expired; a second Load (which may hit
//   the cache of opened sessions) answers the same;
// - a flow cookie opens only with the genuine value under its own name;
// - OwnsCookie is exactly the session cookie and `name.1` to `name.63`;
//   Clear deletes the session cookie and each part present, once each;
// - the header forwarded upstream, read again, holds none of the cookies
//   removed from it and every other cookie, in order.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "oidc/authorization_request.h"
#include "session/cookie_jar.h"
#include "session/sealed_value.h"
#include "session/session_store.h"
#include "text.h"

namespace {

using authgate::CookieJar;
using authgate::Reason;
using authgate::Rejection;
using authgate::Session;
using authgate::SessionStore;

constexpr std::string_view kCookieName = "__Host-authgate_session";
constexpr std::string_view kFlowName = "__Host-authgate_flow.AAECAwQFBgcICQoLDA0ODw";
constexpr std::string_view kFlowPrefix = "__Host-authgate_flow.";
constexpr std::string_view kHost = "app.example";
constexpr std::string_view kOtherHost = "evil.example";
const absl::Time kSealedAt = absl::FromUnixSeconds(1767225600);
const absl::Time kNow = kSealedAt + absl::Minutes(1);
const absl::Time kAfterLifetime = kSealedAt + absl::Hours(48);

// What the target seals once, with a secret the fuzzer never sees.
struct Genuine {
  std::shared_ptr<const authgate::CookieKeys> keys;
  authgate::SessionStoreOptions options;
  Session session;
  std::vector<std::string> part_values;  // the value of `name`, `name.1`, ...
  std::string sealed;                    // what the parts join to
  std::string flow_value;
};

std::string CookieValue(const std::string& set_cookie) {
  const size_t eq = set_cookie.find('=');
  return set_cookie.substr(eq + 1, set_cookie.find(';') - eq - 1);
}

const Genuine& MakeGenuine() {
  static const Genuine* genuine = [] {
    auto* g = new Genuine;
    auto keys = authgate::CookieKeys::Derive({std::string("fuzzing-secret-fuzzing-secret-0123")});
    FUZZ_CHECK(keys.ok());
    g->keys = *keys;
    g->options.cookie_name = std::string(kCookieName);
    g->options.max_cookie_bytes = 512;  // the least allowed: a session of several parts
    g->options.lifetime = absl::Hours(24);
    g->options.idle_timeout = absl::ZeroDuration();
    FUZZ_CHECK(authgate::ValidateSessionStoreOptions(g->options).ok());
    g->session.id = "AAECAwQFBgcICQoLDA0ODw";
    g->session.issuer = "https://idp.example";
    g->session.subject = "alice";
    g->session.id_token = std::string(300, 'i');
    g->session.access_token = std::string(600, 'a');
    g->session.created = g->session.last_seen = kSealedAt;
    g->session.claims_json = R"({"sub":"alice"})";
    SessionStore store(g->keys, g->options);
    auto lines = store.Save(g->session, kHost, kSealedAt, CookieJar());
    FUZZ_CHECK(lines.ok() && lines->size() >= 3);
    for (const std::string& line : *lines) g->part_values.push_back(CookieValue(line));
    g->sealed = g->part_values[0].substr(g->part_values[0].find('.') + 1);
    for (size_t i = 1; i < g->part_values.size(); ++i) g->sealed += g->part_values[i];

    authgate::FlowState flow;
    flow.state_id = "AAECAwQFBgcICQoLDA0ODw";
    flow.nonce = "nonce";
    flow.code_verifier = std::string(43, 'v');
    flow.return_to = "/orders";
    flow.created = kSealedAt;
    g->flow_value = *authgate::SealValue(*g->keys, authgate::CookieBinding{kFlowName, kHost},
                                        kSealedAt + absl::Minutes(10),
                                        authgate::SerializeFlowState(flow));
    FUZZ_CHECK(!g->flow_value.empty());
    return g;
  }();
  return *genuine;
}

// Replaces "@0".."@9" and "@F" with the genuine values.
std::string Expand(std::string_view input, const Genuine& g) {
  std::string out;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '@' && i + 1 < input.size()) {
      const char c = input[i + 1];
      if (c >= '0' && c <= '9' && static_cast<size_t>(c - '0') < g.part_values.size()) {
        out += g.part_values[static_cast<size_t>(c - '0')];
        ++i;
        continue;
      }
      if (c == 'F') {
        out += g.flow_value;
        ++i;
        continue;
      }
    }
    out.push_back(input[i]);
  }
  return out;
}

std::string PartName(int index) {
  return index == 0 ? std::string(kCookieName) : authgate::StrCat(kCookieName, ".", index);
}

// The model of what Load joins: nullopt when there is no session cookie,
// "" when the jar cannot be a session (bad count, missing part).
std::optional<std::string> JoinedParts(const CookieJar& jar, int max_chunks) {
  std::optional<std::string_view> first = jar.Get(kCookieName);
  if (!first) return std::nullopt;
  const size_t dot = first->find('.');
  const std::string_view count_text = first->substr(0, dot);
  if (dot == std::string_view::npos || count_text.empty() || count_text[0] == '0' ||
      count_text.size() > 2 || count_text.find_first_not_of("0123456789") != std::string::npos) {
    return "";
  }
  const int count = std::stoi(std::string(count_text));
  if (count > max_chunks) return "";
  std::string joined(first->substr(dot + 1));
  for (int i = 1; i < count; ++i) {
    std::optional<std::string_view> part = jar.Get(PartName(i));
    if (!part) return "";
    joined += *part;
  }
  return joined;
}

void CheckLoad(const SessionStore& store, const CookieJar& jar, const Genuine& g) {
  const std::optional<std::string> joined = JoinedParts(jar, g.options.max_chunks);
  const bool genuine = joined == g.sealed;
  for (int round = 0; round < 2; ++round) {  // the second may come from the cache
    Session session;
    Rejection why;
    const bool opened = store.Load(jar, kHost, kNow, &session, &why);
    FUZZ_CHECK(opened == genuine);
    if (opened) {
      FUZZ_CHECK(session.id == g.session.id && session.access_token == g.session.access_token);
    } else {
      FUZZ_CHECK(why.reason == (joined ? Reason::kSessionInvalid : Reason::kLoginRequired));
      FUZZ_CHECK(!why.detail.empty());
    }
  }
  Session session;
  Rejection why;
  FUZZ_CHECK(!store.Load(jar, kOtherHost, kNow, &session, &why));
  FUZZ_CHECK(why.reason == (joined ? Reason::kSessionInvalid : Reason::kLoginRequired));
  FUZZ_CHECK(!store.Load(jar, kHost, kAfterLifetime, &session, &why));
  FUZZ_CHECK(why.reason == (genuine  ? Reason::kSessionExpired
                            : joined ? Reason::kSessionInvalid
                                     : Reason::kLoginRequired));
}

void CheckFlowCookies(const CookieJar& jar, const Genuine& g) {
  for (const auto& [name, value] : jar.cookies()) {
    if (name.rfind(kFlowPrefix, 0) != 0) continue;
    std::string plaintext;
    Rejection why;
    const bool opened = authgate::OpenSealedValue(
        *g.keys, authgate::CookieBinding{name, kHost}, kNow, value, &plaintext, &why);
    FUZZ_CHECK(opened == (name == kFlowName && value == g.flow_value));
    if (opened) {
      FUZZ_CHECK(authgate::ParseFlowState(plaintext).ok());
    } else {
      FUZZ_CHECK(why.reason == Reason::kSessionInvalid);
    }
  }
}

bool ModelOwns(std::string_view name) {
  if (name == kCookieName) return true;
  for (int i = 1; i < authgate::kMaxSessionChunks; ++i) {
    if (name == PartName(i)) return true;
  }
  return false;
}

void CheckOwnershipAndClear(const SessionStore& store, const CookieJar& jar) {
  std::set<int> parts_present;
  for (const auto& cookie : jar.cookies()) {
    FUZZ_CHECK(store.OwnsCookie(cookie.first) == ModelOwns(cookie.first));
    for (int i = 1; i < authgate::kMaxSessionChunks; ++i) {
      if (cookie.first == PartName(i)) parts_present.insert(i);
    }
  }
  const std::vector<std::string> cleared = store.Clear(jar);
  FUZZ_CHECK(cleared.size() == 1 + parts_present.size());
  FUZZ_CHECK(cleared[0] == authgate::FormatDeleteCookie(kCookieName, store.options().attributes));
  size_t line = 1;
  for (int index : parts_present) {
    FUZZ_CHECK(cleared[line++] ==
               authgate::FormatDeleteCookie(PartName(index), store.options().attributes));
  }
}

void CheckForwardedHeader(const SessionStore& store, const CookieJar& jar) {
  auto removed = [&](std::string_view name) {
    return store.OwnsCookie(name) || name.rfind(kFlowPrefix, 0) == 0;
  };
  const CookieJar forwarded = CookieJar::Parse(authgate::RemoveCookies(jar, removed));
  std::vector<CookieJar::Cookie> kept;
  for (const auto& cookie : jar.cookies()) {
    if (!removed(cookie.first)) kept.push_back(cookie);
  }
  FUZZ_CHECK(forwarded.cookies() == kept);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Genuine& g = MakeGenuine();
  const std::string input = Expand(std::string_view(reinterpret_cast<const char*>(data), size), g);
  authgate::Request request;
  std::string_view rest = input;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    request.headers.emplace_back("Cookie", std::string(rest.substr(0, end)));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  const CookieJar jar = CookieJar::FromRequest(request);

  const SessionStore store(g.keys, g.options);
  CheckLoad(store, jar, g);
  CheckFlowCookies(jar, g);
  CheckOwnershipAndClear(store, jar);
  CheckForwardedHeader(store, jar);
  return 0;
}
