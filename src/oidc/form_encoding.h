// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// form_encoding.h: application/x-www-form-urlencoded text, as the OAuth 2.0
// requests of the login flow need it (authorization and logout URLs, token
// request bodies, the client_secret_basic credentials).
//
//   std::string query;
//   AppendFormParam(&query, "scope", "openid email");   // "scope=openid+email"
//   std::string url = WithQuery("https://idp.example/authorize?tenant=a", query);
//   // "https://idp.example/authorize?tenant=a&scope=openid+email"

#ifndef AUTHGATE_SRC_OIDC_FORM_ENCODING_H_
#define AUTHGATE_SRC_OIDC_FORM_ENCODING_H_

#include <string>
#include <string_view>

namespace authgate {

// FormUrlEncode keeps the RFC 3986 unreserved characters (ALPHA, DIGIT,
// '-', '.', '_', '~'), writes a space as '+' and every other byte as %XX
// (uppercase hex).
std::string FormUrlEncode(std::string_view value);

// AppendFormParam appends "name=value", both encoded, to *out, after a '&'
// unless *out is empty.
void AppendFormParam(std::string* out, std::string_view name, std::string_view value);

// WithQuery returns `url` with the encoded `query` appended: after '?', or
// after '&' when the URL already has a query (kept as it is).
std::string WithQuery(std::string_view url, std::string_view query);

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_FORM_ENCODING_H_
