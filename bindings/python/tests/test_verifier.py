"""authgate.Verifier: verdicts, errors, waits, counters."""

from __future__ import annotations

import json
import pickle
import threading
import time

import pytest

import authgate
import support

ALGORITHMS = ["RS256", "ES256", "EdDSA", "HS256"]


@pytest.fixture(scope="module")
def verifier(keys):
    with authgate.Verifier.from_jwks(keys.jwks("RS256", "ES256", "EdDSA"),
                                     issuers=[support.ISSUER],
                                     audiences=[support.AUDIENCE]) as v:
        yield v


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_verify_returns_claims_and_header(keys, alg):
    jwks = keys.jwks(alg)
    with authgate.Verifier({"jwks": jwks, "audiences": [support.AUDIENCE]}) as v:
        claims = v.verify(keys.mint(alg, sub="bob", scope="a b"))
    assert isinstance(claims, dict)
    assert claims["sub"] == "bob" and claims["scope"] == "a b" and claims["aud"] == support.AUDIENCE
    assert claims.header["alg"] == alg and claims.header["kid"] == alg
    copied = pickle.loads(pickle.dumps(claims))
    assert copied == claims and copied.header == claims.header


def test_verify_accepts_bytes_and_json_text_config(keys):
    with authgate.Verifier(json.dumps({"jwks": keys.jwks("ES256")})) as v:
        assert v.verify(keys.mint("ES256").encode())["sub"] == "alice"


def test_expired(verifier, keys):
    token = keys.mint("RS256", exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    with pytest.raises(authgate.Expired) as caught:
        verifier.verify(token)
    assert caught.value.reason == "expired"
    assert isinstance(caught.value, authgate.Rejected)
    assert not isinstance(caught.value, authgate.Error)
    assert token not in str(caught.value)


def test_verify_at_a_given_time(verifier, keys):
    then = int(time.time()) - 86400
    token = keys.mint("ES256", iat=then, exp=then + 60)
    assert verifier.verify(token, now=then + 30)["exp"] == then + 60
    with pytest.raises(authgate.Expired):
        verifier.verify(token)


def test_signature_invalid(verifier, keys):
    header, payload, signature = keys.mint("ES256").split(".")
    forged = json.loads(support.base64.urlsafe_b64decode(payload + "=="))
    forged["sub"] = "mallory"
    forged_payload = support.b64url(json.dumps(forged).encode())
    with pytest.raises(authgate.SignatureInvalid) as caught:
        verifier.verify(".".join([header, forged_payload, signature]))
    assert caught.value.reason == "signature_invalid" and caught.value.detail


@pytest.mark.parametrize("claims, error", [
    ({"iss": "https://other.test"}, authgate.IssuerMismatch),
    ({"aud": "api://other"}, authgate.AudienceMismatch),
    ({"aud": None}, authgate.MissingClaim),
    ({"exp": "soon"}, authgate.InvalidClaim),
    ({"nbf": int(time.time()) + 3600}, authgate.NotYetValid),
])
def test_claim_checks(verifier, keys, claims, error):
    with pytest.raises(error):
        verifier.verify(keys.mint("EdDSA", **claims))


def test_malformed_and_unknown_key(verifier, keys):
    with pytest.raises(authgate.Malformed):
        verifier.verify("not.a-token")
    with pytest.raises(authgate.KeyNotFound):
        verifier.verify(keys.mint("HS256"))


def test_config_error_names_the_key(keys):
    with pytest.raises(authgate.ConfigError) as caught:
        authgate.Verifier({"jwks": keys.jwks("ES256"), "audience": ["x"]})
    assert "audience" in str(caught.value)
    assert isinstance(caught.value, ValueError) and caught.value.status == "invalid_config"


def test_config_error_never_shows_the_secret():
    secret = "s3cr3t-" + "x" * 10  # too short for HS256: refused
    with pytest.raises(authgate.ConfigError) as caught:
        authgate.Verifier.from_jwks({"kty": "oct", "k": support.b64url(secret.encode())})
    assert secret not in str(caught.value) and support.b64url(secret.encode()) not in str(caught.value)


def test_warnings_list_skipped_keys(keys):
    weak = {"kty": "oct", "kid": "short", "k": support.b64url(b"short")}
    jwks = {"keys": [keys.jwk("HS256"), weak]}
    with authgate.Verifier({"jwks": jwks}) as v:
        assert v.key_count == 1
        assert len(v.warnings) == 1 and "HMAC key of 5 bytes" in v.warnings[0]
        assert v.verify(keys.mint("HS256"))["sub"] == "alice"


def test_stats_count_cache_hits(keys):
    with authgate.Verifier({"jwks": keys.jwks("ES256"), "token_cache": {}}) as v:
        token = keys.mint("ES256")
        before = v.stats()
        v.verify(token)
        v.verify(token)
        after = v.stats()
    assert before["keys"] == 1 and all(isinstance(n, int) for n in after.values())
    assert after["token_cache_misses"] - before["token_cache_misses"] == 1
    assert after["token_cache_hits"] - before["token_cache_hits"] == 1
    assert after["token_cache_entries"] == 1


def test_wait_ready_times_out_on_a_stalled_key_server():
    server = support.StalledServer()
    try:
        v = authgate.Verifier({"jwks_uri": "http://127.0.0.1:%d/jwks" % server.port})
        with pytest.raises(authgate.Timeout) as caught:
            v.wait_ready(0.2)
        assert isinstance(caught.value, TimeoutError)
        with pytest.raises(authgate.JwksUnavailable):
            v.verify("eyJhbGciOiJFUzI1NiIsImtpZCI6IngifQ.e30.c2ln")
        assert v.stats()["keys"] == 0
        v.close()
    finally:
        server.close()


def test_use_after_close_is_an_error(keys):
    v = authgate.Verifier.from_jwks(keys.jwks("ES256"))
    v.close()
    v.close()
    with pytest.raises(ValueError):
        v.verify(keys.mint("ES256"))


def test_one_verifier_shared_by_threads(verifier, keys):
    tokens = [keys.mint(alg, sub="user%d" % i) for i, alg in enumerate(["RS256", "ES256"] * 20)]
    failures = []

    def work():
        for i, token in enumerate(tokens):
            if verifier.verify(token)["sub"] != "user%d" % i:
                failures.append(i)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
