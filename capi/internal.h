// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// internal.h: what the C ABI's translation units share: the error object
// and the helpers that turn core results and exceptions into statuses.
// Never installed; never included outside capi/.

#ifndef AUTHGATE_CAPI_INTERNAL_H_
#define AUTHGATE_CAPI_INTERNAL_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "authgate/authgate.h"

struct authgate_error {
  authgate_status status;
  authgate_reason reason;
  std::string message;
  bool is_static;  // the preallocated out-of-memory error is never freed
};

namespace authgate {
struct Decision;
}  // namespace authgate

namespace authgate::capi {

// new_decision allocates the decision an engine callback receives; null
// when memory runs out (the callback then gets AUTHGATE_OUT_OF_MEMORY). A
// variable only so that a test can make that allocation fail; hidden like
// every symbol not named authgate_*.
extern authgate_decision* (*new_decision)(authgate::Decision&& decision);

// The preallocated error for when even an error cannot be allocated.
extern authgate_error kOutOfMemory;

inline authgate_status Fail(authgate_error** error, authgate_status status,
                            std::string_view message,
                            authgate_reason reason = AUTHGATE_REASON_NONE) {
  if (error != nullptr) {
    auto* e = new (std::nothrow) authgate_error{status, reason, std::string(), false};
    if (e == nullptr) {
      *error = &kOutOfMemory;
      return status;
    }
    try {
      e->message.assign(message.data(), message.size());
    } catch (...) {
      delete e;
      *error = &kOutOfMemory;
      return status;
    }
    *error = e;
  }
  return status;
}

inline authgate_status Ok(authgate_error** error) {
  if (error != nullptr) *error = nullptr;
  return AUTHGATE_OK;
}

// Runs `body`, turning escaping exceptions into statuses.
template <typename Body>
authgate_status Guard(authgate_error** error, Body body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    if (error != nullptr) *error = &kOutOfMemory;
    return AUTHGATE_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    return Fail(error, AUTHGATE_INTERNAL, e.what());
  } catch (...) {
    return Fail(error, AUTHGATE_INTERNAL, "unknown exception");
  }
}

// The names of AUTHGATE_COUNTERS_ENGINE and AUTHGATE_COUNTERS_VERIFIER, in
// the order authgate_engine_counters() and authgate_verifier_counters() write
// them. Only ever appended to.
inline constexpr const char* kEngineCounterNames[] = {
    "logins_started",       "logins_completed",    "logins_failed",
    "refreshes",            "refresh_failures",    "jwks_fetch_successes",
    "jwks_fetch_failures",  "token_cache_hits",    "token_cache_misses"};
inline constexpr const char* kVerifierCounterNames[] = {
    "keys",                "jwks_fetch_successes", "jwks_fetch_failures",
    "token_cache_entries", "token_cache_hits",     "token_cache_misses"};

// CopyCounters writes the first `capacity` of `values` to `out` and their
// number to *out_count, as the counter calls promise.
inline void CopyCounters(const std::vector<uint64_t>& values, uint64_t* out, size_t capacity,
                         size_t* out_count) {
  for (size_t i = 0; i < values.size() && i < capacity; ++i) out[i] = values[i];
  *out_count = values.size();
}

// EnumValue reads an enum argument as its underlying integer. A C caller may
// pass any int for an enum parameter, and loading a value outside the C++
// enum's range as the enum type is undefined behaviour (UBSan's -fsanitize=enum
// reports it), so the bytes are copied, never loaded as the enum.
template <typename Enum>
std::underlying_type_t<Enum> EnumValue(const Enum& value) {
  std::underlying_type_t<Enum> raw;
  static_assert(sizeof raw == sizeof value);
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

// CopyOut returns a NUL-terminated malloc copy, freed by authgate_string_free.
inline char* CopyOut(std::string_view text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) return nullptr;
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

}  // namespace authgate::capi

#endif  // AUTHGATE_CAPI_INTERNAL_H_
