package authgate

import "syscall"

// childAttributes makes the kernel kill the test provider when the test
// binary dies (a -timeout panic skips the cleanups that stop it).
func childAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
