//go:build linux

package e2e

import "syscall"

// appProcAttr has the kernel kill a started Tessera when the test binary
// dies without cleaning up (a -timeout panic, say), so no server outlives
// its test.
func appProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
