package authgate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
)

// testKey is a signing key of one JWS algorithm with its public JWK, made
// with the standard library only, so that the tests need nothing else.
type testKey struct {
	alg  string
	kid  string
	sign func(input []byte) []byte
	jwk  map[string]any
}

var b64 = base64.RawURLEncoding

func newES256Key(t testing.TB, kid string) *testKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{
		alg: "ES256", kid: kid,
		sign: func(input []byte) []byte {
			digest := sha256.Sum256(input)
			r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			signature := make([]byte, 64)
			r.FillBytes(signature[:32])
			s.FillBytes(signature[32:])
			return signature
		},
		jwk: map[string]any{"kty": "EC", "crv": "P-256", "kid": kid,
			"x": b64.EncodeToString(key.X.FillBytes(make([]byte, 32))),
			"y": b64.EncodeToString(key.Y.FillBytes(make([]byte, 32)))},
	}
}

func newRS256Key(t testing.TB, kid string) *testKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{
		alg: "RS256", kid: kid,
		sign: func(input []byte) []byte {
			digest := sha256.Sum256(input)
			signature, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			return signature
		},
		jwk: map[string]any{"kty": "RSA", "kid": kid,
			"n": b64.EncodeToString(key.N.Bytes()),
			"e": b64.EncodeToString(big.NewInt(int64(key.E)).Bytes())},
	}
}

func newEdDSAKey(t testing.TB, kid string) *testKey {
	t.Helper()
	public, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{
		alg: "EdDSA", kid: kid,
		sign: func(input []byte) []byte { return ed25519.Sign(private, input) },
		jwk:  map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64.EncodeToString(public)},
	}
}

func newHS256Key(t testing.TB, kid string) *testKey {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return &testKey{
		alg: "HS256", kid: kid,
		sign: func(input []byte) []byte {
			mac := hmac.New(sha256.New, secret)
			mac.Write(input)
			return mac.Sum(nil)
		},
		jwk: map[string]any{"kty": "oct", "kid": kid, "k": b64.EncodeToString(secret)},
	}
}

// token signs claims with k, with header members added to alg, typ and kid.
func (k *testKey) token(t testing.TB, claims map[string]any, header map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": k.alg, "typ": "JWT", "kid": k.kid}
	for name, value := range header {
		if value == nil {
			delete(h, name)
		} else {
			h[name] = value
		}
	}
	input := encodeSegment(t, h) + "." + encodeSegment(t, claims)
	return input + "." + b64.EncodeToString(k.sign([]byte(input)))
}

func encodeSegment(t testing.TB, value any) string {
	t.Helper()
	text, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	return b64.EncodeToString(text)
}

func jwks(keys ...*testKey) map[string]any {
	list := make([]any, 0, len(keys))
	for _, k := range keys {
		list = append(list, k.jwk)
	}
	return map[string]any{"keys": list}
}
