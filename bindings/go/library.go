// Package authgate is the Go binding of authgate: the JWT verifier, the
// decision engine of the authgate sidecar, and net/http middleware that runs
// that decision in process, all through the library's C ABI
// (authgate/authgate.h). It adds no decision logic of its own.
//
//	verifier, err := authgate.NewVerifier(`{"jwks_uri": "https://idp.example/jwks"}`)
//	if err != nil { ... }
//	defer verifier.Close()
//	claims, err := verifier.Verify(token)
//	switch {
//	case errors.Is(err, authgate.ErrExpired): ...
//	case err != nil: ...
//	}
//
// Handles (Verifier, Engine) are safe for concurrent use. Close them when
// done; a finalizer frees a forgotten one, but only when the garbage
// collector gets to it.
package authgate

/*
#cgo pkg-config: authgate
#include <stdlib.h>
#include <authgate/authgate.h>
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

// abiVersion is the C ABI this binding is written for, as
// AUTHGATE_VERSION_NUM / 100 (major * 100 + minor). Until 1.0 every minor
// version may change signatures, so another one is refused.
const abiVersion = 2

var (
	libraryOnce sync.Once
	libraryErr  error
)

// ErrIncompatibleLibrary is wrapped by the error of the first call when the
// loaded libauthgate has another major.minor version than this binding.
var ErrIncompatibleLibrary = errors.New("authgate: incompatible library version")

// checkLibrary runs once, before the first handle is made: a library of
// another ABI would be called with the wrong signatures. It also runs the
// library's global set-up while only this goroutine can be in the library.
func checkLibrary() error {
	libraryOnce.Do(func() {
		if libraryErr = compatible(uint32(C.authgate_version_num()), Version()); libraryErr != nil {
			return
		}
		var cerr *C.authgate_error
		if status := C.authgate_global_init(&cerr); status != C.AUTHGATE_OK {
			libraryErr = newError(status, cerr)
		}
	})
	return libraryErr
}

// compatible says whether a library of version num (AUTHGATE_VERSION_NUM's
// encoding) and text can be used, naming both versions when not.
func compatible(num uint32, text string) error {
	if num/100 != abiVersion {
		return fmt.Errorf("%w: libauthgate is %s, this binding needs %d.%d.x",
			ErrIncompatibleLibrary, text, abiVersion/100, abiVersion%100)
	}
	return nil
}

// Version returns the loaded library's version text ("0.2.0").
func Version() string { return C.GoString(C.authgate_version()) }

// emptyText backs zero-length text: the C ABI takes (pointer, length) and
// refuses a NULL pointer even with length 0.
var emptyText [1]byte

// cText returns s as the C ABI's (const char *, size_t) without copying. The
// bytes are Go memory without Go pointers in them, which cgo allows passing;
// every call used with it copies what it keeps before returning.
func cText(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return (*C.char)(unsafe.Pointer(&emptyText[0])), 0
	}
	return (*C.char)(unsafe.Pointer(*(**byte)(unsafe.Pointer(&s)))), C.size_t(len(s))
}

// cBytes is cText for a byte slice.
func cBytes(b []byte) (*C.char, C.size_t) {
	if len(b) == 0 {
		return (*C.char)(unsafe.Pointer(&emptyText[0])), 0
	}
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// configDocument turns a configuration into the JSON text the C ABI takes:
// a string, []byte or json.RawMessage is taken as the document itself;
// anything else (a map, a struct) is marshalled with encoding/json.
func configDocument(config any) ([]byte, error) {
	switch c := config.(type) {
	case string:
		return []byte(c), nil
	case []byte:
		return c, nil
	case json.RawMessage:
		return c, nil
	case nil:
		return nil, &Error{Status: ErrInvalidArgument, Message: "the configuration is nil"}
	}
	document, err := json.Marshal(config)
	if err != nil {
		return nil, &Error{Status: ErrInvalidArgument, Message: "the configuration cannot be written as JSON: " + err.Error()}
	}
	return document, nil
}
