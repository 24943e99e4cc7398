// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// cli.h: the subcommands of the authgate binary. Each takes the arguments
// after its name and returns the process exit code.

#ifndef AUTHGATE_PROXY_CLI_H_
#define AUTHGATE_PROXY_CLI_H_

#include <string>
#include <vector>

#include "authgate/authgate.h"
#include "yaml_config.h"

namespace authgate_cli {

// Exit codes shared by the subcommands.
inline constexpr int kExitValid = 0;
inline constexpr int kExitRejected = 1;
inline constexpr int kExitUsage = 2;

int RunVerify(const std::vector<std::string>& args);
int RunInspect(const std::vector<std::string>& args);
// RunCheckConfig validates a sidecar YAML configuration: 0 valid, 1
// invalid (the message names the key), 2 usage or unreadable file.
int RunCheckConfig(const std::vector<std::string>& args);
// LoadSidecar reads the sidecar's YAML file at `path` into *config and
// builds the engine from it (*engine, owned by the caller). Errors go to
// stderr as "error: FILE: ..."; returns kExitValid, kExitRejected for an
// invalid configuration or kExitUsage for an unreadable file.
int LoadSidecar(const std::string& path, SidecarConfig* config, authgate_engine** engine);
// RunServe runs the sidecar until SIGTERM or SIGINT: 0 after a graceful
// shutdown, 1 for an invalid configuration or a listener that cannot be
// set up, 2 for usage errors.
int RunServe(const std::vector<std::string>& args);

// ReadTokenFromStdin reads all of standard input and strips one trailing LF
// or CRLF (and nothing else).
std::string ReadTokenFromStdin();

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_CLI_H_
