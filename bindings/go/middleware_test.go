package authgate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const remoteIssuer = "https://remote.test"

// apiEngine is an engine without a browser login: an API on inline keys,
// one on keys fetched from remote, a public prefix, nothing else.
func apiEngine(t *testing.T, key *testKey, remote *jwksServer) *Engine {
	t.Helper()
	providers := map[string]any{
		"idp": map[string]any{
			"issuer": testIssuer, "audiences": []string{testAudience}, "jwks": jwks(key),
			"claim_to_headers": []any{map[string]any{"claim": "sub", "header": "x-authgate-sub"}},
		},
	}
	rules := []any{
		map[string]any{"name": "public", "match": map[string]any{"prefix": "/public"}, "requires": "none"},
		map[string]any{"name": "api", "match": map[string]any{"prefix": "/api"}, "requires": map[string]any{"jwt": []string{"idp"}},
			"claims": map[string]any{"scope": map[string]any{"contains": "api:read"}}},
	}
	if remote != nil {
		providers["remote"] = map[string]any{"issuer": remoteIssuer, "audiences": []string{testAudience}, "jwks_uri": remote.URL + "/jwks"}
		rules = append(rules, map[string]any{"name": "remote", "match": map[string]any{"prefix": "/remote"}, "requires": map[string]any{"jwt": []string{"remote"}}})
	}
	// A short HTTP timeout bounds what a held key fetch can cost a test.
	e, err := NewEngine(map[string]any{"jwt": map[string]any{"providers": providers}, "rules": rules,
		"http": map[string]any{"timeout": "3s", "connect_timeout": "1s"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func apiToken(t *testing.T, key *testKey, claims map[string]any) string {
	base := map[string]any{"iss": testIssuer, "aud": testAudience, "sub": "alice", "scope": "api:read",
		"iat": time.Now().Unix(), "exp": time.Now().Unix() + 600}
	for name, value := range claims {
		base = with(base, name, value)
	}
	return key.token(t, base, nil)
}

// seen is what the protected handler received.
type seen struct {
	called      bool
	header      http.Header
	path, uri   string
	query       string
	identity    *Identity
	hasIdentity bool
}

func protectedHandler(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*s = seen{called: true, header: r.Header, path: r.URL.Path, uri: r.RequestURI, query: r.URL.RawQuery}
		s.identity, s.hasIdentity = IdentityFrom(r.Context())
		_, _ = io.WriteString(w, "app")
	})
}

// serve runs one request through the middleware in process.
func serve(t *testing.T, e *Engine, r *http.Request) (*httptest.ResponseRecorder, seen) {
	t.Helper()
	var s seen
	w := httptest.NewRecorder()
	Middleware(e)(protectedHandler(&s)).ServeHTTP(w, r)
	return w, s
}

func TestMiddlewareLetsABearerTokenThroughWithItsIdentity(t *testing.T) {
	key := newES256Key(t, "k1")
	e := apiEngine(t, key, nil)
	r := httptest.NewRequest("GET", "/api/orders?id=7", nil)
	r.Header.Set("Authorization", "Bearer "+apiToken(t, key, nil))
	// Forged identity headers in two spellings, removed by the engine's list.
	r.Header.Set("X-Authgate-Sub", "mallory")
	r.Header["X_authgate_sub"] = []string{"mallory"}
	w, s := serve(t, e, r)
	if w.Code != 200 || !s.called {
		t.Fatalf("status %d, handler called %v: %s", w.Code, s.called, w.Body)
	}
	if got := s.header.Values("X-Authgate-Sub"); len(got) != 1 || got[0] != "alice" {
		t.Errorf("x-authgate-sub %q", got)
	}
	if _, forged := s.header["X_authgate_sub"]; forged {
		t.Error("the underscore spelling of an identity header reached the handler")
	}
	if s.header.Get("Authorization") != "" {
		t.Error("the verified token reached the handler (forward is off)")
	}
	if !s.hasIdentity || s.identity.Subject != "alice" || s.identity.Claims["scope"] != "api:read" {
		t.Errorf("identity %+v", s.identity)
	}
	if s.path != "/api/orders" || s.query != "id=7" || s.uri != "/api/orders?id=7" {
		t.Errorf("path %q query %q uri %q", s.path, s.query, s.uri)
	}
	if r.Header.Get("X-Authgate-Sub") != "mallory" {
		t.Error("the caller's request was changed")
	}
}

func TestMiddlewareWritesTheEnginesRefusals(t *testing.T) {
	key := newES256Key(t, "k1")
	e := apiEngine(t, key, nil)
	cases := []struct {
		name, method, target string
		tokens               []string
		status               int
		challenge            string
	}{
		{"no token", "GET", "/api/x", nil, 401, `Bearer realm="authgate"`},
		{"expired", "GET", "/api/x", []string{apiToken(t, key, map[string]any{"exp": time.Now().Unix() - 3600})}, 401, `error="invalid_token", error_description="expired"`},
		{"another audience", "GET", "/api/x", []string{apiToken(t, key, map[string]any{"aud": "api://other"})}, 401, `error_description="audience_mismatch"`},
		{"no scope", "GET", "/api/x", []string{apiToken(t, key, map[string]any{"scope": "other"})}, 403, `error="insufficient_scope"`},
		{"two tokens", "GET", "/api/x", []string{apiToken(t, key, nil), apiToken(t, key, nil)}, 400, `error="invalid_request"`},
		{"no rule", "GET", "/admin", nil, 403, ""},
		{"an encoded slash", "GET", "/public/a%2Fb", nil, 400, ""},
		{"above the root", "GET", "/public/../../etc", nil, 400, ""},
		{"a lower-case method", "get", "/public/x", nil, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.target, nil)
			for _, token := range c.tokens {
				r.Header.Add("Authorization", "Bearer "+token)
			}
			w, s := serve(t, e, r)
			if w.Code != c.status || s.called {
				t.Fatalf("status %d (want %d), handler called %v", w.Code, c.status, s.called)
			}
			if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, c.challenge) {
				t.Errorf("WWW-Authenticate %q, want it to contain %q", got, c.challenge)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestMiddlewarePassesTheNormalisedTarget(t *testing.T) {
	key := newES256Key(t, "k1")
	e := apiEngine(t, key, nil)
	r := httptest.NewRequest("GET", "/public/./a//%62?q=%2F", nil)
	r.Header.Set("Authorization", "Bearer kept-on-public-routes")
	w, s := serve(t, e, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if s.path != "/public/a/b" || s.query != "q=%2F" || s.uri != "/public/a/b?q=%2F" {
		t.Errorf("path %q query %q uri %q", s.path, s.query, s.uri)
	}
	if s.hasIdentity {
		t.Errorf("a public route has an identity: %+v", s.identity)
	}
	if s.header.Get("Authorization") != "Bearer kept-on-public-routes" {
		t.Error("a public route lost the client's Authorization header")
	}
}

func TestEvaluateDescribesTheRequestFaithfully(t *testing.T) {
	r := httptest.NewRequest("POST", "http://app.test:8443/api/x?y=1", nil)
	r.RemoteAddr = "[::1]:5555"
	r.Header.Add("B", "2")
	r.Header.Add("A", "1")
	r.Header.Add("A", "0")
	r.Header.Set("X-Forwarded-Proto", "https")
	got := engineRequest(r)
	want := &Request{Method: "POST", Scheme: "http", Authority: "app.test:8443", Target: "/api/x?y=1", ClientAddress: "::1",
		Headers: []Header{{"A", "1"}, {"A", "0"}, {"B", "2"}, {"X-Forwarded-Proto", "https"}}}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("request\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := engineRequest(r)
		if got.Scheme != "https" || got.ClientAddress != "127.0.0.1" || got.Target != "/p?q" || !strings.HasPrefix(got.Authority, "127.0.0.1:") {
			t.Errorf("over TLS: %+v", got)
		}
	}))
	defer server.Close()
	if _, err := server.Client().Get(server.URL + "/p?q"); err != nil {
		t.Fatal(err)
	}
}

func TestSameHeaderName(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"X-Authgate-Sub", "x-authgate-sub", true},
		{"X_AUTHGATE_SUB", "x-authgate-sub", true},
		{"x-authgate_sub", "X_Authgate-Sub", true},
		{"x-authgate-su", "x-authgate-sub", false},
		{"x@", "x`", false},
		{"x-authgate-sub ", "x-authgate-sub", false},
	}
	for _, c := range cases {
		if got := sameHeaderName(c.a, c.b); got != c.same {
			t.Errorf("sameHeaderName(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestNewEngineAcceptsTheSidecarsDocument(t *testing.T) {
	key := newES256Key(t, "k1")
	e, err := NewEngine(map[string]any{
		"listen": "127.0.0.1:8000", "upstream": "http://127.0.0.1:8001", "admin": "127.0.0.1:9901",
		"server": map[string]any{"header_timeout": "5s"},
		"jwt": map[string]any{"providers": map[string]any{"idp": map[string]any{
			"issuer": testIssuer, "audiences": []string{testAudience}, "jwks": jwks(key)}}},
		"rules": []any{map[string]any{"requires": map[string]any{"jwt": []string{"idp"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	warnings := strings.Join(e.Warnings(), "\n")
	for _, name := range []string{"listen", "upstream", "admin", "server"} {
		if !strings.Contains(warnings, name) {
			t.Errorf("no warning names %q: %q", name, warnings)
		}
	}
}

func TestNewEngineConfigErrorsNameTheKey(t *testing.T) {
	_, err := NewEngine(`{"rules": [{"requires": "sometimes"}]}`)
	var e *Error
	if !errors.Is(err, ErrConfig) || !errors.As(err, &e) || !strings.Contains(e.Message, "rules[0].requires") {
		t.Errorf("error %v", err)
	}
	if _, err := NewEngine(`{}`); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "rules") {
		t.Errorf("no rules: %v", err)
	}
}

// A decision that waits for keys holds no OS thread and arrives later; a
// context that ends first ends the wait.
func TestEvaluateWaitsForTheNetwork(t *testing.T) {
	key, remoteKey := newES256Key(t, "k1"), newES256Key(t, "r1")
	remote := newJWKSServer(t, remoteKey)
	release := remote.holdRequests()
	e := apiEngine(t, key, remote)
	token := remoteKey.token(t, map[string]any{"iss": remoteIssuer, "aud": testAudience, "sub": "carol",
		"exp": time.Now().Unix() + 600}, nil)
	request := &Request{Method: "GET", Scheme: "http", Authority: "app.test", Target: "/remote/x",
		Headers: []Header{{"Authorization", "Bearer " + token}}}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if d, err := e.EvaluateRequest(ctx, request); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("decision %+v, error %v: want the context's deadline", d, err)
	}
	done := make(chan *Decision, 1)
	go func() {
		d, err := e.EvaluateRequest(context.Background(), request)
		if err != nil {
			t.Errorf("evaluate: %v", err)
		}
		done <- d
	}()
	time.Sleep(50 * time.Millisecond)
	release()
	select {
	case d := <-done:
		if d == nil || !d.Allow || d.Rule != "remote" || !strings.Contains(string(d.Claims), `"carol"`) {
			t.Errorf("decision %+v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no decision 5 s after the keys were served")
	}
}

func TestClosingTheEngineCancelsPendingDecisions(t *testing.T) {
	key, remoteKey := newES256Key(t, "k1"), newES256Key(t, "r1")
	remote := newJWKSServer(t, remoteKey)
	defer remote.holdRequests()()
	e := apiEngine(t, key, remote)
	token := remoteKey.token(t, map[string]any{"iss": remoteIssuer, "aud": testAudience, "sub": "carol",
		"exp": time.Now().Unix() + 600}, nil)
	r := httptest.NewRequest("GET", "/remote/x", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	results := make(chan decisionOutcome, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		d, err := e.Evaluate(context.Background(), r)
		results <- decisionOutcome{d, err}
	}()
	<-started
	time.Sleep(100 * time.Millisecond) // the evaluation waits for the held key fetch
	e.Close()
	select {
	case got := <-results:
		// The 0.2 spec has the callback report AUTHGATE_CANCELLED; a library
		// that answers the pending evaluation itself must refuse the request.
		if !errors.Is(got.err, ErrCancelled) && (got.err != nil || got.decision.Allow) {
			t.Errorf("pending evaluation after Close: %+v, %v; want ErrCancelled or a refusal", got.decision, got.err)
		}
		if got.err == nil {
			t.Logf("the library answered the pending evaluation: %d %s (%s)", got.decision.Status, got.decision.Outcome, got.decision.Reason.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pending evaluation never ended after Close")
	}
	if _, err := e.Evaluate(context.Background(), r); !errors.Is(err, ErrClosed) {
		t.Errorf("Evaluate after Close: %v", err)
	}
	w, s := serve(t, e, r)
	if w.Code != 503 || s.called {
		t.Errorf("middleware on a closed engine: %d, handler called %v", w.Code, s.called)
	}
}

func TestMiddlewareIsSafeForConcurrentUse(t *testing.T) {
	key := newES256Key(t, "k1")
	e := apiEngine(t, key, nil)
	var s sync.Map
	server := httptest.NewServer(Middleware(e)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		identity, _ := IdentityFrom(r.Context())
		s.Store(identity.Subject, true)
		_, _ = io.WriteString(w, identity.Subject)
	})))
	defer server.Close()
	tokens := map[string]string{}
	for _, sub := range []string{"u0", "u1", "u2", "u3"} {
		tokens[sub] = apiToken(t, key, map[string]any{"sub": sub})
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				sub := []string{"u0", "u1", "u2", "u3"}[(g+i)%4]
				req, _ := http.NewRequest("GET", server.URL+"/api/x", nil)
				want := 401
				if i%3 != 0 {
					req.Header.Set("Authorization", "Bearer "+tokens[sub])
					want = 200
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want || (want == 200 && string(body) != sub) {
					t.Errorf("status %d body %q, want %d %s", resp.StatusCode, body, want, sub)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	stats, err := e.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Outcomes["allowed"] != 8*33 || stats.Outcomes["unauthorized"] != 8*17 || stats.Refusals["token_missing"] != 8*17 {
		t.Errorf("stats %+v", stats)
	}
}

// The engine caches verified tokens without a token_cache key: the same
// token again is a cache hit.
func TestEngineCachesVerifiedTokensByDefault(t *testing.T) {
	key := newES256Key(t, "k1")
	e := apiEngine(t, key, nil)
	token := apiToken(t, key, nil)
	for i := 0; i < 3; i++ {
		r := httptest.NewRequest("GET", "http://app.test/api/x", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		if w, _ := serve(t, e, r); w.Code != 200 {
			t.Fatalf("request %d: status %d", i, w.Code)
		}
	}
	stats, err := e.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Counters["token_cache_hits"] != 2 || stats.Counters["token_cache_misses"] != 1 {
		t.Errorf("counters %v, want 2 hits and 1 miss", stats.Counters)
	}
}

func TestStatsNameTheFailingKeySource(t *testing.T) {
	key := newES256Key(t, "k1")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer down.Close()
	e := apiEngine(t, key, &jwksServer{Server: down})
	deadline := time.Now().Add(5 * time.Second)
	for {
		stats, err := e.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stats.KeyErrors["remote"], "500") {
			if _, listed := stats.KeyErrors["idp"]; listed || stats.Counters["jwks_fetch_failures"] == 0 {
				t.Errorf("stats %+v", stats)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no key error for the failing provider: %+v", stats)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
