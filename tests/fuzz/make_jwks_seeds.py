#!/usr/bin/python3
# make_jwks_seeds.py: writes the key-bearing seeds of tests/fuzz/corpus/jwks_fuzz/
# (a JWKS of every key type, single JWKs, x5c, PEM public keys and
# certificates), from fresh keys. Run it again only to change these seeds;
# the other seeds of that folder (edge cases, reproducers) are written by
# hand and left alone.
#
#   /usr/bin/python3 tests/fuzz/make_jwks_seeds.py
#
# Needs Debian's python3-cryptography (seen by /usr/bin/python3 only).

import base64
import datetime
import json
import pathlib
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus" / "jwks_fuzz"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(value: int, size: int | None = None) -> str:
    size = size or (value.bit_length() + 7) // 8
    return b64url(value.to_bytes(size, "big"))


def rsa_jwk(key, kid):
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "n": uint(numbers.n), "e": uint(numbers.e)}


def ec_jwk(key, crv, size, kid):
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "crv": crv, "kid": kid, "x": uint(numbers.x, size),
            "y": uint(numbers.y, size)}


def okp_jwk(key, crv, kid):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": crv, "kid": kid, "x": b64url(raw)}


def certificate(key, algorithm):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz.example")])
    start = datetime.datetime(2025, 1, 1)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .sign(key, algorithm))


def pem_public(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def write(name, text):
    (CORPUS / name).write_text(text)


def main():
    CORPUS.mkdir(parents=True, exist_ok=True)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    p521 = ec.generate_private_key(ec.SECP521R1())
    k1 = ec.generate_private_key(ec.SECP256K1())
    ed = ed25519.Ed25519PrivateKey.generate()
    ed4 = ed448.Ed448PrivateKey.generate()

    asymmetric = [rsa_jwk(rsa_key, "rsa"), ec_jwk(p256, "P-256", 32, "p256"),
                  ec_jwk(p384, "P-384", 48, "p384"), ec_jwk(p521, "P-521", 66, "p521"),
                  okp_jwk(ed, "Ed25519", "ed25519"), okp_jwk(ed4, "Ed448", "ed448")]
    write("jwks-every-asymmetric-type.json", json.dumps({"keys": asymmetric}))
    write("jwk-rsa-alg-ps256.json", json.dumps(dict(rsa_jwk(rsa_key, "ps"), alg="PS256")))
    write("jwks-same-kid-twice.json",
          json.dumps({"keys": [ec_jwk(p256, "P-256", 32, "a"), ec_jwk(p384, "P-384", 48, "a"),
                               ec_jwk(p521, "P-521", 66, "b")]}))
    write("jwk-ec-secp256k1-as-p256.json", json.dumps(ec_jwk(k1, "P-256", 32, "k1")))

    cert = certificate(p256, hashes.SHA256())
    der = cert.public_bytes(serialization.Encoding.DER)
    write("jwk-ec-x5c-and-numbers.json",
          json.dumps(dict(ec_jwk(p256, "P-256", 32, "x5c"),
                          x5c=[base64.b64encode(der).decode()])))
    write("jwk-rsa-x5c-only.json",
          json.dumps({"kty": "RSA", "kid": "x5c-only", "x5c": [base64.b64encode(
              certificate(rsa_key, hashes.SHA256()).public_bytes(
                  serialization.Encoding.DER)).decode()]}))

    write("pem-public-keys.pem", pem_public(rsa_key) + pem_public(p384) + pem_public(ed))
    write("pem-certificate.pem", cert.public_bytes(serialization.Encoding.PEM).decode())
    # RSA-PSS keys (id-RSASSA-PSS, restricted to PS*): only openssl makes them.
    pss = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA-PSS", "-pkeyopt",
                          "rsa_keygen_bits:2048"], check=True, capture_output=True).stdout
    write("pem-rsa-pss.pem", subprocess.run(["openssl", "pkey", "-pubout"], input=pss,
                                            check=True, capture_output=True).stdout.decode())
    write("pem-certificate-ed448.pem",
          certificate(ed4, None).public_bytes(serialization.Encoding.PEM).decode())


if __name__ == "__main__":
    main()
