package authgate

/*
#include <stdint.h>
#include <authgate/authgate.h>

extern void authgateGoVerifyDone(authgate_status, authgate_result *, authgate_error *, void *);

// verify_async passes the cgo.Handle as the userdata pointer: a Go pointer
// must not be kept by C, an integer may.
static authgate_status verify_async(authgate_result **out_result, authgate_verifier *verifier,
                                    const char *token, size_t token_len, uintptr_t handle,
                                    authgate_error **error) {
  return authgate_verifier_verify_async(out_result, verifier, token, token_len,
                                        authgateGoVerifyDone, (void *)handle, error);
}
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
)

// Verifier checks compact JWS/JWT tokens against configured keys and claim
// rules (docs/config.md, "verifier"). Safe for concurrent use.
type Verifier struct {
	// mu is held shared by every call and exclusively by Close: the C ABI
	// forbids freeing a verifier while a call on it runs.
	mu       sync.RWMutex
	ptr      *C.authgate_verifier
	warnings []string
}

// NewVerifier creates a verifier from its JSON configuration: a string,
// []byte or json.RawMessage holding the document, or a value encoding/json
// marshals into it (a map[string]any). An invalid document is an *Error
// matching ErrConfig whose message names the key.
func NewVerifier(config any) (*Verifier, error) {
	if err := checkLibrary(); err != nil {
		return nil, err
	}
	document, err := configDocument(config)
	if err != nil {
		return nil, err
	}
	var ptr *C.authgate_verifier
	var cerr *C.authgate_error
	p, n := cBytes(document)
	if status := C.authgate_verifier_new(&ptr, p, n, &cerr); status != C.AUTHGATE_OK {
		return nil, newError(status, cerr)
	}
	v := &Verifier{ptr: ptr}
	for i := C.size_t(0); i < C.authgate_verifier_warning_count(ptr); i++ {
		v.warnings = append(v.warnings, C.GoString(C.authgate_verifier_warning(ptr, i)))
	}
	// A safety net only: the verifier holds key-refresh threads and memory
	// until freed, so callers should Close it.
	runtime.SetFinalizer(v, (*Verifier).Close)
	return v, nil
}

// Close frees the verifier, after waiting for calls in flight. A pending
// VerifyContext then ends with ErrCancelled. Closing twice is a no-op.
func (v *Verifier) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ptr != nil {
		C.authgate_verifier_free(v.ptr)
		v.ptr = nil
		runtime.SetFinalizer(v, nil)
	}
	return nil
}

// Warnings lists what the configuration's keys lost at creation (a key
// skipped, and why).
func (v *Verifier) Warnings() []string { return append([]string(nil), v.warnings...) }

// Verify checks token at the current time. A token judged invalid is a
// *Rejection (errors.Is(err, ErrExpired), ...); another error is a failure of
// the call. It never waits for the network: before the first keys arrive a
// token is ErrJWKSUnavailable, and a token with an unknown `kid` is
// ErrKeyNotFound (VerifyContext waits for the refetch instead).
func (v *Verifier) Verify(token string) (Claims, error) {
	// The deferred unlock also keeps v alive, and with it v.ptr, until the
	// C call has returned.
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return Claims{}, ErrClosed
	}
	var result *C.authgate_result
	var cerr *C.authgate_error
	p, n := cText(token)
	status := C.authgate_verifier_verify(&result, v.ptr, p, n, &cerr)
	return takeResult(status, result, cerr)
}

// Check is Verify for the verdict only: nothing is decoded or copied into
// Go, for a gateway that only allows or denies.
func (v *Verifier) Check(token string) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return ErrClosed
	}
	var cerr *C.authgate_error
	p, n := cText(token)
	if status := C.authgate_verifier_verify(nil, v.ptr, p, n, &cerr); status != C.AUTHGATE_OK {
		return newError(status, cerr)
	}
	return nil
}

// VerifyAt is Verify at the given time instead of now (tests, replays).
func (v *Verifier) VerifyAt(token string, now time.Time) (Claims, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return Claims{}, ErrClosed
	}
	var result *C.authgate_result
	var cerr *C.authgate_error
	p, n := cText(token)
	status := C.authgate_verifier_verify_at(&result, v.ptr, p, n, C.int64_t(now.Unix()), &cerr)
	return takeResult(status, result, cerr)
}

// verifyOutcome carries an asynchronous verdict from the library's thread
// to the waiting goroutine.
type verifyOutcome struct {
	claims Claims
	err    error
}

// VerifyContext is Verify that, for a token whose key may still arrive (an
// unknown `kid` after a rotation, or no keys fetched yet), waits for the
// refetch, up to the configured async_timeout or until ctx ends. The wait
// holds no OS thread.
func (v *Verifier) VerifyContext(ctx context.Context, token string) (Claims, error) {
	done := make(chan verifyOutcome, 1)
	handle := cgo.NewHandle(done)
	now, pending := v.verifyAsync(token, handle)
	if !pending {
		handle.Delete()
		return now.claims, now.err
	}
	select {
	case outcome := <-done:
		return outcome.claims, outcome.err
	case <-ctx.Done():
		// The callback still runs once and frees what it gets; done is
		// buffered so that it never blocks on a goroutine that left.
		return Claims{}, ctx.Err()
	}
}

// verifyAsync starts an asynchronous verification: pending, or the verdict
// known at once.
func (v *Verifier) verifyAsync(token string, handle cgo.Handle) (verifyOutcome, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return verifyOutcome{err: ErrClosed}, false
	}
	var result *C.authgate_result
	var cerr *C.authgate_error
	p, n := cText(token)
	status := C.verify_async(&result, v.ptr, p, n, C.uintptr_t(handle), &cerr)
	if status == C.AUTHGATE_PENDING {
		return verifyOutcome{}, true
	}
	claims, err := takeResult(status, result, cerr)
	return verifyOutcome{claims: claims, err: err}, false
}

// takeResult turns a verification's outcome into Go values and frees the C
// objects.
func takeResult(status C.authgate_status, result *C.authgate_result, cerr *C.authgate_error) (Claims, error) {
	if status != C.AUTHGATE_OK {
		return Claims{}, newError(status, cerr)
	}
	defer C.authgate_result_free(result)
	return newClaims(result)
}

// WaitReady blocks until every key source has keys, or ctx ends (then the
// error is ctx's, or ErrTimeout with the last fetch error when the library
// says so). For hosts that want to wait at start-up.
func (v *Verifier) WaitReady(ctx context.Context) error {
	return waitReady(ctx, func(timeoutMs C.uint32_t, cerr **C.authgate_error) (C.authgate_status, bool) {
		v.mu.RLock()
		defer v.mu.RUnlock()
		if v.ptr == nil {
			return 0, false
		}
		return C.authgate_verifier_wait_ready(v.ptr, timeoutMs, cerr), true
	})
}

// readyPoll bounds each blocking wait inside WaitReady, so that a cancelled
// context is noticed within it and Close is not held up longer.
const readyPoll = 100 * time.Millisecond

// waitReady calls wait (a C wait_ready bounded by its argument) in slices
// of readyPoll until it succeeds, fails otherwise than by timing out, or ctx
// ends. wait reports false when the handle is closed. When ctx's deadline
// passes, the library's timeout error is returned: it carries the last
// fetch error, and matches ErrTimeout.
func waitReady(ctx context.Context, wait func(C.uint32_t, **C.authgate_error) (C.authgate_status, bool)) error {
	for {
		slice := readyPoll
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < slice {
			slice = time.Until(deadline)
		}
		if slice < time.Millisecond {
			slice = time.Millisecond
		}
		var cerr *C.authgate_error
		status, open := wait(C.uint32_t(slice.Milliseconds()), &cerr)
		if !open {
			return ErrClosed
		}
		if status == C.AUTHGATE_OK {
			return nil
		}
		err := newError(status, cerr)
		switch {
		case status != C.AUTHGATE_TIMEOUT:
			return err
		case ctx.Err() == context.DeadlineExceeded:
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		}
	}
}

// Refresh asks every remote key source to refetch now, in the background.
func (v *Verifier) Refresh() error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return ErrClosed
	}
	var cerr *C.authgate_error
	if status := C.authgate_verifier_refresh(v.ptr, &cerr); status != C.AUTHGATE_OK {
		return newError(status, cerr)
	}
	return nil
}

// Stats returns the verifier's counters by their stable names: keys (held
// now), jwks_fetch_successes, jwks_fetch_failures, token_cache_entries,
// token_cache_hits, token_cache_misses.
func (v *Verifier) Stats() (map[string]uint64, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return nil, ErrClosed
	}
	return readCounters(C.AUTHGATE_COUNTERS_VERIFIER, func(values *C.uint64_t, capacity C.size_t, count *C.size_t, cerr **C.authgate_error) C.authgate_status {
		return C.authgate_verifier_counters(values, capacity, count, v.ptr, C.AUTHGATE_COUNTERS_VERIFIER, cerr)
	})
}

// readCounters reads a whole counter set through read (a *_counters call):
// first its size, then the values, named by authgate_counter_name.
func readCounters(set C.authgate_counter_set, read func(*C.uint64_t, C.size_t, *C.size_t, **C.authgate_error) C.authgate_status) (map[string]uint64, error) {
	var count C.size_t
	var cerr *C.authgate_error
	if status := read(nil, 0, &count, &cerr); status != C.AUTHGATE_OK {
		return nil, newError(status, cerr)
	}
	counters := make(map[string]uint64, count)
	if count == 0 {
		return counters, nil
	}
	values := make([]C.uint64_t, count)
	if status := read(&values[0], C.size_t(len(values)), &count, &cerr); status != C.AUTHGATE_OK {
		return nil, newError(status, cerr)
	}
	for i := C.size_t(0); i < count && i < C.size_t(len(values)); i++ {
		if name := C.authgate_counter_name(set, i); name != nil {
			counters[C.GoString(name)] = uint64(values[i])
		}
	}
	return counters, nil
}
