// Package bench compares the Go binding of authgate with the Go JWT
// libraries a Go service would otherwise use, on the same tokens, keys and
// claim checks (run.sh runs it). This file holds the one cgo call the
// benchmarks need directly: the cheapest function of the library, to
// measure what crossing from Go into C costs by itself.
package bench

/*
#cgo pkg-config: authgate
#include <authgate/authgate.h>
*/
import "C"

// libraryVersionNum is one cgo call that does no work in C.
func libraryVersionNum() uint32 { return uint32(C.authgate_version_num()) }
