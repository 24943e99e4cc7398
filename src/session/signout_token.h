// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// signout_token.h: the token that lets a cross-site request sign a session
// out: an HMAC over the session id, so only the page authgate served to
// that session's browser can carry it.
//
//   std::string token = SignOutToken(keys, session.id);  // into the confirmation form
//   ...
//   if (VerifySignOutToken(keys, session.id, token_from_the_query)) SignOut();
//
// A link on another site cannot log a user out: it cannot know the token,
// which is HMAC-SHA256 under the current signing key (cookie_keys.h) over
// the length-prefixed domain tag "authgate-signout-v1" and the session id
// (the tag keeps it apart from every signed and sealed value), written as
// base64url. Verification accepts any key (rotation) and compares in
// constant time.

#ifndef AUTHGATE_SRC_SESSION_SIGNOUT_TOKEN_H_
#define AUTHGATE_SRC_SESSION_SIGNOUT_TOKEN_H_

#include <string>
#include <string_view>

#include "session/cookie_keys.h"

namespace authgate {

// SignOutToken returns the token of the session `session_id`; empty only
// when OpenSSL fails (an empty token never verifies).
std::string SignOutToken(const CookieKeys& keys, std::string_view session_id);

// VerifySignOutToken tells whether `token` is the token of `session_id`
// under one of `keys`.
bool VerifySignOutToken(const CookieKeys& keys, std::string_view session_id,
                        std::string_view token);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_SIGNOUT_TOKEN_H_
