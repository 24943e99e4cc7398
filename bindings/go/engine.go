package authgate

/*
#include <stdint.h>
#include <authgate/authgate.h>

extern void authgateGoDecisionDone(authgate_status, authgate_decision *, void *);

// evaluate_async passes the cgo.Handle as the userdata pointer: a Go pointer
// must not be kept by C, an integer may.
static authgate_status evaluate_async(authgate_decision **out_decision,
                                      const authgate_engine *engine,
                                      const authgate_request *request, uintptr_t handle,
                                      authgate_error **error) {
  return authgate_engine_evaluate_async(out_decision, engine, request, authgateGoDecisionDone,
                                        (void *)handle, error);
}
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
)

// Engine decides about whole HTTP requests as the authgate sidecar does: the
// OpenID Connect login with its session cookies, Bearer JWTs, route rules and
// claim conditions (docs/config.md, "engine"). Safe for concurrent use.
type Engine struct {
	// mu is held shared by every call and exclusively by Close: the C ABI
	// forbids freeing an engine while a call on it runs.
	mu       sync.RWMutex
	ptr      *C.authgate_engine
	warnings []string
}

// NewEngine creates an engine from its JSON configuration (a string, []byte
// or json.RawMessage holding the document, or a value encoding/json marshals
// into it). The sidecar's whole document may be passed: its server-only keys
// (listen, upstream, admin, server) are ignored with a warning. Key and
// provider metadata fetches start at once; see WaitReady.
func NewEngine(config any) (*Engine, error) {
	if err := checkLibrary(); err != nil {
		return nil, err
	}
	document, err := configDocument(config)
	if err != nil {
		return nil, err
	}
	var ptr *C.authgate_engine
	var cerr *C.authgate_error
	p, n := cBytes(document)
	if status := C.authgate_engine_new(&ptr, p, n, &cerr); status != C.AUTHGATE_OK {
		return nil, newError(status, cerr)
	}
	e := &Engine{ptr: ptr}
	for i := C.size_t(0); i < C.authgate_engine_warning_count(ptr); i++ {
		e.warnings = append(e.warnings, C.GoString(C.authgate_engine_warning(ptr, i)))
	}
	// A safety net only: the engine holds an HTTP and a timer thread until
	// freed, so callers should Close it.
	runtime.SetFinalizer(e, (*Engine).Close)
	return e, nil
}

// Close frees the engine, after waiting for calls in flight; evaluations
// still waiting for the network then end with ErrCancelled. Closing twice is
// a no-op.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ptr != nil {
		C.authgate_engine_free(e.ptr)
		e.ptr = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}

// Warnings lists the configuration's warnings (cookies without Secure on
// plain http, providers without audiences, ignored sidecar keys).
func (e *Engine) Warnings() []string { return append([]string(nil), e.warnings...) }

// Ready reports whether the provider metadata and every key source are
// loaded. It never blocks.
func (e *Engine) Ready() (bool, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ptr == nil {
		return false, ErrClosed
	}
	var ready C.int
	var cerr *C.authgate_error
	if status := C.authgate_engine_ready(&ready, e.ptr, &cerr); status != C.AUTHGATE_OK {
		return false, newError(status, cerr)
	}
	return ready != 0, nil
}

// WaitReady blocks until the engine is ready or ctx ends (then the error is
// ctx's, or, at its deadline, the library's, matching ErrTimeout).
func (e *Engine) WaitReady(ctx context.Context) error {
	return waitReady(ctx, func(timeoutMs C.uint32_t, cerr **C.authgate_error) (C.authgate_status, bool) {
		e.mu.RLock()
		defer e.mu.RUnlock()
		if e.ptr == nil {
			return 0, false
		}
		return C.authgate_engine_wait_ready(e.ptr, timeoutMs, cerr), true
	})
}

// Request is an incoming HTTP request as the engine sees it. Middleware and
// Evaluate build it from an *http.Request; other servers fill it themselves.
type Request struct {
	Method string
	// Scheme is "http" or "https", as the client used.
	Scheme string
	// Authority is host[:port], the Host header.
	Authority string
	// Target is the path and query, undecoded, as received: "/a?b=1".
	Target string
	// ClientAddress is the peer's IP address (the login callback's rate
	// limit counts by it).
	ClientAddress string
	// Headers in arrival order; repeated headers once each.
	Headers []Header
}

// Header is one header field.
type Header struct {
	Name, Value string
}

// decisionOutcome carries an asynchronous decision from the library's
// thread to the waiting goroutine.
type decisionOutcome struct {
	decision *Decision
	err      error
}

// EvaluateRequest decides about request. When the decision needs the
// network (a code exchange, a refresh, a key refetch) it waits for it
// without holding an OS thread, until the decision arrives or ctx ends (then
// ctx's error; the library finishes the step and the decision is dropped).
// A refused request is not an error: the refusal is the Decision.
func (e *Engine) EvaluateRequest(ctx context.Context, request *Request) (*Decision, error) {
	done := make(chan decisionOutcome, 1)
	handle := cgo.NewHandle(done)
	now, pending := e.evaluateAsync(request, handle)
	if !pending {
		handle.Delete()
		return now.decision, now.err
	}
	select {
	case outcome := <-done:
		return outcome.decision, outcome.err
	case <-ctx.Done():
		// The callback still runs once and frees the decision; done is
		// buffered so that it never blocks on a goroutine that left.
		return nil, ctx.Err()
	}
}

// evaluateAsync starts an asynchronous evaluation: pending, or the decision
// known at once.
func (e *Engine) evaluateAsync(request *Request, handle cgo.Handle) (decisionOutcome, bool) {
	cRequest, err := newCRequest(request)
	if err != nil {
		return decisionOutcome{err: err}, false
	}
	defer C.authgate_request_free(cRequest)
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ptr == nil {
		return decisionOutcome{err: ErrClosed}, false
	}
	var cDecision *C.authgate_decision
	var cerr *C.authgate_error
	switch status := C.evaluate_async(&cDecision, e.ptr, cRequest, C.uintptr_t(handle), &cerr); status {
	case C.AUTHGATE_PENDING:
		return decisionOutcome{}, true
	case C.AUTHGATE_OK:
		return decisionOutcome{decision: takeDecision(cDecision)}, false
	default:
		return decisionOutcome{err: newError(status, cerr)}, false
	}
}

// newCRequest copies request into a new C request, freed by the caller.
func newCRequest(request *Request) (*C.authgate_request, error) {
	var cRequest *C.authgate_request
	var cerr *C.authgate_error
	if status := C.authgate_request_new(&cRequest, &cerr); status != C.AUTHGATE_OK {
		return nil, newError(status, cerr)
	}
	fields := [...]struct {
		field C.authgate_request_field
		value string
	}{
		{C.AUTHGATE_REQUEST_METHOD, request.Method},
		{C.AUTHGATE_REQUEST_SCHEME, request.Scheme},
		{C.AUTHGATE_REQUEST_AUTHORITY, request.Authority},
		{C.AUTHGATE_REQUEST_TARGET, request.Target},
		{C.AUTHGATE_REQUEST_CLIENT_ADDRESS, request.ClientAddress},
	}
	for _, f := range fields {
		p, n := cText(f.value)
		if status := C.authgate_request_set(cRequest, f.field, p, n, &cerr); status != C.AUTHGATE_OK {
			C.authgate_request_free(cRequest)
			return nil, newError(status, cerr)
		}
	}
	for _, h := range request.Headers {
		name, nameLen := cText(h.Name)
		value, valueLen := cText(h.Value)
		if status := C.authgate_request_add_header(cRequest, name, nameLen, value, valueLen, &cerr); status != C.AUTHGATE_OK {
			C.authgate_request_free(cRequest)
			return nil, newError(status, cerr)
		}
	}
	return cRequest, nil
}

// EngineStats are an engine's counters by their stable names.
type EngineStats struct {
	// Outcomes counts decisions: allowed, login_redirect, logged_in,
	// signed_out, unauthorized, forbidden, bad_request, unavailable.
	Outcomes map[string]uint64
	// Refusals counts refused requests by reason name ("none" stays 0).
	Refusals map[string]uint64
	// Counters: logins_started, logins_completed, logins_failed, refreshes,
	// refresh_failures, jwks_fetch_successes, jwks_fetch_failures,
	// token_cache_hits, token_cache_misses.
	Counters map[string]uint64
	// KeyErrors names each `jwt` provider whose last key fetch failed, with
	// that fetch's error (the keys fetched before stay in use).
	KeyErrors map[string]string
}

// Stats reads the engine's counters (one by one, not as one snapshot).
func (e *Engine) Stats() (EngineStats, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ptr == nil {
		return EngineStats{}, ErrClosed
	}
	var stats EngineStats
	sets := []struct {
		set C.authgate_counter_set
		out *map[string]uint64
	}{
		{C.AUTHGATE_COUNTERS_OUTCOMES, &stats.Outcomes},
		{C.AUTHGATE_COUNTERS_REASONS, &stats.Refusals},
		{C.AUTHGATE_COUNTERS_ENGINE, &stats.Counters},
	}
	for _, s := range sets {
		counters, err := readCounters(s.set, func(values *C.uint64_t, capacity C.size_t, count *C.size_t, cerr **C.authgate_error) C.authgate_status {
			return C.authgate_engine_counters(values, capacity, count, e.ptr, s.set, cerr)
		})
		if err != nil {
			return EngineStats{}, err
		}
		*s.out = counters
	}
	stats.KeyErrors = map[string]string{}
	for i := C.size_t(0); ; i++ {
		var provider, message *C.char
		var cerr *C.authgate_error
		status := C.authgate_engine_key_error(&provider, &message, e.ptr, i, &cerr)
		if status == C.AUTHGATE_NOT_FOUND {
			C.authgate_error_free(cerr)
			break
		}
		if status != C.AUTHGATE_OK {
			return EngineStats{}, newError(status, cerr)
		}
		if C.GoString(message) != "" {
			stats.KeyErrors[C.GoString(provider)] = C.GoString(message)
		}
		C.authgate_string_free(provider)
		C.authgate_string_free(message)
	}
	return stats, nil
}
