//go:build !unix

package main

import "time"

// cpuTime is unknown here; the report leaves the CPU line out.
func cpuTime() time.Duration { return 0 }
