package bench

import (
	"context"
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
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"authgate"
	oidc "github.com/coreos/go-oidc"
	jwt "github.com/golang-jwt/jwt" // v4, at its GOPATH location
	josejwt "gopkg.in/square/go-jose.v2/jwt"
)

const (
	issuer   = "https://idp.bench.example"
	audience = "https://api.bench.example/"
)

var b64 = base64.RawURLEncoding

// fixture is one algorithm's key and tokens, shared by every library.
type fixture struct {
	alg    string
	public any // what golang-jwt, go-jose and go-oidc take
	jwk    map[string]any
	token  string
	forged string // the same token with a corrupted signature
}

var fixtures = map[string]*fixture{}

// jwksServer serves every fixture's public key, for go-oidc's key set (it
// has no static one: oauth2-proxy gives it the provider's jwks_uri too).
var jwksServer *httptest.Server

func TestMain(m *testing.M) {
	now := time.Now().Unix()
	// The claims of the C benchmark (bench/README.md): 11 claims, an
	// access token as OIDC providers issue it.
	claims := map[string]any{
		"iss": issuer, "sub": "248289761001", "aud": audience, "exp": now + 3600, "nbf": now - 60,
		"iat": now - 60, "jti": "a6f2b6c0-6b1e-4f4e-9d3c-0b7a4c8e5f21", "azp": "bench-client",
		"scope": "openid profile email api:read api:write", "email": "jane.doe@example.com",
		"roles": []string{"admin", "billing", "support"},
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPublic, edPrivate, _ := ed25519.GenerateKey(rand.Reader)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	add := func(alg string, public any, jwk map[string]any, sign func([]byte) []byte) {
		jwk["kid"], jwk["alg"], jwk["use"] = "bench-"+strings.ToLower(alg), alg, "sig"
		header, _ := json.Marshal(map[string]any{"alg": alg, "typ": "JWT", "kid": jwk["kid"]})
		payload, _ := json.Marshal(claims)
		input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
		signature := sign([]byte(input))
		f := &fixture{alg: alg, public: public, jwk: jwk, token: input + "." + b64.EncodeToString(signature)}
		signature[len(signature)/2] ^= 1
		f.forged = input + "." + b64.EncodeToString(signature)
		fixtures[alg] = f
	}
	add("RS256", &rsaKey.PublicKey, map[string]any{"kty": "RSA", "n": b64.EncodeToString(rsaKey.N.Bytes()),
		"e": b64.EncodeToString(big.NewInt(int64(rsaKey.E)).Bytes())}, func(in []byte) []byte {
		digest := sha256.Sum256(in)
		s, _ := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, digest[:])
		return s
	})
	add("ES256", &ecKey.PublicKey, map[string]any{"kty": "EC", "crv": "P-256",
		"x": b64.EncodeToString(ecKey.X.FillBytes(make([]byte, 32))),
		"y": b64.EncodeToString(ecKey.Y.FillBytes(make([]byte, 32)))}, func(in []byte) []byte {
		digest := sha256.Sum256(in)
		r, s, _ := ecdsa.Sign(rand.Reader, ecKey, digest[:])
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	})
	add("EdDSA", edPublic, map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(edPublic)},
		func(in []byte) []byte { return ed25519.Sign(edPrivate, in) })
	add("HS256", secret, map[string]any{"kty": "oct", "k": b64.EncodeToString(secret)}, func(in []byte) []byte {
		mac := hmac.New(sha256.New, secret)
		mac.Write(in)
		return mac.Sum(nil)
	})
	jwksServer = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		alg := strings.TrimPrefix(r.URL.Path, "/")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{fixtures[alg].jwk}})
	}))
	code := m.Run()
	jwksServer.Close()
	os.Exit(code)
}

// verifyFunc checks a token with the same rules everywhere: signature with
// the one key of its algorithm, that algorithm only, iss, aud, exp, nbf, iat.
// It returns the claims as a map, as each library hands them over.
type verifyFunc func(token string) (map[string]any, error)

func newAuthgateVerifier(b *testing.B, f *fixture, cache bool) *authgate.Verifier {
	config := map[string]any{"jwks": map[string]any{"keys": []any{f.jwk}}, "issuers": []string{issuer},
		"audiences": []string{audience}, "algorithms": []string{f.alg}}
	if cache {
		config["token_cache"] = map[string]any{}
	}
	v, err := authgate.NewVerifier(config)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	return v
}

func newAuthgate(b *testing.B, f *fixture, cache bool) verifyFunc {
	v := newAuthgateVerifier(b, f, cache)
	return func(token string) (map[string]any, error) {
		claims, err := v.Verify(token)
		return claims.Map, err
	}
}

