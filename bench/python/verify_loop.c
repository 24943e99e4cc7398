/* verify_loop.c: the C-level cost of authgate_verifier_verify() on one token,
 * for bench_verify.py to subtract from the binding's cost per call.
 *
 *   verify_loop CONFIG_FILE TOKEN_FILE SECONDS
 *
 * Verifies the token in a loop for about SECONDS (with a result, freed each
 * time, as the binding does) and prints "<nanoseconds per call> <calls>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <authgate/authgate.h>

static char *slurp(const char *path, size_t *len) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *data = malloc((size_t)size + 1);
  if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size) {
    fclose(file);
    free(data);
    return NULL;
  }
  fclose(file);
  data[size] = '\0';
  *len = (size_t)size;
  return data;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: verify_loop CONFIG_FILE TOKEN_FILE SECONDS\n");
    return 2;
  }
  size_t config_len = 0, token_len = 0;
  char *config = slurp(argv[1], &config_len);
  char *token = slurp(argv[2], &token_len);
  if (config == NULL || token == NULL) {
    fprintf(stderr, "verify_loop: cannot read the inputs\n");
    return 2;
  }
  authgate_verifier *verifier = NULL;
  authgate_error *error = NULL;
  if (authgate_verifier_new(&verifier, config, config_len, &error) != AUTHGATE_OK) {
    fprintf(stderr, "verify_loop: %s\n", authgate_error_message(error));
    return 1;
  }
  double seconds = atof(argv[3]);
  long calls = 0;
  double start = now_seconds(), elapsed = 0;
  do {
    for (int i = 0; i < 200; ++i) {
      authgate_result *result = NULL;
      if (authgate_verifier_verify(&result, verifier, token, token_len, &error) != AUTHGATE_OK) {
        fprintf(stderr, "verify_loop: %s\n", authgate_error_message(error));
        return 1;
      }
      authgate_result_free(result);
    }
    calls += 200;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  printf("%.1f %ld\n", elapsed * 1e9 / (double)calls, calls);
  authgate_verifier_free(verifier);
  free(config);
  free(token);
  return 0;
}
