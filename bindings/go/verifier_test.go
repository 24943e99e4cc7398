package authgate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testIssuer   = "https://idp.test"
	testAudience = "api://orders"
)

// now is the fixed time of the table tests (VerifyAt).
var now = time.Unix(1_800_000_000, 0)

func newTestVerifier(t *testing.T, config map[string]any) *Verifier {
	t.Helper()
	v, err := NewVerifier(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func validClaims() map[string]any {
	return map[string]any{
		"iss": testIssuer, "aud": testAudience, "sub": "alice",
		"iat": now.Unix() - 10, "exp": now.Unix() + 600,
	}
}

func with(claims map[string]any, name string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range claims {
		out[k] = v
	}
	if value == nil {
		delete(out, name)
	} else {
		out[name] = value
	}
	return out
}

func TestVerifyReturnsTheClaims(t *testing.T) {
	for _, newKey := range []func(testing.TB, string) *testKey{newES256Key, newRS256Key, newEdDSAKey, newHS256Key} {
		key := newKey(t, "k1")
		t.Run(key.alg, func(t *testing.T) {
			v := newTestVerifier(t, map[string]any{"jwks": jwks(key), "issuers": []string{testIssuer}})
			claims := with(validClaims(), "big", json.Number("9007199254740993"))
			claims["scope"] = "a b"
			claims["nested"] = map[string]any{"n": 1}
			got, err := v.VerifyAt(key.token(t, claims, nil), now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != "alice" || got.Issuer != testIssuer || got.Algorithm != key.alg || got.KeyID != "k1" {
				t.Errorf("claims %+v", got)
			}
			if !got.ExpiresAt.Equal(time.Unix(now.Unix()+600, 0)) {
				t.Errorf("ExpiresAt %v", got.ExpiresAt)
			}
			// 2^53 + 1 survives only when read as an integer.
			if big, ok := got.Map["big"].(int64); !ok || big != 9007199254740993 {
				t.Errorf("big = %#v, want int64 9007199254740993", got.Map["big"])
			}
			if exp, ok := got.Map["exp"].(int64); !ok || exp != now.Unix()+600 {
				t.Errorf("exp = %#v", got.Map["exp"])
			}
			if got.Map["scope"] != "a b" || got.Header["alg"] != key.alg || got.Header["typ"] != "JWT" {
				t.Errorf("map %v header %v", got.Map, got.Header)
			}
			var own struct {
				Nested struct{ N int } `json:"nested"`
			}
			if err := json.Unmarshal(got.JSON, &own); err != nil || own.Nested.N != 1 {
				t.Errorf("JSON %s: %v", got.JSON, err)
			}
		})
	}
}

func TestVerifyKeepsFractionalNumbersAsFloat(t *testing.T) {
	key := newES256Key(t, "k1")
	v := newTestVerifier(t, map[string]any{"jwks": jwks(key)})
	got, err := v.VerifyAt(key.token(t, with(validClaims(), "exp", float64(now.Unix())+600.5), nil), now)
	if err != nil {
		t.Fatal(err)
	}
	if exp, ok := got.Map["exp"].(float64); !ok || exp != float64(now.Unix())+600.5 {
		t.Errorf("exp = %#v", got.Map["exp"])
	}
	if got.ExpiresAt.Unix() != now.Unix()+600 {
		t.Errorf("ExpiresAt %v: fractions are dropped", got.ExpiresAt)
	}
}

// Each rejection a configuration and a token can produce reaches Go as its
// sentinel, with the library's detail.
func TestVerifyRejectionsMatchTheirSentinel(t *testing.T) {
	key := newES256Key(t, "k1")
	other := newES256Key(t, "k1")
	hmacKey := newHS256Key(t, "h1")
	v := newTestVerifier(t, map[string]any{
		"jwks": jwks(key), "issuers": []string{testIssuer}, "audiences": []string{testAudience},
		"max_lifetime": "1h", "subjects": []string{"alice", "bob"}, "typ": "JWT",
		"required_claims": []string{"sub"}, "max_token_size": 2048, "algorithms": []string{"ES256"},
	})
	valid := validClaims()
	noneHeader := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	cases := []struct {
		name  string
		token string
		want  Reason
	}{
		{"three segments of garbage", "a.b.c", ErrMalformed},
		{"one segment", "abc", ErrMalformed},
		{"a JWE", "a.b.c.d.e", ErrUnsupportedTokenType},
		{"alg none", noneHeader + "." + encodeSegment(t, valid) + ".", ErrUnsupportedAlg},
		{"an algorithm not listed", hmacKey.token(t, valid, map[string]any{"kid": "k1"}), ErrAlgNotAllowed},
		{"an unknown kid", key.token(t, valid, map[string]any{"kid": "k2"}), ErrKeyNotFound},
		{"another key's signature", other.token(t, valid, nil), ErrSignatureInvalid},
		{"expired", key.token(t, with(valid, "exp", now.Unix()-3600), map[string]any{}), ErrExpired},
		{"not yet valid", key.token(t, with(valid, "nbf", now.Unix()+3600), nil), ErrNotYetValid},
		{"another issuer", key.token(t, with(valid, "iss", "https://evil.test"), nil), ErrIssuerMismatch},
		{"another audience", key.token(t, with(valid, "aud", "api://other"), nil), ErrAudienceMismatch},
		{"no sub", key.token(t, with(valid, "sub", nil), nil), ErrMissingClaim},
		{"a numeric sub", key.token(t, with(valid, "sub", 7), nil), ErrInvalidClaim},
		{"too large", key.token(t, with(valid, "pad", strings.Repeat("x", 2048)), nil), ErrTokenTooLarge},
		{"crit", key.token(t, valid, map[string]any{"crit": []string{"exp"}, "exp": 1}), ErrUnsupportedHeader},
		{"typ at+jwt", key.token(t, valid, map[string]any{"typ": "at+jwt"}), ErrTypeMismatch},
		{"another subject", key.token(t, with(valid, "sub", "mallory"), nil), ErrSubjectNotAllowed},
		{"a day-long token", key.token(t, with(valid, "exp", now.Unix()+86400), nil), ErrLifetimeTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.VerifyAt(c.token, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %s", err, c.want)
			}
			var rejection *Rejection
			if !errors.As(err, &rejection) || rejection.Reason != c.want || rejection.Detail == "" {
				t.Errorf("rejection %+v", rejection)
			}
			if strings.Contains(err.Error(), c.token) && len(c.token) > 10 {
				t.Errorf("the error repeats the token: %v", err)
			}
		})
	}
}

func TestVerifyUsesTheCurrentTime(t *testing.T) {
	key := newES256Key(t, "k1")
	v := newTestVerifier(t, map[string]any{"jwks": jwks(key)})
	claims := map[string]any{"sub": "alice", "exp": time.Now().Unix() - 3600}
	if _, err := v.Verify(key.token(t, claims, nil)); !errors.Is(err, ErrExpired) {
		t.Errorf("an hour-old token: %v", err)
	}
	claims["exp"] = time.Now().Unix() + 3600
	if _, err := v.Verify(key.token(t, claims, nil)); err != nil {
		t.Errorf("a fresh token: %v", err)
	}
	if _, err := v.Verify(""); !errors.Is(err, ErrMalformed) {
		t.Errorf("an empty token: %v", err)
	}
}

func TestCheckGivesTheVerdictOnly(t *testing.T) {
	key := newES256Key(t, "k1")
	v := newTestVerifier(t, map[string]any{"jwks": jwks(key)})
	if err := v.Check(key.token(t, map[string]any{"sub": "alice", "exp": time.Now().Unix() + 600}, nil)); err != nil {
		t.Errorf("a valid token: %v", err)
	}
	if err := v.Check(key.token(t, map[string]any{"sub": "alice", "exp": time.Now().Unix() - 600}, nil)); !errors.Is(err, ErrExpired) {
		t.Errorf("an expired token: %v", err)
	}
	v.Close()
	if err := v.Check("a.b.c"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestNewVerifierConfigErrorsNameTheKey(t *testing.T) {
	key := newES256Key(t, "k1")
	cases := []struct {
		config any
		key    string
	}{
		{map[string]any{"jwks": jwks(key), "audience": []string{"x"}}, "audience"},
		{`{"jwks": {"keys": []}}`, "jwks"},
		{[]byte(`{"jwks": 1`), ""},
		{map[string]any{"jwks": jwks(key), "token_cache": map[string]any{"max_entries": -1}}, "token_cache.max_entries"},
	}
	for _, c := range cases {
		_, err := NewVerifier(c.config)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("config %v: error %v, want ErrConfig", c.config, err)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, c.key) {
			t.Errorf("config %v: message %q does not name %q", c.config, e.Message, c.key)
		}
	}
	if _, err := NewVerifier(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a nil configuration: %v", err)
	}
	if _, err := NewVerifier(map[string]any{"bad": make(chan int)}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a configuration JSON cannot hold: %v", err)
	}
}

func TestVerifierWarnsAboutSkippedKeys(t *testing.T) {
	key := newES256Key(t, "k1")
	v := newTestVerifier(t, map[string]any{"jwks": map[string]any{"keys": []any{key.jwk, map[string]any{"kty": "EC", "crv": "P-256", "kid": "bad", "x": "AA", "y": "AA"}}}})
	if len(v.Warnings()) != 1 || !strings.Contains(v.Warnings()[0], "key #2 skipped") {
		t.Errorf("warnings %q", v.Warnings())
	}
}

func TestClosedVerifierRefusesCalls(t *testing.T) {
	key := newES256Key(t, "k1")
	v, err := NewVerifier(map[string]any{"jwks": jwks(key)})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	token := key.token(t, validClaims(), nil)
	if _, err := v.Verify(token); !errors.Is(err, ErrClosed) {
		t.Errorf("Verify after Close: %v", err)
	}
	if _, err := v.VerifyContext(context.Background(), token); !errors.Is(err, ErrClosed) {
		t.Errorf("VerifyContext after Close: %v", err)
	}
	if _, err := v.Stats(); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close: %v", err)
	}
	if err := v.WaitReady(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitReady after Close: %v", err)
	}
}

// Many goroutines share one verifier while another closes it: run with -race.
func TestVerifierIsSafeForConcurrentUse(t *testing.T) {
	key := newES256Key(t, "k1")
	v, err := NewVerifier(map[string]any{"jwks": jwks(key), "token_cache": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	claims := with(validClaims(), "exp", time.Now().Unix()+600)
	claims["iat"] = time.Now().Unix()
	tokens := []string{key.token(t, claims, nil), key.token(t, with(claims, "sub", "bob"), nil)}
	var wg sync.WaitGroup
	var verified atomic.Int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				got, err := v.Verify(tokens[(g+i)%2])
				switch {
				case errors.Is(err, ErrClosed):
					return
				case err != nil:
					t.Errorf("verify: %v", err)
					return
				case got.Subject != []string{"alice", "bob"}[(g+i)%2]:
					t.Errorf("subject %q", got.Subject)
				}
				verified.Add(1)
			}
		}(g)
	}
	// Close while the goroutines run: after the first verifications.
	for deadline := time.Now().Add(5 * time.Second); verified.Load() < 100 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	v.Close()
	wg.Wait()
	if verified.Load() < 100 {
		t.Errorf("%d verifications before Close", verified.Load())
	}
}

func TestStatsCountTheTokenCache(t *testing.T) {
	key := newES256Key(t, "k1")
	v := newTestVerifier(t, map[string]any{"jwks": jwks(key), "token_cache": map[string]any{}})
	claims := map[string]any{"sub": "alice", "exp": time.Now().Unix() + 600}
	token := key.token(t, claims, nil)
	for i := 0; i < 3; i++ {
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := v.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats["keys"] != 1 || stats["token_cache_hits"] != 2 || stats["token_cache_misses"] != 1 || stats["token_cache_entries"] != 1 {
		t.Errorf("stats %v", stats)
	}
}

// jwksServer serves a JWKS that the test can change, and can hold requests.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	document map[string]any
	hold     chan struct{}
}

func newJWKSServer(t *testing.T, keys ...*testKey) *jwksServer {
	s := &jwksServer{document: jwks(keys...)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		document, hold := s.document, s.hold
		s.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(document)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(keys ...*testKey) {
	s.mu.Lock()
	s.document = jwks(keys...)
	s.mu.Unlock()
}

func (s *jwksServer) holdRequests() func() {
	hold := make(chan struct{})
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.hold = nil
		s.mu.Unlock()
		close(hold)
	}
}

func TestVerifyContextWaitsForARotatedKey(t *testing.T) {
	old, rotated := newES256Key(t, "old"), newES256Key(t, "new")
	server := newJWKSServer(t, old)
	v := newTestVerifier(t, map[string]any{"jwks_uri": server.URL + "/jwks"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	token := rotated.token(t, map[string]any{"sub": "alice", "exp": time.Now().Unix() + 600}, nil)
	server.serve(old, rotated)
	if _, err := v.Verify(token); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Verify before the refetch: %v, want key_not_found", err)
	}
	claims, err := v.VerifyContext(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "alice" || claims.KeyID != "new" {
		t.Errorf("claims %+v", claims)
	}
}

func TestVerifyContextEndsWithItsContext(t *testing.T) {
	key := newES256Key(t, "k1")
	server := newJWKSServer(t, key)
	release := server.holdRequests()
	v, err := NewVerifier(map[string]any{"jwks_uri": server.URL + "/jwks", "async_timeout": "10s"})
	if err != nil {
		t.Fatal(err)
	}
	token := key.token(t, map[string]any{"sub": "alice", "exp": time.Now().Unix() + 600}, nil)
	if _, err := v.Verify(token); !errors.Is(err, ErrJWKSUnavailable) {
		t.Errorf("Verify before any key: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := v.VerifyContext(ctx, token); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("VerifyContext: %v, want the context's deadline", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("VerifyContext returned after %v", waited)
	}
	// The pending verification still ends once, later, with nobody waiting,
	// and frees what it gets: -race and cgocheck=2 watch it.
	release()
	v.Close()
}

func TestWaitReadyTimesOutWithTheFetchError(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer server.Close()
	v := newTestVerifier(t, map[string]any{"jwks_uri": server.URL + "/jwks"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := v.WaitReady(ctx)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "500") {
		t.Errorf("WaitReady: %v, want a timeout naming the HTTP status", err)
	}
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if err := v.WaitReady(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitReady with a cancelled context: %v", err)
	}
}

func TestAnotherMajorMinorIsRefused(t *testing.T) {
	for _, ok := range []uint32{200, 201, 299} {
		if err := compatible(ok, "0.2.x"); err != nil {
			t.Errorf("version %d: %v", ok, err)
		}
	}
	for _, v := range []struct {
		num  uint32
		text string
	}{{100, "0.1.0"}, {300, "0.3.0"}, {10200, "1.2.0"}} {
		err := compatible(v.num, v.text)
		if !errors.Is(err, ErrIncompatibleLibrary) || !strings.Contains(err.Error(), v.text) || !strings.Contains(err.Error(), "0.2.x") {
			t.Errorf("version %s: %v", v.text, err)
		}
	}
}

func TestRefreshRefetchesTheKeys(t *testing.T) {
	key := newES256Key(t, "k1")
	var fetches atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(jwks(key))
	}))
	defer server.Close()
	v := newTestVerifier(t, map[string]any{"jwks_uri": server.URL + "/jwks"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	before := fetches.Load()
	if err := v.Refresh(); err != nil {
		t.Fatal(err)
	}
	for fetches.Load() == before && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if fetches.Load() == before {
		t.Error("no fetch after Refresh")
	}
	stats, err := v.Stats()
	if err != nil || stats["jwks_fetch_successes"] < 1 || stats["keys"] != 1 {
		t.Errorf("stats %v, %v", stats, err)
	}
}

func TestVersionIsTheBindingsABI(t *testing.T) {
	if err := checkLibrary(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(Version(), "0.2.") {
		t.Errorf("Version() = %q", Version())
	}
}
