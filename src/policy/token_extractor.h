// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// token_extractor.h: where a JWT provider's tokens are read from in a request
// (headers, query parameters, cookies), with Envoy jwt_authn's field names.
//
//   TokenLocations locations;
//   if (absl::Status s = ParseTokenLocations(&provider_config, &locations); !s.ok()) return s;
//   std::vector<ExtractedToken> tokens = ExtractTokens(request, {&locations});
//   if (tokens.size() > 1) return Rejection{Reason::kMultipleTokens, ...};
//
// Configuration, in a provider's object:
//   "from_headers": [{"name": "Authorization", "value_prefix": "Bearer "}],
//   "from_params": ["access_token"],
//   "from_cookies": ["api_token"]
// With none of the three keys, the token is read from `Authorization: Bearer`.
//
// Stricter than Envoy: a value prefix must begin the header value (Envoy finds
// it anywhere, so "Basic x, Bearer y" would yield y), and every occurrence is
// reported, so that the caller can refuse a request carrying two tokens
// instead of verifying one and letting the application read the other.
// Prefixes are compared ASCII case-insensitively: authentication schemes are
// (RFC 7235 2.1), and "bearer x" must not become a token-less request. When
// the prefix ends in a space, further spaces before the token are skipped
// (RFC 6750 2.1 allows several) and trailing whitespace is dropped.

#ifndef AUTHGATE_SRC_POLICY_TOKEN_EXTRACTOR_H_
#define AUTHGATE_SRC_POLICY_TOKEN_EXTRACTOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "config_object.h"
#include "engine/request.h"

namespace authgate {

struct TokenLocations {
  struct Header {
    std::string name;          // compared case-insensitively
    std::string value_prefix;  // "" takes the whole value
  };
  std::vector<Header> headers;
  std::vector<std::string> params;   // query parameter names, after percent-decoding
  std::vector<std::string> cookies;  // cookie names, case-sensitive
};

// ParseTokenLocations reads `from_headers`, `from_params` and `from_cookies`
// of a provider's configuration object (its other keys are the caller's to
// read, and to check with CheckAllKeysKnown). Given none, *out is the default
// Authorization header with prefix "Bearer ". Errors name the key, e.g.
// "providers.idp.from_headers[0].name: is required".
absl::Status ParseTokenLocations(ConfigObject* provider, TokenLocations* out);

struct ExtractedToken {
  enum class Where { kHeader, kParam, kCookie };
  std::string value;  // may be empty: a prefix without a token (an invalid token)
  Where where = Where::kHeader;
  std::string name;  // the header, parameter or cookie name, to strip it when forwarding
};

// ExtractTokens returns every token found in `request` at any of `locations`,
// headers first (in arrival order), then query parameters, then cookies.
// Identical locations of several providers are looked at once, and one header
// value yields at most one token (the longest matching prefix wins). A header
// with another scheme (Authorization: Basic ...) yields nothing; a query
// parameter is percent-decoded ('+' is kept: a JWT has none).
std::vector<ExtractedToken> ExtractTokens(const Request& request,
                                          const std::vector<const TokenLocations*>& locations);

}  // namespace authgate

#endif  // AUTHGATE_SRC_POLICY_TOKEN_EXTRACTOR_H_
