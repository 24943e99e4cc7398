// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// authgate: the command-line entry point. Subcommands: serve, verify,
// inspect, check-config.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "authgate/authgate.h"
#include "cli.h"

namespace authgate_cli {
namespace {

constexpr char kUsage[] =
    "usage: authgate <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve --config FILE [--log-level debug|info|warn|error]\n"
    "      Run the sidecar (docs/config.md \"sidecar\"): protect the upstream,\n"
    "      until SIGTERM or SIGINT. Access log on stdout, diagnostics on stderr.\n"
    "  verify (--jwks FILE | --jwks-uri URL | --issuer ISS --discover)\n"
    "         [--issuer ISS]... [--audience AUD]... [--alg ALG]... [--leeway SECONDS]\n"
    "         [--now EPOCH] [--typ TYP] [--timeout SECONDS] [TOKEN|-]\n"
    "      Verify a JWT. Valid: the payload on stdout, exit 0. Rejected:\n"
    "      'error: <reason>: <detail>' on stderr, exit 1. Usage errors: exit 2.\n"
    "  check-config FILE | --config FILE\n"
    "      Validate a sidecar YAML configuration without serving: exit 0 when\n"
    "      valid (warnings on stderr), 1 with 'error: FILE: <key>: <why>'.\n"
    "  inspect [TOKEN|-]\n"
    "      Decode a JWT's header and payload WITHOUT verifying anything.\n"
    "  version\n"
    "      Print the version.\n";

}  // namespace
}  // namespace authgate_cli

int main(int argc, char** argv) {
  using namespace authgate_cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  std::string command = args.front();
  args.erase(args.begin());
  if (command == "serve") return RunServe(args);
  if (command == "verify") return RunVerify(args);
  if (command == "inspect") return RunInspect(args);
  if (command == "check-config") return RunCheckConfig(args);
  if (command == "version" || command == "--version") {
    std::cout << "authgate " << authgate_version() << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "authgate: unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}
