package authgate

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The whole login against the npm oidc-provider the end-to-end tests use
// (scripts/lib/provider.mjs), with a client that does what a browser does:
// follows the redirects, submits the development login and consent forms,
// and keeps cookies per host.

// requireProvider makes a missing provider a failure instead of a skip
// (run_tests.sh sets it; a bare `go test` without node_modules skips).
const requireProvider = "AUTHGATE_GO_REQUIRE_PROVIDER"

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func freePort(t *testing.T) int {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

func randomSecret(t *testing.T) string {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(secret)
}

// startProvider runs the test provider for the app at appURL and returns
// its issuer, http://localhost:PORT (another cookie host than 127.0.0.1).
func startProvider(t *testing.T, appURL, clientSecret string) string {
	t.Helper()
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "oidc-provider")); err != nil {
		if os.Getenv(requireProvider) != "" {
			t.Fatalf("no oidc-provider under %s/node_modules (npm ci at the repository root)", root)
		}
		t.Skip("no oidc-provider in node_modules: run npm ci at the repository root")
	}
	port := freePort(t)
	cmd := exec.Command("node", filepath.Join(root, "scripts", "lib", "provider.mjs"),
		"--port", fmt.Sprint(port), "--redirect-uri", appURL+"/callback",
		"--post-logout-redirect-uri", appURL+"/public/", "--audience", appURL+"/")
	// The secret goes through the environment, not the command line that
	// every local user can read.
	cmd.Env = append(os.Environ(), "AUTHGATE_CLIENT_SECRET="+clientSecret)
	cmd.Stderr = io.Discard
	cmd.SysProcAttr = childAttributes()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && !strings.Contains(line, `"listening"`) {
			err = fmt.Errorf("unexpected first line %q", line)
		}
		ready <- err
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("the provider did not start: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the provider did not start within 20 s")
	}
	return fmt.Sprintf("http://localhost:%d", port)
}

// demoConfig is examples/demo/authgate.yaml as JSON, for the app at appURL.
func demoConfig(appURL, issuer, sessionSecret, clientSecret string) map[string]any {
	return map[string]any{
		"session": map[string]any{"secret": sessionSecret},
		"oidc": map[string]any{
			"issuer": issuer, "client_id": "hello-world", "client_secret": clientSecret,
			"redirect_uri": appURL + "/callback", "scopes": []string{"openid", "profile", "email"},
			"signout_path": "/signout", "post_logout_redirect_uri": appURL + "/public/",
			"forward_bearer_token": true,
			"claim_to_headers":     []any{map[string]any{"claim": "sub", "header": "x-authgate-sub"}},
		},
		"jwt": map[string]any{"providers": map[string]any{"idp": map[string]any{
			"issuer": issuer, "audiences": []string{appURL + "/"},
			"claim_to_headers": []any{map[string]any{"claim": "sub", "header": "x-authgate-sub"}},
		}}},
		"rules": []any{
			map[string]any{"match": map[string]any{"prefix": "/public"}, "requires": "none"},
			map[string]any{"match": map[string]any{"prefix": "/api"}, "requires": map[string]any{"jwt": []string{"idp"}},
				"claims": map[string]any{"scope": map[string]any{"contains": "api:read"}}},
			map[string]any{"match": map[string]any{"prefix": "/"}, "requires": "login"},
		},
	}
}

// echoed is what the protected app answers: who asked, and how.
type echoed struct {
	Subject string            `json:"subject"`
	Claims  map[string]any    `json:"claims"`
	Headers map[string]string `json:"headers"`
	Path    string            `json:"path"`
}

// String describes the answer for a failure message: header names only,
// since values carry tokens and cookies.
func (e echoed) String() string {
	names := make([]string, 0, len(e.Headers))
	for name := range e.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	return fmt.Sprintf("subject %q, path %q, claims %d, headers %v", e.Subject, e.Path, len(e.Claims), names)
}

