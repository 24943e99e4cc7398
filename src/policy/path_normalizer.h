// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// path_normalizer.h: the one canonical form of a request path, on which the
// route rules match and which the engine forwards upstream unchanged.
//
//   absl::StatusOr<std::string> path = NormalizePath(request.Path());
//   if (!path.ok()) return Rejection{Reason::kInvalidPath, ...};  // answer 400
//   const RouteRule* rule = table.Match(request.method, request.authority, *path);
//
// Why one canonical form: a rule decides on the path authgate sees, the
// application serves the path it sees; any difference between the two
// ("/public/../admin", "/%61dmin", "/admin/", "//admin") is an access-control
// bypass. So the path is decoded once, dot segments are resolved here, and the
// upstream receives exactly the path the rules were matched against.
//
// The steps, in order:
//  1. The path must start with '/'. Refused (InvalidArgument): a raw '\',
//     '#', space, control character (< 0x20, 0x7F) or byte >= 0x80; an
//     invalid escape ("%", "%4", "%zz"); an encoded '/', '\' or NUL (%2F, %5C,
//     %00 in any case), which upstreams disagree on.
//  2. Escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded;
//     every other escape is kept, its hex digits uppercased. Decoding happens
//     once: "%252e" stays "%252e" and never becomes ".".
//  3. Repeated slashes are merged, then "." and ".." segments are resolved
//     (RFC 3986 5.2.4): a trailing "/." or "/.." leaves a trailing '/'; a ".."
//     above the root is refused rather than clamped.
//  4. A dot segment with path parameters (".;x", "..;x") is refused: servlet
//     containers strip the parameters and resolve it, we would not.
// Trailing slashes and trailing dots inside a segment are kept: "/a/" and
// "/a." are paths of their own.

#ifndef AUTHGATE_SRC_POLICY_PATH_NORMALIZER_H_
#define AUTHGATE_SRC_POLICY_PATH_NORMALIZER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace authgate {

// NormalizePath returns the canonical form of `raw_path` (the request target
// up to '?', undecoded), or InvalidArgument saying what is wrong (the message
// names a byte offset, never quotes the path).
absl::StatusOr<std::string> NormalizePath(std::string_view raw_path);

// PathForMatching returns `normalized_path` with the parameters of every
// segment removed ("/admin;jsessionid=1/x" -> "/admin/x") and the slashes
// that leaves repeated merged ("/;x/admin" -> "/admin"): what the rules
// match on. Servlet containers serve "/admin;x" as "/admin", so a rule for
// "/admin" must apply to it; the upstream still receives the path with its
// parameters.
std::string PathForMatching(std::string_view normalized_path);

}  // namespace authgate

#endif  // AUTHGATE_SRC_POLICY_PATH_NORMALIZER_H_
