//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Self is the user plus system CPU time of this process, or 0 when unknown.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
