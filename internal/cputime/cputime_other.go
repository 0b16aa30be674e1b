//go:build !unix

package cputime

import "time"

// Self is unknown on this platform; per-CPU-second rates are then not reported.
func Self() time.Duration { return 0 }
