// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// query_string.h: reading the query of a request target
// (application/x-www-form-urlencoded, as browsers and providers write it).
//
//   for (const auto& [name, value] : ParseQueryString("code=a%2Fb&state=x+y")) ...
//   // ("code", "a/b"), ("state", "x y")
//
// Decoding never fails: an invalid escape is kept literally, as browsers do.

#ifndef AUTHGATE_SRC_NET_QUERY_STRING_H_
#define AUTHGATE_SRC_NET_QUERY_STRING_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authgate {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// FormDecode percent-decodes `text`, turning '+' into a space.
std::string FormDecode(std::string_view text);

// ParseQueryString splits `query` (without '?') on '&' and decodes each
// name and value; empty pairs are skipped.
QueryParams ParseQueryString(std::string_view query);

// RemoveQueryParams returns `query` without the pairs whose decoded name is
// `name`, other pairs kept byte for byte.
std::string RemoveQueryParams(std::string_view query, std::string_view name);

}  // namespace authgate

#endif  // AUTHGATE_SRC_NET_QUERY_STRING_H_
