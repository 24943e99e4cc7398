// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/session.h"

#include <cstdint>
#include <utility>


#include "jose/base64url.h"
#include "jose/json.h"
#include "text.h"

namespace authgate {
namespace {

// 9999-12-31T23:59:59Z, as for JWT NumericDates.
constexpr int64_t kMaxUnixSeconds = 253402300799;
// A record never exceeds what a session cookie can carry (sealed_value.h).
constexpr size_t kMaxRecordSize = 64 * 1024;

void AppendMember(std::string_view name, std::string_view raw_value, std::string* out) {
  if (out->size() > 1) out->push_back(',');
  JsonQuote(name, out);
  out->push_back(':');
  out->append(raw_value);
}

void AppendString(std::string_view name, std::string_view value, std::string* out) {
  std::string quoted;
  JsonQuote(value, &quoted);
  AppendMember(name, quoted, out);
}

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(ToAbsl(StrCat("session record: ", why)));
}

absl::Status ReadString(JsonValue value, std::string_view name, std::string* out) {
  if (!value.valid()) return Invalid(StrCat("missing \"", name, "\""));
  if (!value.is_string()) return Invalid(StrCat("\"", name, "\" must be a string"));
  *out = std::string(value.string());
  return absl::OkStatus();
}

absl::Status ReadTime(JsonValue value, std::string_view name, bool nullable, absl::Time* out) {
  if (!value.valid()) return Invalid(StrCat("missing \"", name, "\""));
  if (nullable && value.is_null()) {
    *out = absl::InfiniteFuture();
    return absl::OkStatus();
  }
  int64_t seconds = 0;
  if (!value.GetInt64(&seconds) || seconds < 0 || seconds > kMaxUnixSeconds) {
    return Invalid(StrCat("\"", name, "\" must be an integer number of seconds from 0 to ",
                          kMaxUnixSeconds, nullable ? ", or null" : ""));
  }
  *out = absl::FromUnixSeconds(seconds);
  return absl::OkStatus();
}

}  // namespace

std::string SerializeSession(const Session& session) {
  std::string out = "{";
  AppendString("id", session.id, &out);
  AppendString("iss", session.issuer, &out);
  AppendString("sub", session.subject, &out);
  AppendString("id_token", session.id_token, &out);
  AppendString("access_token", session.access_token, &out);
  AppendString("refresh_token", session.refresh_token, &out);
  AppendMember("access_token_expires_at",
               session.access_token_expires_at == absl::InfiniteFuture()
                   ? std::string("null")
                   : StrCat(absl::ToUnixSeconds(session.access_token_expires_at)),
               &out);
  AppendMember("created", StrCat(absl::ToUnixSeconds(session.created)), &out);
  AppendMember("last_seen", StrCat(absl::ToUnixSeconds(session.last_seen)), &out);
  AppendMember("claims", session.claims_json.empty() ? "{}" : session.claims_json, &out);
  out.push_back('}');
  return out;
}

absl::StatusOr<Session> ParseSession(std::string_view json) {
  JsonDocument doc;
  JsonLimits limits;
  limits.max_size = kMaxRecordSize;
  if (absl::Status s = doc.Parse(json, limits); !s.ok()) {
    return Invalid(FromAbsl(s.message()));
  }
  JsonValue root = doc.root();
  if (!root.is_object()) return Invalid("not a JSON object");
  Session session;
  const std::pair<std::string_view, std::string*> strings[] = {
      {"id", &session.id},
      {"iss", &session.issuer},
      {"sub", &session.subject},
      {"id_token", &session.id_token},
      {"access_token", &session.access_token},
      {"refresh_token", &session.refresh_token}};
  for (const auto& [name, out] : strings) {
    if (absl::Status s = ReadString(root.Find(name), name, out); !s.ok()) return s;
  }
  struct TimeMember {
    std::string_view name;
    bool nullable;
    absl::Time* out;
  };
  const TimeMember times[] = {
      {"access_token_expires_at", true, &session.access_token_expires_at},
      {"created", false, &session.created},
      {"last_seen", false, &session.last_seen}};
  for (const TimeMember& time : times) {
    if (absl::Status s = ReadTime(root.Find(time.name), time.name, time.nullable, time.out);
        !s.ok()) {
      return s;
    }
  }
  JsonValue claims = root.Find("claims");
  if (!claims.valid()) return Invalid("missing \"claims\"");
  if (!claims.is_object()) return Invalid("\"claims\" must be an object");
  // Member names are unique (the parser checks), and each known one was
  // found: any further member is unknown.
  constexpr size_t kMemberCount = 10;
  if (root.size() != kMemberCount) return Invalid("unknown member");
  session.claims_json = std::string(claims.raw_text());
  return session;
}

absl::StatusOr<std::string> NewSessionId(const RandomSource& random) {
  unsigned char bytes[16];
  if (absl::Status s = random.Fill(bytes, sizeof(bytes)); !s.ok()) return s;
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace authgate
