// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// internal.h: what the C ABI's translation units share: the error object
// and the helpers that turn core results and exceptions into statuses.
// Never installed; never included outside capi/.

#ifndef AUTHGATE_CAPI_INTERNAL_H_
#define AUTHGATE_CAPI_INTERNAL_H_

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "authgate/authgate.h"

struct authgate_error {
  authgate_status status;
  authgate_reason reason;
  std::string message;
  bool is_static;  // the preallocated out-of-memory error is never freed
};

namespace authgate::capi {

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
