// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// authgate check-config: validate the sidecar's YAML configuration without
// serving. The engine is built from it exactly as `serve` builds it, so
// every key and value is checked by the same code; warnings are printed.

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "authgate/authgate.h"
#include "cli.h"
#include "yaml_config.h"

namespace authgate_cli {

int LoadSidecar(const std::string& path, SidecarConfig* config, authgate_engine** engine) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::cerr << "error: cannot read " << path << "\n";
    return kExitUsage;
  }
  std::stringstream text;
  text << file.rdbuf();
  std::string error;
  if (!LoadSidecarConfig(text.str(), config, &error)) {
    std::cerr << "error: " << path << ": " << error << "\n";
    return kExitRejected;
  }
  authgate_error* engine_error = nullptr;
  if (authgate_engine_new(engine, config->engine_json.data(), config->engine_json.size(),
                          &engine_error) != AUTHGATE_OK) {
    std::cerr << "error: " << path << ": " << authgate_error_message(engine_error) << "\n";
    authgate_error_free(engine_error);
    return kExitRejected;
  }
  return kExitValid;
}

int RunCheckConfig(const std::vector<std::string>& args) {
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      path = args[i].substr(9);
    } else if (path.empty() && !args[i].empty() && args[i][0] != '-') {
      path = args[i];
    } else {
      std::cerr << "usage: authgate check-config FILE (or --config FILE)\n";
      return kExitUsage;
    }
  }
  if (path.empty()) {
    std::cerr << "usage: authgate check-config FILE (or --config FILE)\n";
    return kExitUsage;
  }
  SidecarConfig config;
  authgate_engine* engine = nullptr;
  if (int status = LoadSidecar(path, &config, &engine); status != kExitValid) return status;
  for (size_t i = 0; i < authgate_engine_warning_count(engine); ++i) {
    std::cerr << "warning: " << authgate_engine_warning(engine, i) << "\n";
  }
  authgate_engine_free(engine);
  std::cout << path << ": configuration OK\n";
  return kExitValid;
}

}  // namespace authgate_cli
