/* Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
 *
 * verify.c: check a JWT against the keys of a JWKS file with the authgate C
 * API, and print its claims. It uses nothing but <authgate/authgate.h>.
 *
 *   usage: verify JWKS_FILE TOKEN
 *
 *   $ verify tests/fixtures/example/jwks.json "$(cat tests/fixtures/example/token.jwt)"
 *   claims: {"iss":"https://idp.example","sub":"alice",...}
 *   subject: alice
 *
 * Exit status: 0 the token is valid, 1 it was rejected (the reason is
 * printed on stderr as "rejected: <reason>: <detail>"), 2 anything else
 * (usage, unreadable file, invalid configuration).
 *
 * Only the claims are checked that the configuration asks for; this one
 * sets nothing but the keys, so the signature, `exp`, `nbf` and `iat` are
 * checked, and `iss` and `aud` are not. See docs/config.md.
 */

#include <authgate/authgate.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* read_file returns the contents of `path` in a new malloc'd buffer (freed
 * by the caller) and their length in *out_len, or NULL on failure. */
static char *read_file(const char *path, size_t *out_len) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  size_t len = 0, cap = 4096;
  char *data = malloc(cap);
  while (data != NULL) {
    len += fread(data + len, 1, cap - len, file);
    if (len < cap) break; /* end of file or read error */
    char *bigger = realloc(data, cap * 2);
    if (bigger == NULL) {
      free(data);
      data = NULL;
      break;
    }
    data = bigger;
    cap *= 2;
  }
  if (data != NULL && ferror(file)) {
    free(data);
    data = NULL;
  }
  fclose(file);
  *out_len = len;
  return data;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s JWKS_FILE TOKEN\n", argv[0]);
    return 2;
  }

  /* The header and the library must agree: a program built against a newer
   * header may call what an older library lacks. */
  if (authgate_version_num() < AUTHGATE_VERSION_NUM) {
    fprintf(stderr, "error: libauthgate %s is older than its header\n", authgate_version());
    return 2;
  }

  size_t jwks_len = 0;
  char *jwks = read_file(argv[1], &jwks_len);
  if (jwks == NULL) {
    fprintf(stderr, "error: cannot read %s\n", argv[1]);
    return 2;
  }

  /* The configuration is a JSON document; the JWKS goes in as the value of
   * "jwks". Nothing else is set, so every other option has its default. */
  static const char prefix[] = "{\"jwks\":";
  static const char suffix[] = "}";
  size_t config_len = strlen(prefix) + jwks_len + strlen(suffix);
  char *config = malloc(config_len);
  if (config == NULL) {
    free(jwks);
    fprintf(stderr, "error: out of memory\n");
    return 2;
  }
  memcpy(config, prefix, strlen(prefix));
  memcpy(config + strlen(prefix), jwks, jwks_len);
  memcpy(config + strlen(prefix) + jwks_len, suffix, strlen(suffix));
  free(jwks);

  /* Create the verifier. On failure `error` says which key of the
   * configuration is wrong; it is ours to free. */
  authgate_verifier *verifier = NULL;
  authgate_error *error = NULL;
  authgate_status status = authgate_verifier_new(&verifier, config, config_len, &error);
  free(config); /* the verifier keeps what it needs */
  if (status != AUTHGATE_OK) {
    fprintf(stderr, "error: %s: %s\n", authgate_status_name(status),
            authgate_error_message(error));
    authgate_error_free(error);
    return 2;
  }
  /* Keys that could not be used were skipped; say which and why. */
  for (size_t i = 0; i < authgate_verifier_warning_count(verifier); ++i) {
    fprintf(stderr, "warning: %s\n", authgate_verifier_warning(verifier, i));
  }

  /* Verify the token at the current time. A token judged invalid is not a
   * failure of the call: it is AUTHGATE_REJECTED with a reason. */
  const char *token = argv[2];
  authgate_result *result = NULL;
  status = authgate_verifier_verify(&result, verifier, token, strlen(token), &error);

  int exit_code;
  if (status == AUTHGATE_OK) {
    /* Both strings are borrowed from `result`: valid until it is freed. */
    size_t claims_len = 0;
    const char *claims = authgate_result_claims_json(result, &claims_len);
    const char *subject = authgate_result_subject(result); /* NULL: no "sub" */
    fputs("claims: ", stdout);
    fwrite(claims, 1, claims_len, stdout);
    printf("\nsubject: %s\n", subject != NULL ? subject : "(none)");
    exit_code = 0;
  } else if (status == AUTHGATE_REJECTED) {
    fprintf(stderr, "rejected: %s: %s\n", authgate_reason_name(authgate_error_reason(error)),
            authgate_error_message(error));
    exit_code = 1;
  } else {
    fprintf(stderr, "error: %s: %s\n", authgate_status_name(status),
            authgate_error_message(error));
    exit_code = 2;
  }

  /* Every free function accepts NULL, so no branch needs its own cleanup. */
  authgate_result_free(result);
  authgate_error_free(error);
  authgate_verifier_free(verifier);
  if (fflush(stdout) != 0) return 2;
  return exit_code;
}
