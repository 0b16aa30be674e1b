//go:build !linux

package match

import (
	"testing"
	"time"
)

func threadCPU() time.Duration { return 0 }

func lockThread() func() { return func() {} }

func cpuPerOp(b *testing.B) func() { return func() {} }
