// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// redirect_target.h: the open-redirect guard. Where the browser returns to
// after the login comes from the request (the page first asked for), so it
// is attacker-controlled: only a path on our own origin may come out.
//
//   FlowState flow = client.NewFlow(
//       SafeReturnTarget(request.target).value_or("/"), now);
//
// Accepted: an origin-form target, "/" then a path and an optional query,
// in printable ASCII. Refused: anything else, and every form that a browser
// or a server on the way may turn into another origin: "//evil",
// "/\evil", "/\t/evil" (browsers drop tabs and newlines), the same with
// the slashes or backslashes percent-encoded once or several times, control
// characters raw or percent-encoded, backslashes anywhere, dot segments,
// fullwidth and other slash look-alikes after the first '/', fragments,
// and targets longer than 4096 bytes.

#ifndef AUTHGATE_SRC_OIDC_REDIRECT_TARGET_H_
#define AUTHGATE_SRC_OIDC_REDIRECT_TARGET_H_

#include <optional>
#include <string>
#include <string_view>

namespace authgate {

// SafeReturnTarget returns `target` unchanged when it is a safe same-origin
// path (see above), else nullopt (callers then use "/").
std::optional<std::string> SafeReturnTarget(std::string_view target);

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_REDIRECT_TARGET_H_
