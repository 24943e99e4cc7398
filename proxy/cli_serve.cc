// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// authgate serve: the sidecar. Reads the YAML configuration, builds the
// engine through the C ABI, and hands both to the HTTP server.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "authgate/authgate.h"
#include "cli.h"
#include "http_server.h"
#include "log.h"
#include "yaml_config.h"

namespace authgate_cli {

int RunServe(const std::vector<std::string>& args) {
  static constexpr char kUsage[] =
      "usage: authgate serve --config FILE [--log-level debug|info|warn|error]\n";
  std::string path;
  LogLevel level = LogLevel::kInfo;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value;
    auto option = [&](const char* name) {
      std::string prefix = std::string(name) + "=";
      if (args[i] == name && i + 1 < args.size()) {
        value = args[++i];
        return true;
      }
      if (args[i].rfind(prefix, 0) == 0) {
        value = args[i].substr(prefix.size());
        return true;
      }
      return false;
    };
    if (option("--config")) {
      path = value;
    } else if (option("--log-level")) {
      if (!ParseLogLevel(value, &level)) {
        std::cerr << "error: --log-level must be debug, info, warn or error\n" << kUsage;
        return kExitUsage;
      }
    } else {
      std::cerr << kUsage;
      return kExitUsage;
    }
  }
  if (path.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  SidecarConfig config;
  authgate_engine* engine = nullptr;
  if (int status = LoadSidecar(path, &config, &engine); status != kExitValid) return status;
  Logger logger(level);
  for (size_t i = 0; i < authgate_engine_warning_count(engine); ++i) {
    logger.Log(LogLevel::kWarn, authgate_engine_warning(engine, i));
  }
  logger.Log(LogLevel::kInfo, "starting",
             {{"version", authgate_version()}, {"config", path}});
  std::unique_ptr<AccessLog> access_log;
  if (config.server.access_log) access_log = std::make_unique<AccessLog>();
  return RunServer(config.server, engine, &logger, access_log.get());
}

}  // namespace authgate_cli
