// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// authgate inspect: shows what a token claims, marked as unverified.

#include <iostream>
#include <string>
#include <vector>

#include "authgate/authgate.hpp"
#include "cli.h"

namespace authgate_cli {

int RunInspect(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    std::cerr << "usage: authgate inspect [TOKEN|-]\n";
    return kExitUsage;
  }
  std::string token = args.empty() || args[0] == "-" ? ReadTokenFromStdin() : args[0];
  authgate::api::DecodedToken decoded;
  authgate::api::Verdict verdict = authgate::api::DecodeUnverified(token, &decoded);
  if (!verdict.ok()) {
    std::cerr << "error: " << authgate_reason_name(verdict.reason) << ": " << verdict.message
              << "\n";
    return kExitRejected;
  }
  std::cout << "NOT VERIFIED: nothing below has been checked (signature, issuer, expiry).\n"
            << "header:  " << decoded.header << "\n"
            << "payload: " << decoded.payload << "\n";
  return kExitValid;
}

}  // namespace authgate_cli
