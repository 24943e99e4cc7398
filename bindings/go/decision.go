package authgate

/*
#include <authgate/authgate.h>
*/
import "C"

import (
	"encoding/json"
	"unsafe"
)

// Decision is the engine's answer about one request, copied into Go memory.
type Decision struct {
	// Allow: pass the request on (to the handler, or upstream) with
	// UpstreamTarget, after removing RemoveHeaders and then setting
	// SetHeaders, and add ResponseHeaders to its response. Otherwise answer
	// the client with Status, ResponseHeaders and Body.
	Allow  bool
	Status int
	Body   []byte
	// UpstreamTarget is the normalised path the rules saw, with the original
	// query ("" when responding).
	UpstreamTarget string
	// Header names are lowercase.
	RemoveHeaders   []string
	SetHeaders      []Header
	ResponseHeaders []Header
	// For logs and metrics: the outcome's stable name ("allowed",
	// "login_redirect", "unauthorized", ...), why a request was refused
	// (ReasonNone when allowed), a detail fit for a log (never a token or
	// secret), and the rule that matched ("" when none).
	Outcome string
	Reason  Reason
	Detail  string
	Rule    string
	// Claims are the identity's claims when the request is allowed with one
	// (the Bearer token's payload, or the session's ID-token claims), as
	// JSON; nil otherwise.
	Claims json.RawMessage
}

// takeDecision copies d into Go memory and frees it.
func takeDecision(d *C.authgate_decision) *Decision {
	defer C.authgate_decision_free(d)
	var length C.size_t
	out := &Decision{
		Allow:   C.authgate_decision_action(d) == C.AUTHGATE_ACTION_ALLOW,
		Status:  int(C.authgate_decision_status(d)),
		Outcome: C.GoString(C.authgate_decision_outcome(d)),
		Reason:  Reason(C.authgate_decision_reason(d)),
		Rule:    C.GoString(C.authgate_decision_rule(d)),
	}
	text := C.authgate_decision_upstream_target(d, &length)
	out.UpstreamTarget = C.GoStringN(text, C.int(length))
	text = C.authgate_decision_detail(d, &length)
	out.Detail = C.GoStringN(text, C.int(length))
	text = C.authgate_decision_body(d, &length)
	out.Body = C.GoBytes(unsafe.Pointer(text), C.int(length))
	if text = C.authgate_decision_claims_json(d, &length); length > 0 {
		out.Claims = C.GoBytes(unsafe.Pointer(text), C.int(length))
	}
	for _, h := range decisionHeaders(d, C.AUTHGATE_HEADERS_REMOVE) {
		out.RemoveHeaders = append(out.RemoveHeaders, h.Name)
	}
	out.SetHeaders = decisionHeaders(d, C.AUTHGATE_HEADERS_SET)
	out.ResponseHeaders = decisionHeaders(d, C.AUTHGATE_HEADERS_RESPONSE)
	return out
}

func decisionHeaders(d *C.authgate_decision, list C.authgate_header_list) []Header {
	count := C.authgate_decision_header_count(d, list)
	if count == 0 {
		return nil
	}
	headers := make([]Header, 0, count)
	for i := C.size_t(0); i < count; i++ {
		var name, value *C.char
		var nameLen, valueLen C.size_t
		if C.authgate_decision_header(d, list, i, &name, &nameLen, &value, &valueLen, nil) != C.AUTHGATE_OK {
			break
		}
		headers = append(headers, Header{Name: C.GoStringN(name, C.int(nameLen)), Value: C.GoStringN(value, C.int(valueLen))})
	}
	return headers
}
