// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/session_store.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "session/sealed_value.h"
#include "text.h"

namespace authgate {
namespace {

constexpr size_t kMinCookieBytes = 512;
constexpr size_t kMaxCookieBytes = 4096;

bool Fail(Rejection* why, Reason reason, std::string detail) {
  why->reason = reason;
  why->detail = std::move(detail);
  return false;
}

// ParseCount reads a decimal from 1 to `max` written without leading zeros.
bool ParseCount(std::string_view text, int max, int* out) {
  if (text.empty() || text.size() > 2 || text[0] == '0') return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > max) return false;
  *out = value;
  return true;
}

}  // namespace

absl::Status ValidateSessionStoreOptions(const SessionStoreOptions& options) {
  if (absl::Status s = ValidateCookie(options.cookie_name, options.attributes); !s.ok()) return s;
  if (options.lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("session lifetime must be positive");
  }
  if (options.idle_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("session idle timeout must not be negative");
  }
  if (options.max_cookie_bytes < kMinCookieBytes || options.max_cookie_bytes > kMaxCookieBytes) {
    return absl::InvalidArgumentError(ToAbsl(StrCat("session max_cookie_bytes must be from ",
                                                    kMinCookieBytes, " to ", kMaxCookieBytes)));
  }
  if (options.max_chunks < 1 || options.max_chunks > kMaxSessionChunks) {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("session max_chunks must be from 1 to ", kMaxSessionChunks)));
  }
  return absl::OkStatus();
}

SessionStore::SessionStore(std::shared_ptr<const CookieKeys> keys, SessionStoreOptions options)
    : keys_(std::move(keys)),
      options_(std::move(options)),
      opened_(options_.opened_cache_entries) {}

std::string SessionStore::PartName(int index) const {
  return index == 0 ? options_.cookie_name : StrCat(options_.cookie_name, ".", index);
}

int SessionStore::PartIndex(std::string_view name) const {
  const std::string_view base = options_.cookie_name;
  if (name.size() <= base.size() + 1 || name.substr(0, base.size()) != base ||
      name[base.size()] != '.') {
    return 0;
  }
  int index = 0;
  return ParseCount(name.substr(base.size() + 1), kMaxSessionChunks - 1, &index) ? index : 0;
}

bool SessionStore::OwnsCookie(std::string_view name) const {
  return name == options_.cookie_name || PartIndex(name) > 0;
}

bool SessionStore::Load(const CookieJar& jar, std::string_view scope, absl::Time now,
                        Session* out, Rejection* why) const {
  const std::string& name = options_.cookie_name;
  std::optional<std::string_view> first = jar.Get(name);
  if (!first.has_value()) {
    return Fail(why, Reason::kLoginRequired, StrCat("no \"", name, "\" cookie"));
  }
  const size_t dot = first->find('.');
  int count = 0;
  if (dot == std::string_view::npos ||
      !ParseCount(first->substr(0, dot), options_.max_chunks, &count)) {
    return Fail(why, Reason::kSessionInvalid,
                StrCat("\"", name, "\" cookie does not start with a part count"));
  }
  std::string sealed(first->substr(dot + 1));
  for (int i = 1; i < count; ++i) {
    std::optional<std::string_view> part = jar.Get(PartName(i));
    if (!part.has_value()) {
      return Fail(why, Reason::kSessionInvalid,
                  StrCat("session cookie part ", i, " of ", count, " is missing"));
    }
    if (sealed.size() + part->size() > kMaxSealedText) {
      return Fail(why, Reason::kSessionInvalid,
                  StrCat("session cookies are larger than ", kMaxSealedText, " bytes"));
    }
    sealed.append(*part);
  }
  if (std::optional<Session> opened = opened_.Find(scope, sealed); opened.has_value()) {
    if (!StillValid(*opened, now, why)) return false;
    *out = *std::move(opened);
    return true;
  }
  std::string record;
  if (!OpenSealedValue(*keys_, CookieBinding{name, scope}, now, sealed, &record, why)) {
    return false;
  }
  absl::StatusOr<Session> session = ParseSession(record);
  if (!session.ok()) {
    return Fail(why, Reason::kSessionInvalid, std::string(FromAbsl(session.status().message())));
  }
  if (session->id.empty()) {
    return Fail(why, Reason::kSessionInvalid, "session record has an empty id");
  }
  if (!StillValid(*session, now, why)) return false;
  opened_.Insert(scope, sealed, *session);
  *out = *std::move(session);
  return true;
}

