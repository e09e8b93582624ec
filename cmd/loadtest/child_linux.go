package main

import "syscall"

// childAttrs has the kernel interrupt a child when loadtest dies without
// stopping it (killed, or crashed), so that no Tessera or emulator is left
// serving.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT}
}
