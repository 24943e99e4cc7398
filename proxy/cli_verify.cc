// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// authgate verify: one token against a key file, with the verdict as the exit
// code. The command builds a verifier configuration document from its flags
// and uses the C ABI like any other host.

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "authgate/authgate.hpp"
#include "cli.h"
#include "json_text.h"

namespace authgate_cli {
namespace {

struct VerifyArgs {
  std::string jwks_file;
  std::string jwks_uri;
  bool discover = false;
  int64_t timeout_seconds = 10;
  std::vector<std::string> issuers;
  std::vector<std::string> audiences;
  std::vector<std::string> algorithms;
  std::optional<int64_t> leeway;
  std::optional<int64_t> now;
  std::optional<std::string> typ;
  std::optional<std::string> token;  // nullopt or "-": standard input
};

int Usage(const std::string& message) {
  std::cerr << "authgate verify: " << message << "\n"
            << "usage: authgate verify (--jwks FILE | --jwks-uri URL | --issuer ISS --discover)\n"
               "         [--issuer ISS]... [--audience AUD]... [--alg ALG]... [--leeway SECONDS]\n"
               "         [--now EPOCH] [--typ TYP] [--timeout SECONDS] [TOKEN|-]\n";
  return kExitUsage;
}

bool ParseInteger(const std::string& text, int64_t min, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < min) return false;
  *out = value;
  return true;
}

// Parses the arguments; returns an error message, or "" on success.
std::string ParseArgs(const std::vector<std::string>& args, VerifyArgs* out) {
  bool options_done = false;
  bool have_jwks = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!options_done && arg.size() > 1 && arg[0] == '-' && arg[1] != '-') {
      return "unknown option " + arg;
    }
    if (options_done || arg == "-" || arg.rfind("--", 0) != 0) {
      if (out->token) return "more than one TOKEN given";
      out->token = arg;
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--discover") {
      out->discover = true;
      continue;
    }
    std::string name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) return name + " needs a value";
      value = args[++i];
    }
    if (name == "--jwks") {
      out->jwks_file = value;
      have_jwks = true;
    } else if (name == "--jwks-uri") {
      out->jwks_uri = value;
    } else if (name == "--timeout") {
      if (!ParseInteger(value, 1, &out->timeout_seconds) || out->timeout_seconds > 3600) {
        return "--timeout needs a whole number of seconds from 1 to 3600";
      }
    } else if (name == "--issuer") {
      out->issuers.push_back(value);
    } else if (name == "--audience") {
      out->audiences.push_back(value);
    } else if (name == "--alg") {
      out->algorithms.push_back(value);
    } else if (name == "--typ") {
      out->typ = value;
    } else if (name == "--leeway") {
      int64_t seconds = 0;
      if (!ParseInteger(value, 0, &seconds)) return "--leeway needs a whole number of seconds";
      out->leeway = seconds;
    } else if (name == "--now") {
      int64_t epoch = 0;
      if (!ParseInteger(value, 0, &epoch)) return "--now needs Unix seconds";
      out->now = epoch;
    } else {
      return "unknown option " + name;
    }
  }
  int sources = have_jwks + !out->jwks_uri.empty() + out->discover;
  if (sources != 1) return "give exactly one of --jwks FILE, --jwks-uri URL, --discover";
  if (out->discover && out->issuers.size() != 1) {
    return "--discover needs exactly one --issuer";
  }
  return "";
}

void AppendList(std::string* json, const char* key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  *json += std::string(",\"") + key + "\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) *json += ",";
    *json += JsonString(values[i]);
  }
  *json += "]";
}

