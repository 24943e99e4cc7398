package authgate

/*
#include <authgate/authgate.h>
*/
import "C"

import (
	"encoding/json"
	"errors"
	"time"
	"unsafe"
)

// Claims is what a verified token says.
type Claims struct {
	// Map holds the top-level claims. Integers are int64, read exactly by
	// the library (beyond 2^53 too); other numbers float64; nested values as
	// encoding/json decodes them into interface{} values.
	Map map[string]any
	// JSON is the payload exactly as the issuer signed it, for decoding into
	// a struct of your own.
	JSON json.RawMessage
	// Header is the token's protected header.
	Header map[string]any
	// Subject and Issuer are the `sub` and `iss` claims ("" when absent).
	Subject, Issuer string
	// ExpiresAt is the `exp` claim in whole seconds; zero when absent.
	ExpiresAt time.Time
	// Algorithm is the token's `alg`; KeyID the `kid` of the key that
	// verified it ("" when that key has none).
	Algorithm, KeyID string
}

// newClaims copies what Go keeps of result; the caller frees result.
func newClaims(result *C.authgate_result) (Claims, error) {
	var length C.size_t
	text := C.authgate_result_claims_json(result, &length)
	c := Claims{
		JSON:      C.GoBytes(unsafe.Pointer(text), C.int(length)),
		Algorithm: C.GoString(C.authgate_result_algorithm(result)),
		KeyID:     C.GoString(C.authgate_result_key_id(result)),
	}
	var err error
	if c.Map, err = decodeObject(c.JSON); err != nil {
		return Claims{}, &Error{Status: ErrInternal, Message: "the verified claims: " + err.Error()}
	}
	// encoding/json reads every number as a float64, exact only up to 2^53:
	// the library reads the integers exactly.
	for name, value := range c.Map {
		if _, isNumber := value.(float64); !isNumber {
			continue
		}
		var exact C.int64_t
		p, n := cText(name)
		if C.authgate_result_claim_int64(&exact, result, p, n, nil) == C.AUTHGATE_OK {
			c.Map[name] = int64(exact)
		}
	}
	header := C.authgate_result_header_json(result, &length)
	if c.Header, err = decodeObject(unsafe.Slice((*byte)(unsafe.Pointer(header)), int(length))); err != nil {
		return Claims{}, &Error{Status: ErrInternal, Message: "the verified header: " + err.Error()}
	}
	// The library has type-checked both (strings when present); the decoded
	// map keeps a NUL inside them, which the C strings would cut.
	c.Subject, _ = c.Map["sub"].(string)
	c.Issuer, _ = c.Map["iss"].(string)
	if exp := int64(C.authgate_result_expires_at(result)); exp >= 0 {
		c.ExpiresAt = time.Unix(exp, 0)
	}
	return c, nil
}

// decodeObject decodes a JSON object. Decoding into an interface{} takes
// encoding/json's direct path; into a map it would go through reflection
// for every member, about a third slower.
func decodeObject(text []byte) (map[string]any, error) {
	var value any
	if err := json.Unmarshal(text, &value); err != nil {
		return nil, err
	}
	object, ok := value.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return object, nil
}
