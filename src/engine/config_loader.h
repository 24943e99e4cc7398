// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// config_loader.h: resolution of the references a configuration document may
// hold in any string value, done once by the core for every host (the
// sidecar, C, Python and Go callers all get the same behaviour):
//
//   ${NAME}          the environment variable NAME; unset is an error naming it
//   ${file:/path}    the content of a file (a secret mounted by the platform),
//                    without one trailing newline
//   $${              a literal "${"
//
//   absl::StatusOr<std::string> resolved = ResolveConfigReferences(text, SystemEnvironment());
//   // "oidc.client_secret: environment variable AUTHGATE_CLIENT_SECRET is not set"
//
// Member names are never resolved, only string values. Errors name the key
// by its path and the variable or file, never a value: resolved strings are
// usually secrets.

#ifndef AUTHGATE_SRC_ENGINE_CONFIG_LOADER_H_
#define AUTHGATE_SRC_ENGINE_CONFIG_LOADER_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace authgate {

// Environment returns the value of a variable, or nullopt when it is unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// SystemEnvironment reads the process environment (getenv).
Environment SystemEnvironment();

// ResolveConfigReferences parses `json` strictly and returns it as JSON text
// with every reference resolved. Fails (InvalidArgument) on invalid JSON, an
// unset variable, an unreadable or oversized (over 1 MiB) file, a reference
// that is not closed, or an invalid variable name.
absl::StatusOr<std::string> ResolveConfigReferences(std::string_view json,
                                                    const Environment& environment);

}  // namespace authgate

#endif  // AUTHGATE_SRC_ENGINE_CONFIG_LOADER_H_
