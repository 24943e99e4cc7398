package authgate

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Evaluate decides about an incoming net/http request (see EvaluateRequest).
// The request is described as the client sent it: the scheme from r.TLS,
// the authority from r.Host, the target from r.RequestURI, the client
// address from r.RemoteAddr, and every header. No X-Forwarded-* header is
// believed here: the engine's configuration decides what counts.
func (e *Engine) Evaluate(ctx context.Context, r *http.Request) (*Decision, error) {
	return e.EvaluateRequest(ctx, engineRequest(r))
}

func engineRequest(r *http.Request) *Request {
	request := &Request{
		Method:    r.Method,
		Scheme:    "http",
		Authority: r.Host,
		Target:    r.RequestURI,
	}
	if r.TLS != nil {
		request.Scheme = "https"
	}
	// An absolute-form target ("GET http://host/path", RFC 9112 3.2.2) has
	// its authority in r.Host already; the engine takes the origin form. A
	// request made in process (tests) has no RequestURI at all.
	if !strings.HasPrefix(request.Target, "/") {
		request.Target = r.URL.RequestURI()
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		request.ClientAddress = host
	}
	// net/http keeps headers in a map: the order between names is lost, the
	// order of one name's values is kept. Sorted, the engine sees the same
	// request every time.
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, value := range r.Header[name] {
			request.Headers = append(request.Headers, Header{Name: name, Value: value})
		}
	}
	return request
}

// Identity is who an allowed request comes from: the Bearer token's claims,
// or the session's ID-token claims.
type Identity struct {
	Subject string
	Claims  map[string]any
}

type identityKey struct{}

// IdentityFrom returns the identity Middleware put into an allowed
// request's context; false on a public route (no identity checked).
func IdentityFrom(ctx context.Context) (*Identity, bool) {
	identity, ok := ctx.Value(identityKey{}).(*Identity)
	return identity, ok
}

// Middleware protects a net/http handler with engine, as the sidecar
// protects an upstream: the engine's own answers (the redirect to the
// provider, the login callback, sign-out, 401, 403, 400, 429, 503) are
// written here; an allowed request reaches next with the engine's header
// changes applied, the target the rules judged, and its identity in the
// context (IdentityFrom); response headers of an allowed decision (a
// refreshed session's cookies) are added to next's response.
func Middleware(engine *Engine) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			decision, err := engine.Evaluate(r.Context(), r)
			if err != nil {
				if r.Context().Err() != nil {
					return // the client went away: nobody to answer
				}
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, "authentication unavailable", http.StatusServiceUnavailable)
				return
			}
			if !decision.Allow {
				writeAnswer(w, decision)
				return
			}
			allowed, err := allowedRequest(r, decision)
			if err != nil {
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			for _, h := range decision.ResponseHeaders {
				w.Header().Add(h.Name, h.Value)
			}
			next.ServeHTTP(w, allowed)
		})
	}
}

// writeAnswer writes the engine's own answer to the client.
func writeAnswer(w http.ResponseWriter, d *Decision) {
	header := w.Header()
	for _, h := range d.ResponseHeaders {
		header.Add(h.Name, h.Value)
	}
	w.WriteHeader(d.Status)
	_, _ = w.Write(d.Body)
}

// allowedRequest is r as the engine lets it through: a shallow copy with its
// own headers and URL, so that the caller's request is left as it came.
func allowedRequest(r *http.Request, d *Decision) (*http.Request, error) {
	ctx := r.Context()
	if len(d.Claims) > 0 {
		identity := &Identity{}
		if err := json.Unmarshal(d.Claims, &identity.Claims); err != nil {
			return nil, err
		}
		identity.Subject, _ = identity.Claims["sub"].(string)
		ctx = context.WithValue(ctx, identityKey{}, identity)
	}
	allowed := r.WithContext(ctx)
	allowed.Header = r.Header.Clone()
	if allowed.Header == nil {
		allowed.Header = http.Header{}
	}
	for _, name := range d.RemoveHeaders {
		removeHeader(allowed.Header, name)
	}
	for _, h := range d.SetHeaders {
		removeHeader(allowed.Header, h.Name)
		allowed.Header.Add(h.Name, h.Value)
	}
	target, err := url.ParseRequestURI(d.UpstreamTarget)
	if err != nil {
		return nil, err
	}
	u := *r.URL
	u.Path, u.RawPath, u.RawQuery = target.Path, target.RawPath, target.RawQuery
	allowed.URL = &u
	allowed.RequestURI = d.UpstreamTarget
	return allowed, nil
}

// removeHeader removes every spelling of name: any letter case, and `_` for
// `-`, since CGI-style frameworks read X_Authgate_Sub as X-Authgate-Sub.
func removeHeader(header http.Header, name string) {
	for key := range header {
		if sameHeaderName(key, name) {
			delete(header, key)
		}
	}
}

func sameHeaderName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldHeaderByte(a[i]) != foldHeaderByte(b[i]) {
			return false
		}
	}
	return true
}

func foldHeaderByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + ('a' - 'A')
	case c == '_':
		return '-'
	}
	return c
}
