// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// fuzz_check.h: the invariants of the fuzz targets.
//
//   FUZZ_CHECK(key->algorithms().contains(alg));
//
// A failed check prints the condition and where it is, then aborts: libFuzzer
// reports that as a crash and saves the input as the reproducer. Unlike
// assert(), it is never compiled out.

#ifndef AUTHGATE_TESTS_FUZZ_FUZZ_CHECK_H_
#define AUTHGATE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                          \
  do {                                                                                 \
    if (!(condition)) {                                                                \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

#endif  // AUTHGATE_TESTS_FUZZ_FUZZ_CHECK_H_
