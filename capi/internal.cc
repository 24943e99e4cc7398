// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "internal.h"

namespace authgate::capi {

authgate_error kOutOfMemory{AUTHGATE_OUT_OF_MEMORY, AUTHGATE_REASON_NONE, "out of memory", true};

}  // namespace authgate::capi
