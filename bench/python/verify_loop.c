/* verify_loop.c: the C-level cost of authgate_verifier_verify() on one token,
 * loaded by bench_verify.py into its own process so that the C loop and the
 * Python loop run on the same verifier, the same token and the same
 * machine state, in alternating rounds.
 *
 * verify_loop_ns verifies `token` `calls` times (with a result, freed each
 * time, as the binding does) and returns the nanoseconds per call, or -1
 * when a verification fails. */
#include <stddef.h>
#include <time.h>

#include <authgate/authgate.h>

double verify_loop_ns(authgate_verifier *verifier, const char *token, size_t token_len,
                      long calls) {
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < calls; ++i) {
    authgate_result *result = NULL;
    if (authgate_verifier_verify(&result, verifier, token, token_len, NULL) != AUTHGATE_OK) {
      return -1;
    }
    authgate_result_free(result);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double elapsed = (double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec);
  return elapsed / (double)calls;
}
