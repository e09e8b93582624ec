//go:build !linux

package e2e

import "syscall"

// appProcAttr: elsewhere a started Tessera is only stopped by t.Cleanup.
func appProcAttr() *syscall.SysProcAttr { return nil }