bool SessionStore::StillValid(const Session& session, absl::Time now, Rejection* why) const {
  if (now >= session.created + options_.lifetime) {
    return Fail(why, Reason::kSessionExpired,
                StrCat("session is older than its lifetime of ",
                       absl::FormatDuration(options_.lifetime)));
  }
  if (options_.idle_timeout != absl::ZeroDuration() &&
      now >= session.last_seen + options_.idle_timeout) {
    return Fail(why, Reason::kSessionExpired,
                StrCat("session was idle longer than ",
                       absl::FormatDuration(options_.idle_timeout)));
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> SessionStore::Save(const Session& session,
                                                            std::string_view scope,
                                                            absl::Time now,
                                                            const CookieJar& jar) const {
  if (session.id.empty()) return absl::InvalidArgumentError("session has no id");
  absl::Time expiry = session.created + options_.lifetime;
  if (options_.idle_timeout != absl::ZeroDuration()) {
    expiry = std::min(expiry, now + options_.idle_timeout);
  }
  // The sealed expiry is whole seconds; the cookie must not outlive it.
  expiry = absl::FromUnixSeconds(absl::ToUnixSeconds(expiry));
  if (expiry <= now) return absl::FailedPreconditionError("the session's lifetime is over");
  const std::string& name = options_.cookie_name;
  absl::StatusOr<std::string> sealed_or =
      SealValue(*keys_, CookieBinding{name, scope}, expiry, SerializeSession(session),
                *options_.random);
  if (!sealed_or.ok()) return sealed_or.status();
  const std::string& sealed = *sealed_or;
  if (sealed.size() > kMaxSealedText) {
    return absl::ResourceExhaustedError(ToAbsl(
        StrCat("session needs ", sealed.size(), " bytes of cookies, more than the limit of ",
               kMaxSealedText)));
  }
  const absl::Duration max_age = expiry - now;
  // Room for the "<count>." in front of the first part, at its widest.
  const size_t count_size = StrCat(options_.max_chunks, ".").size();
  std::vector<std::string_view> parts;
  std::string_view rest = sealed;
  while (!rest.empty()) {
    const int index = static_cast<int>(parts.size());
    if (index == options_.max_chunks) {
      return absl::ResourceExhaustedError(ToAbsl(
          StrCat("session needs more than max_chunks (", options_.max_chunks, ") cookies of ",
                 options_.max_cookie_bytes, " bytes")));
    }
    const size_t overhead = FormatSetCookie(PartName(index), "", options_.attributes, max_age)
                                .size() +
                            (index == 0 ? count_size : 0);
    if (overhead >= options_.max_cookie_bytes) {
      return absl::InvalidArgumentError("session max_cookie_bytes leaves no room for a value");
    }
    const size_t take = std::min(rest.size(), options_.max_cookie_bytes - overhead);
    parts.push_back(rest.substr(0, take));
    rest.remove_prefix(take);
  }
  std::vector<std::string> lines;
  const int count = static_cast<int>(parts.size());
  for (int i = 0; i < count; ++i) {
    const std::string value = i == 0 ? StrCat(count, ".", parts[0]) : std::string(parts[i]);
    lines.push_back(FormatSetCookie(PartName(i), value, options_.attributes, max_age));
  }
  AppendPartDeletions(jar, count, &lines);
  return lines;
}

std::vector<std::string> SessionStore::Clear(const CookieJar& jar) const {
  std::vector<std::string> lines = {
      FormatDeleteCookie(options_.cookie_name, options_.attributes)};
  AppendPartDeletions(jar, 1, &lines);
  return lines;
}

void SessionStore::AppendPartDeletions(const CookieJar& jar, int from,
                                       std::vector<std::string>* out) const {
  std::set<int> stale;
  for (const CookieJar::Cookie& cookie : jar.cookies()) {
    const int index = PartIndex(cookie.first);
    if (index >= from) stale.insert(index);
  }
  for (int index : stale) {
    out->push_back(FormatDeleteCookie(PartName(index), options_.attributes));
  }
}

}  // namespace authgate