// newAuthgateVerdict is authgate's Check: the verdict without the claims,
// which none of the peers offers; it shows what decoding them costs.
func newAuthgateVerdict(b *testing.B, f *fixture, cache bool) verifyFunc {
	v := newAuthgateVerifier(b, f, cache)
	return func(token string) (map[string]any, error) {
		return nil, v.Check(token)
	}
}

func newGolangJWT(b *testing.B, f *fixture) verifyFunc {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{f.alg}))
	keyFunc := func(*jwt.Token) (any, error) { return f.public, nil }
	return func(token string) (map[string]any, error) {
		claims := jwt.MapClaims{}
		if _, err := parser.ParseWithClaims(token, claims, keyFunc); err != nil {
			return nil, err
		}
		if !claims.VerifyIssuer(issuer, true) || !claims.VerifyAudience(audience, true) {
			return nil, fmt.Errorf("iss or aud")
		}
		return claims, nil
	}
}

func newGoJose(b *testing.B, f *fixture) verifyFunc {
	expected := josejwt.Expected{Issuer: issuer, Audience: josejwt.Audience{audience}}
	return func(token string) (map[string]any, error) {
		parsed, err := josejwt.ParseSigned(token)
		if err != nil {
			return nil, err
		}
		if len(parsed.Headers) != 1 || parsed.Headers[0].Algorithm != f.alg {
			return nil, fmt.Errorf("alg")
		}
		var registered josejwt.Claims
		claims := map[string]any{}
		if err := parsed.Claims(f.public, &registered, &claims); err != nil {
			return nil, err
		}
		expected.Time = time.Now()
		if err := registered.ValidateWithLeeway(expected, time.Minute); err != nil {
			return nil, err
		}
		return claims, nil
	}
}

func newGoOIDC(b *testing.B, f *fixture) verifyFunc {
	ctx := context.Background()
	keys := oidc.NewRemoteKeySet(ctx, jwksServer.URL+"/"+f.alg)
	verifier := oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: audience, SupportedSigningAlgs: []string{f.alg}})
	return func(token string) (map[string]any, error) {
		idToken, err := verifier.Verify(ctx, token)
		if err != nil {
			return nil, err
		}
		claims := map[string]any{}
		if err := idToken.Claims(&claims); err != nil {
			return nil, err
		}
		return claims, nil
	}
}

// run checks that verify accepts the token (with its claims, unless it
// gives the verdict only) and refuses the forged one, then times it.
func run(b *testing.B, f *fixture, verify verifyFunc) {
	claims, err := verify(f.token)
	if err != nil || (claims != nil && claims["sub"] != "248289761001") {
		b.Fatalf("the valid %s token: %v %v", f.alg, claims, err)
	}
	if _, err := verify(f.forged); err == nil {
		b.Fatalf("the forged %s token was accepted", f.alg)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := verify(f.token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA", "HS256"} {
		f := fixtures[alg]
		b.Run(alg+"/authgate", func(b *testing.B) { run(b, f, newAuthgate(b, f, false)) })
		b.Run(alg+"/authgate-verdict", func(b *testing.B) { run(b, f, newAuthgateVerdict(b, f, false)) })
		b.Run(alg+"/golang-jwt", func(b *testing.B) { run(b, f, newGolangJWT(b, f)) })
		b.Run(alg+"/go-jose", func(b *testing.B) { run(b, f, newGoJose(b, f)) })
		if alg != "HS256" { // go-oidc verifies provider-signed (asymmetric) tokens only
			b.Run(alg+"/go-oidc", func(b *testing.B) { run(b, f, newGoOIDC(b, f)) })
		}
	}
}

// BenchmarkVerifyCached is authgate with its verified-token cache: a hash
// and a lookup in C, then the claims decoded into Go values.
func BenchmarkVerifyCached(b *testing.B) {
	f := fixtures["ES256"]
	run(b, f, newAuthgate(b, f, true))
}

// BenchmarkCheckCached is a cache hit for the verdict only: the C figure
// (BM_VerifyCached) plus what one call through the binding adds.
func BenchmarkCheckCached(b *testing.B) {
	f := fixtures["ES256"]
	run(b, f, newAuthgateVerdict(b, f, true))
}

// BenchmarkCgoCall is one call into the library that does nothing there.
func BenchmarkCgoCall(b *testing.B) {
	var sum uint32
	for i := 0; i < b.N; i++ {
		sum += libraryVersionNum()
	}
	if sum == 0 && b.N > 0 {
		b.Fatal("no version")
	}
}
