//go:build !linux

package main

import "syscall"

// childAttrs: only Linux can tie a child's life to loadtest's; elsewhere
// the children are stopped by loadtest alone.
func childAttrs() *syscall.SysProcAttr { return nil }
