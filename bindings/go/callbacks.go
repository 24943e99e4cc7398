package authgate

// The functions the library calls back, on its own threads. A file with
// //export may only declare C functions, so the trampolines that pass them
// to the library live in verifier.go and engine.go.

/*
#include <authgate/authgate.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// authgateGoVerifyDone receives the verdict of a pending VerifyContext. It
// converts and frees everything at once, so that nothing leaks when the
// waiting goroutine has already left (its context ended).
//
//export authgateGoVerifyDone
func authgateGoVerifyDone(status C.authgate_status, result *C.authgate_result, cerr *C.authgate_error, userdata unsafe.Pointer) {
	handle := cgo.Handle(uintptr(userdata))
	done := handle.Value().(chan verifyOutcome)
	handle.Delete()
	claims, err := takeResult(status, result, cerr)
	done <- verifyOutcome{claims: claims, err: err}
}

// authgateGoDecisionDone receives the decision of a pending evaluation
// (status AUTHGATE_OK), or learns that none will come (AUTHGATE_CANCELLED:
// the engine was closed; AUTHGATE_OUT_OF_MEMORY). It copies and frees the
// decision at once, so that nothing leaks when the waiting goroutine has
// already left.
//
//export authgateGoDecisionDone
func authgateGoDecisionDone(status C.authgate_status, decision *C.authgate_decision, userdata unsafe.Pointer) {
	handle := cgo.Handle(uintptr(userdata))
	done := handle.Value().(chan decisionOutcome)
	handle.Delete()
	if status != C.AUTHGATE_OK {
		C.authgate_decision_free(decision)
		message := "out of memory before the decision was known"
		if status == C.AUTHGATE_CANCELLED {
			message = "the engine was closed before the decision was known"
		}
		done <- decisionOutcome{err: &Error{Status: Status(status), Message: message}}
		return
	}
	done <- decisionOutcome{decision: takeDecision(decision)}
}
