// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// session_store.h: the session kept in the browser, as a sealed record
// (sealed_value.h) split across as many cookies as it needs.
//
//   SessionStoreOptions options;
//   options.cookie_name = "__Host-authgate_session";
//   if (absl::Status s = ValidateSessionStoreOptions(options); !s.ok()) return s;
//   SessionStore store(keys, options);
//
//   Session session;
//   Rejection why;
//   // false: login_required, session_invalid or session_expired
//   if (!store.Load(jar, scope, now, &session, &why)) ...
//   absl::StatusOr<std::vector<std::string>> set_cookies = store.Save(session, scope, now, jar);
//
// A browser keeps at most about 4 KB per cookie, and a session with its
// tokens can need several times that. The sealed text is therefore split
// into `name` (holding "<count>.<first part>"), `name.1`, `name.2`, ...; the
// count in the first cookie says how many parts to join, so a leftover part
// of an older, longer session is never joined, and a missing, swapped or
// foreign part makes the joined text fail authentication. The whole record
// is sealed for (cookie name, scope), the scope being the host or the cookie
// domain (cookie_scope.h): it opens under no other name and in no other
// scope.
//
// The session expires at the earlier of created + lifetime (absolute) and
// last_seen + idle_timeout; both are checked again on Load, so shortening
// either in the configuration applies to sessions already issued.
//
// The sessions opened last (up to SessionStoreOptions::opened_cache_entries)
// are remembered by their exact cookie text (opened_session_cache.h), so a
// browser's next requests skip the decryption; the lifetime and idle
// timeout are checked on every request all the same.
//
// Thread-safe: every method is const; the cache of opened sessions locks.

#ifndef AUTHGATE_SRC_SESSION_SESSION_STORE_H_
#define AUTHGATE_SRC_SESSION_SESSION_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "random.h"
#include "reason.h"
#include "session/cookie_jar.h"
#include "session/cookie_keys.h"
#include "session/opened_session_cache.h"
#include "session/session.h"
#include "session/set_cookie.h"

namespace authgate {

// The most cookies one session may be split into (max_chunks' upper bound);
// OwnsCookie recognizes every part name up to it, so parts left by an older
// configuration are still stripped and cleared.
inline constexpr int kMaxSessionChunks = 64;

struct SessionStoreOptions {
  std::string cookie_name;  // full name including any prefix, e.g. "__Host-authgate_session"
  CookieAttributes attributes;
  absl::Duration lifetime = absl::Hours(24);     // absolute, from Session::created
  absl::Duration idle_timeout = absl::Hours(1);  // from Session::last_seen; zero: none
  size_t max_cookie_bytes = 3800;  // per Set-Cookie header value: name, value and attributes
  int max_chunks = 10;
  size_t opened_cache_entries = 4096;  // sessions remembered by cookie text; 0: none
  // The sealing nonces' source; must outlive the store.
  const RandomSource* random = &RandomSource::System();
};

// ValidateSessionStoreOptions returns InvalidArgument unless the cookie name
// and attributes are valid (ValidateCookie), lifetime is positive,
// idle_timeout is not negative, max_cookie_bytes is from 512 to 4096 (what
// every browser stores) and max_chunks from 1 to kMaxSessionChunks.
absl::Status ValidateSessionStoreOptions(const SessionStoreOptions& options);

class SessionStore {
 public:
  // `options` must pass ValidateSessionStoreOptions.
  SessionStore(std::shared_ptr<const CookieKeys> keys, SessionStoreOptions options);

  // Load reads the session of `jar` for `scope` at `now`. Returns false with
  // *why: login_required when there is no session cookie; session_invalid
  // when it is malformed, tampered, truncated, missing a part, sealed for
  // another name or scope or with an unknown key, or unreadable;
  // session_expired past the absolute lifetime or the idle timeout.
  bool Load(const CookieJar& jar, std::string_view scope, absl::Time now, Session* out,
            Rejection* why) const;

  // Save returns the Set-Cookie header values storing `session` for `scope`:
  // its parts, each at most max_cookie_bytes, with a Max-Age ending at
  // min(created + lifetime, now + idle_timeout), then deletions of the parts
  // present in `jar` that the new session no longer uses. Fails when the
  // session has no id, its lifetime is over, or it needs more than
  // max_chunks cookies (ResourceExhausted).
  absl::StatusOr<std::vector<std::string>> Save(const Session& session, std::string_view scope,
                                                absl::Time now, const CookieJar& jar) const;

  // Clear returns deletions for the session cookie and every part of it
  // present in `jar`.
  std::vector<std::string> Clear(const CookieJar& jar) const;

  // OwnsCookie tells whether `name` is the session cookie or one of its
  // parts (the engine strips these from the Cookie header sent upstream).
  bool OwnsCookie(std::string_view name) const;

  const SessionStoreOptions& options() const { return options_; }
  // How many opened sessions are remembered now.
  size_t opened_sessions() const { return opened_.size(); }

 private:
  std::string PartName(int index) const;
  // PartIndex returns k for a part named "<cookie_name>.k", else 0.
  int PartIndex(std::string_view name) const;
  // Deletions of the parts in `jar` numbered `from` or more.
  void AppendPartDeletions(const CookieJar& jar, int from, std::vector<std::string>* out) const;

  // Whether `session` is past its lifetime or idle timeout at `now`
  // (false with *why set).
  bool StillValid(const Session& session, absl::Time now, Rejection* why) const;

  std::shared_ptr<const CookieKeys> keys_;
  SessionStoreOptions options_;
  // Logically const: remembering an opened session changes no answer.
  mutable OpenedSessionCache opened_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_SESSION_STORE_H_