// echoHandler is the app of the in-process login test; examples/go answers
// the same way.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	answer := echoed{Headers: map[string]string{}, Path: r.URL.Path}
	if identity, ok := IdentityFrom(r.Context()); ok {
		answer.Subject, answer.Claims = identity.Subject, identity.Claims
	}
	for name, values := range r.Header {
		answer.Headers[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

func TestLoginAgainstTheTestProvider(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + listener.Addr().String()
	clientSecret := randomSecret(t)
	issuer := startProvider(t, appURL, clientSecret)
	config := demoConfig(appURL, issuer, randomSecret(t), clientSecret)
	// Short enough that the test sees an allowed answer renew the session.
	config["session"].(map[string]any)["idle_timeout"] = "4s"
	engine, err := NewEngine(config)
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := engine.WaitReady(ctx); err != nil {
		t.Fatalf("the provider's metadata and keys: %v", err)
	}
	if ready, err := engine.Ready(); !ready || err != nil {
		t.Errorf("Ready after WaitReady: %v %v", ready, err)
	}
	app := httptest.NewUnstartedServer(Middleware(engine)(http.HandlerFunc(echoHandler)))
	app.Listener.Close()
	app.Listener = listener
	app.Start()
	defer app.Close()
	checkLoginFlow(t, appURL, issuer, time.Second+100*time.Millisecond)

	stats, err := engine.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Counters["logins_started"] < 1 || stats.Counters["logins_completed"] != 1 || stats.Outcomes["logged_in"] != 1 {
		t.Errorf("stats %+v", stats)
	}
}

// TestExampleAgainstTheTestProvider runs the same flow against examples/go,
// started by run_tests.sh, which names it and its provider.
func TestExampleAgainstTheTestProvider(t *testing.T) {
	appURL, issuer := os.Getenv("AUTHGATE_GO_EXAMPLE_URL"), os.Getenv("AUTHGATE_GO_EXAMPLE_ISSUER")
	if appURL == "" || issuer == "" {
		t.Skip("run by run_tests.sh with AUTHGATE_GO_EXAMPLE_URL and AUTHGATE_GO_EXAMPLE_ISSUER")
	}
	checkLoginFlow(t, appURL, issuer, 0)
}

// browser is an HTTP client that stops at every redirect, so that each
// step can be checked, and keeps cookies per host as a browser does.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request and reads the whole answer.
func (b *browser) do(method, target string, form url.Values, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range header {
		req.Header.Set(name, value)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, withoutQuery(target), err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, string(text)
}

var html = map[string]string{"Accept": "text/html"}

// withoutQuery is a URL for a failure message: queries here carry codes,
// state and ID tokens.
func withoutQuery(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		return target[:i] + "?..."
	}
	return target
}

// location resolves resp's Location against the URL it answered.
func location(t *testing.T, resp *http.Response) string {
	t.Helper()
	target, err := resp.Location()
	if err != nil {
		t.Fatalf("%s %s: status %d without a Location", resp.Request.Method, withoutQuery(resp.Request.URL.String()), resp.StatusCode)
	}
	return target.String()
}

var (
	formAction  = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
	formPrompt  = regexp.MustCompile(`name="prompt" value="([a-z]+)"`)
	sessionName = "authgate_session"
)

// login goes from the app's redirect through the provider's forms to the
// app's callback URL, logging in as user.
func (b *browser) login(authorize, appURL, user string) string {
	b.t.Helper()
	next := authorize
	for step := 0; step < 16; step++ {
		resp, body := b.do("GET", next, nil, html)
		if resp.StatusCode == http.StatusOK {
			action, prompt := formAction.FindStringSubmatch(body), formPrompt.FindStringSubmatch(body)
			if action == nil || prompt == nil {
				b.t.Fatalf("%s: a page without the login or consent form", withoutQuery(next))
			}
			form := url.Values{"prompt": {prompt[1]}}
			if prompt[1] == "login" {
				form.Set("login", user)
				form.Set("password", "any")
			}
			target, _ := resp.Request.URL.Parse(action[1])
			resp, _ = b.do("POST", target.String(), form, html)
		}
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			b.t.Fatalf("%s %s: status %d", resp.Request.Method, withoutQuery(resp.Request.URL.String()), resp.StatusCode)
		}
		next = location(b.t, resp)
		if strings.HasPrefix(next, appURL+"/callback?") {
			return next
		}
	}
	b.t.Fatal("no callback after 16 steps at the provider")
	return ""
}

func (b *browser) echo(target string, header map[string]string) (*http.Response, echoed) {
	b.t.Helper()
	resp, body := b.do("GET", target, nil, header)
	var answer echoed
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &answer); err != nil {
			b.t.Fatalf("GET %s: %v", withoutQuery(target), err)
		}
	}
	return resp, answer
}

// clientCredentials gets an access token for the API from the provider.
func clientCredentials(t *testing.T, issuer, client, secret string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", issuer+"/token", strings.NewReader("grant_type=client_credentials&scope=api%3Aread"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.AccessToken == "" {
		t.Fatalf("client credentials for %s: status %d, %v", client, resp.StatusCode, err)
	}
	return answer.AccessToken
}

func hasSessionCookie(resp *http.Response, deleted bool) bool {
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, sessionName) && (c.MaxAge < 0 || c.Value == "") == deleted {
			return true
		}
	}
	return false
}

