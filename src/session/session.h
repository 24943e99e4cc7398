// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// session.h: the record of a signed-in browser, and its serialization into
// the compact JSON that the session cookie seals.
//
//   Session session;
//   session.id = NewSessionId();
//   session.issuer = "https://idp.example";
//   session.subject = "248289761001";
//   session.created = session.last_seen = now;
//   session.claims_json = R"({"sub":"248289761001","groups":["admins"]})";
//   std::string record = SerializeSession(session);
//   absl::StatusOr<Session> back = ParseSession(record);
//
// The JSON has exactly the members id, iss, sub, id_token, access_token,
// refresh_token, access_token_expires_at (Unix seconds, or null for none),
// created, last_seen (Unix seconds) and claims (the claims object itself,
// not a string: quoting it would grow the cookie by every escaped quote).
// Parsing is strict: every member present once with its type, nothing else,
// times integral from 1970 to 9999. So a record with a forged claims text
// cannot smuggle a member in: it would be a duplicate or an unknown name.
// Times are kept to the second.

#ifndef AUTHGATE_SRC_SESSION_SESSION_H_
#define AUTHGATE_SRC_SESSION_SESSION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "random.h"

namespace authgate {

struct Session {
  // Random, 128 bits, base64url (NewSessionId); stable across token
  // refreshes, so that concurrent requests of one session share one refresh.
  std::string id;
  std::string issuer, subject;
  std::string id_token, access_token, refresh_token;  // may be empty
  absl::Time access_token_expires_at = absl::InfiniteFuture();  // InfiniteFuture: unknown
  absl::Time created, last_seen;
  // The ID token's claims, a JSON object text, for the rules and the headers
  // sent upstream; empty is written as {}.
  std::string claims_json;
};

// SerializeSession returns the compact JSON record of `session`.
std::string SerializeSession(const Session& session);

// ParseSession reads a record written by SerializeSession, or returns
// InvalidArgument saying which member is wrong (never its value).
absl::StatusOr<Session> ParseSession(std::string_view json);

// NewSessionId returns 128 random bits from `random`, base64url (22
// characters); fails (Unavailable) when the generator does.
absl::StatusOr<std::string> NewSessionId(const RandomSource& random = RandomSource::System());

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_SESSION_H_
