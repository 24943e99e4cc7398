// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// yaml_config.h: the sidecar's YAML configuration turned into the engine's
// JSON document (docs/config.md), and the sidecar's own keys taken out.
//
//   SidecarConfig config;
//   std::string error;
//   if (!LoadSidecarConfig(yaml_text, &config, &error)) Fail(error);
//   authgate_engine_new(&engine, config.engine_json.data(), config.engine_json.size(), &e);
//
// YAML to JSON: mappings become objects, sequences arrays. A plain scalar
// is `true`/`false`, `null`/`~`/empty, a number when it is written as a JSON
// number, and a string otherwise; a quoted scalar is always a string. A
// mapping key must be a scalar, except in `claims`, whose keys may be a list
// of path segments (for claim names containing dots); such a `claims` map
// becomes the list form `[{"claim": [...], "contains": ...}]`. Anchors and
// aliases are expanded by the parser; tags other than the standard ones are
// refused.

#ifndef AUTHGATE_PROXY_YAML_CONFIG_H_
#define AUTHGATE_PROXY_YAML_CONFIG_H_

#include <string>
#include <string_view>

#include "server_settings.h"

namespace authgate_cli {

struct SidecarConfig {
  ServerSettings server;  // listen, upstream, admin and `server`
  std::string engine_json;
};

// LoadSidecarConfig parses `yaml`; on failure returns false with *error
// naming the line (YAML syntax) or the key. The sidecar's own keys are
// checked here, the engine's by authgate_engine_new().
bool LoadSidecarConfig(std::string_view yaml, SidecarConfig* out, std::string* error);

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_YAML_CONFIG_H_
