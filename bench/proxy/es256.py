"""ES256 JWTs from a P-256 key made by openssl, with the standard library only
(which has no ECDSA: openssl signs, this turns its DER signature into JWS's r||s).

  python3 es256.py jwk KEY.pem KID             # the public key as a JWK (JSON)
  python3 es256.py sign KEY.pem KID CLAIMS     # a token with these claims (JSON object)
"""
import base64
import json
import subprocess
import sys


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key_file, kid):
    der = subprocess.run(["openssl", "ec", "-in", key_file, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    # A P-256 SubjectPublicKeyInfo ends with the uncompressed point 04 || x || y.
    point = der[-65:]
    if point[0] != 4:
        sys.exit("es256.py: %s is not an uncompressed P-256 public key" % key_file)
    return {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": b64url(point[1:33]), "y": b64url(point[33:])}


def der_integer(der, at):
    """Reads a DER INTEGER at `at`; returns its value as 32 bytes and the next offset."""
    if der[at] != 0x02:
        raise ValueError("expected an INTEGER")
    length = der[at + 1]
    value = der[at + 2:at + 2 + length].lstrip(b"\0")
    return value.rjust(32, b"\0"), at + 2 + length


def sign(key_file, kid, claims):
    header = {"alg": "ES256", "typ": "JWT", "kid": kid}
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")).encode())
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_file],
                         input=signing_input.encode(), check=True, capture_output=True).stdout
    # ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }; under 128 bytes, so a short length.
    if der[0] != 0x30 or der[1] >= 0x80:
        raise ValueError("unexpected ECDSA signature encoding")
    r, at = der_integer(der, 2)
    s, _ = der_integer(der, at)
    return signing_input + "." + b64url(r + s)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "jwk":
        print(json.dumps(public_jwk(sys.argv[2], sys.argv[3])))
    elif len(sys.argv) == 5 and sys.argv[1] == "sign":
        print(sign(sys.argv[2], sys.argv[3], json.loads(sys.argv[4])))
    else:
        sys.exit(__doc__)


main()
