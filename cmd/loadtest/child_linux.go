package main

import "syscall"

// childAttrs puts a child in a process group of its own, so that Ctrl-C
// at the terminal interrupts loadtest alone, which then stops Tessera and
// the emulator in order (and its report still reaches the emulator); and
// has the kernel interrupt the child when loadtest dies without stopping
// it (killed, or crashed), so that no Tessera or emulator is left serving.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
}