// checkLoginFlow logs in at the app protected with demoConfig, uses the
// session, an API token, and signs out. With renewAfter, it also waits that
// long and checks that an allowed answer carries the renewed session cookie.
func checkLoginFlow(t *testing.T, appURL, issuer string, renewAfter time.Duration) {
	b := newBrowser(t)

	resp, _ := b.echo(appURL+"/app/page?x=1", map[string]string{"Accept": "application/json"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an API client without a session: status %d, want 401", resp.StatusCode)
	}

	resp, _ = b.do("GET", appURL+"/app/page?x=1", nil, html)
	authorize := location(t, resp)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(authorize, issuer+"/auth?") {
		t.Fatalf("a browser without a session: status %d to %q, want 302 to the provider", resp.StatusCode, withoutQuery(authorize))
	}
	query, _ := url.Parse(authorize)
	params := query.Query()
	if params.Get("client_id") != "hello-world" || params.Get("redirect_uri") != appURL+"/callback" ||
		params.Get("code_challenge_method") != "S256" || params.Get("state") == "" || params.Get("nonce") == "" {
		t.Errorf("authorization request: client_id %q, redirect_uri %q, code_challenge_method %q, state and nonce set %v",
			params.Get("client_id"), params.Get("redirect_uri"), params.Get("code_challenge_method"), params.Get("state") != "" && params.Get("nonce") != "")
	}

	callback := b.login(authorize, appURL, "alice")
	resp, _ = b.do("GET", callback, nil, html)
	if resp.StatusCode != http.StatusFound || location(t, resp) != appURL+"/app/page?x=1" || !hasSessionCookie(resp, false) {
		t.Fatalf("callback: status %d to %q, session cookie set %v", resp.StatusCode, withoutQuery(resp.Header.Get("Location")), hasSessionCookie(resp, false))
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("callback Cache-Control %q", resp.Header.Get("Cache-Control"))
	}

	resp, page := b.echo(appURL+"/app/page?x=1", html)
	if resp.StatusCode != http.StatusOK || page.Subject != "alice" || page.Path != "/app/page" {
		t.Fatalf("after the login: status %d, %s", resp.StatusCode, page)
	}
	if page.Headers["x-authgate-sub"] != "alice" || !strings.HasPrefix(page.Headers["authorization"], "Bearer ") ||
		strings.Contains(page.Headers["cookie"], sessionName) || page.Claims["iss"] != issuer {
		t.Errorf("what the app received: %s", page)
	}

	if renewAfter > 0 {
		time.Sleep(renewAfter)
		resp, page = b.echo(appURL+"/app/other", html)
		if resp.StatusCode != http.StatusOK || page.Subject != "alice" || !hasSessionCookie(resp, false) {
			t.Errorf("after %v: status %d, subject %q, renewed session cookie %v", renewAfter, resp.StatusCode, page.Subject, hasSessionCookie(resp, false))
		}
	}

	api := newBrowser(t)
	token := clientCredentials(t, issuer, "api-client", "api-client-secret")
	resp, page = api.echo(appURL+"/api/orders", map[string]string{"Authorization": "Bearer " + token})
	if resp.StatusCode != http.StatusOK || page.Subject == "" || page.Headers["x-authgate-sub"] != page.Subject || page.Headers["authorization"] != "" {
		t.Errorf("a Bearer token with api:read: status %d, %s", resp.StatusCode, page)
	}
	noScope := clientCredentials(t, issuer, "api-client-noscope", "api-client-noscope-secret")
	if resp, _ = api.echo(appURL+"/api/orders", map[string]string{"Authorization": "Bearer " + noScope}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a Bearer token without api:read: status %d, want 403", resp.StatusCode)
	}
	if resp, _ = api.echo(appURL+"/api/orders", nil); resp.StatusCode != http.StatusUnauthorized ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
		t.Errorf("no token: status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, _ = api.echo(appURL+"/api/orders", map[string]string{"Authorization": "Bearer " + token + "x"}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an altered token: status %d, want 401", resp.StatusCode)
	}

	resp, _ = b.do("GET", appURL+"/signout", nil, html)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(location(t, resp), issuer+"/session/end") || !hasSessionCookie(resp, true) {
		t.Errorf("sign-out: status %d to %q, session cookie deleted %v", resp.StatusCode, withoutQuery(resp.Header.Get("Location")), hasSessionCookie(resp, true))
	}
	resp, _ = b.do("GET", appURL+"/app/page", nil, html)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(location(t, resp), issuer+"/auth?") {
		t.Errorf("after sign-out: status %d, want 302 to the provider", resp.StatusCode)
	}
}