std::string BuildConfig(const VerifyArgs& args, const std::string& keys) {
  std::string json;
  if (!args.jwks_uri.empty()) {
    json = "{\"jwks_uri\":" + JsonString(args.jwks_uri);
  } else if (args.discover) {
    json = "{\"discovery\":" + JsonString(args.issuers[0]);
  } else {
    json = "{\"jwks\":" + JsonString(keys);
  }
  json += ",\"http\":{\"timeout\":\"" + std::to_string(args.timeout_seconds) + "s\"}";
  AppendList(&json, "issuers", args.issuers);
  AppendList(&json, "audiences", args.audiences);
  AppendList(&json, "algorithms", args.algorithms);
  if (args.leeway) json += ",\"clock_skew\":\"" + std::to_string(*args.leeway) + "s\"";
  if (args.typ) json += ",\"typ\":" + JsonString(*args.typ);
  return json + "}";
}

// Reads a whole regular file; false (errno set) for anything else.
bool ReadFile(const std::string& path, std::string* out) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out->append(buffer, n);
  bool failed = std::ferror(file) != 0;
  int saved = errno;
  std::fclose(file);
  errno = saved;
  return !failed;
}

// The configuration document is built from flags: name the flag (or the
// key file) in errors rather than the document's keys.
std::string DescribeConfigError(std::string message, const std::string& jwks_file) {
  const std::pair<const char*, std::string> prefixes[] = {
      {"jwks: ", jwks_file + ": "},  {"jwks_uri: ", "--jwks-uri: "},
      {"discovery: ", "--issuer: "}, {"clock_skew: ", "--leeway: "},
      {"algorithms: ", "--alg: "},   {"typ: ", "--typ: "},
      {"issuers: ", "--issuer: "},   {"audiences: ", "--audience: "}};
  for (const auto& [key, flag] : prefixes) {
    if (message.rfind(key, 0) == 0) return flag + message.substr(std::string(key).size());
  }
  return jwks_file.empty() ? message : jwks_file + ": " + message;
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  VerifyArgs parsed;
  std::string problem = ParseArgs(args, &parsed);
  if (!problem.empty()) return Usage(problem);

  std::string keys;
  if (!parsed.jwks_file.empty() && !ReadFile(parsed.jwks_file, &keys)) {
    std::cerr << "authgate verify: cannot read " << parsed.jwks_file << ": "
              << std::strerror(errno) << "\n";
    return kExitUsage;
  }

  std::optional<authgate::api::Verifier> verifier;
  try {
    verifier = authgate::api::Verifier::Create(BuildConfig(parsed, keys));
  } catch (const authgate::api::Error& e) {
    std::cerr << "authgate verify: " << DescribeConfigError(e.what(), parsed.jwks_file) << "\n";
    return kExitUsage;
  }
  for (const std::string& warning : verifier->warnings()) {
    std::cerr << "warning: " << warning << "\n";
  }
  if (parsed.jwks_file.empty()) {
    authgate::api::Verdict ready =
        verifier->WaitReady(static_cast<uint32_t>(parsed.timeout_seconds * 1000));
    if (!ready.ok()) {
      std::cerr << "error: " << authgate_reason_name(AUTHGATE_REASON_JWKS_UNAVAILABLE) << ": "
                << ready.message << "\n";
      return kExitRejected;
    }
  }

  std::string token = !parsed.token || *parsed.token == "-" ? ReadTokenFromStdin() : *parsed.token;
  authgate::api::Verdict verdict = parsed.now ? verifier->VerifyAt(token, *parsed.now)
                                              : verifier->Verify(token);
  if (verdict.ok()) {
    std::cout << verdict.result.claims_json() << "\n";
    return kExitValid;
  }
  if (verdict.rejected()) {
    std::cerr << "error: " << authgate_reason_name(verdict.reason) << ": " << verdict.message
              << "\n";
    return kExitRejected;
  }
  std::cerr << "authgate verify: " << authgate_status_name(verdict.status) << ": "
            << verdict.message << "\n";
  return kExitUsage;
}

std::string ReadTokenFromStdin() {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (input.size() >= 2 && input.compare(input.size() - 2, 2, "\r\n") == 0) {
    input.resize(input.size() - 2);
  } else if (!input.empty() && input.back() == '\n') {
    input.pop_back();
  }
  return input;
}

}  // namespace authgate_cli
