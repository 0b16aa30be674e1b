package memory

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

const crashSource = "/synthetic/crash-source.log"

// crashEvent is event i of the synthetic source the crash test ingests.
func crashEvent(e *event.Event, i int) {
	e.Reset()
	e.Time = day0.Add(time.Duration(i) * 7 * time.Second)
	e.UID = strconv.Itoa(i)
	e.Kind = event.KindConn
	e.SrcIP = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	e.DstIP = netip.MustParseAddr("192.0.2.1")
	e.DstPort = 443
}

// TestHelperCrashIngest is the child process of TestSIGKILLDuringIngest: it
// ingests the synthetic source from its checkpoint on, in batches, printing
// "ack N" after each Flush that made events 0..N-1 durable, and now and
// then compacts and enforces retention so those get killed too.
func TestHelperCrashIngest(t *testing.T) {
	dir := os.Getenv("UMBRA_TEST_CRASH_DIR")
	if dir == "" {
		t.Skip("child process only")
	}
	s, err := OpenOptions(dir, Options{SegmentEvents: 700})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(3)
	}
	next := 0
	if cp, ok := s.Checkpoint(crashSource); ok {
		next = int(cp.Offset)
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var e event.Event
	for batch := 0; ; batch++ {
		n := 50 + r.IntN(900)
		for range n {
			crashEvent(&e, next)
			if err := s.Append(&e); err != nil {
				fmt.Println("append failed:", err)
				os.Exit(3)
			}
			next++
		}
		s.SetCheckpoint(Checkpoint{Path: crashSource, Offset: int64(next), Events: int64(next)})
		if err := s.Flush(); err != nil {
			fmt.Println("flush failed:", err)
			os.Exit(3)
		}
		fmt.Printf("ack %d\n", next)
		if batch%4 == 3 {
			if _, err := s.Compact(context.Background()); err != nil {
				fmt.Println("compact failed:", err)
				os.Exit(3)
			}
		}
	}
}

// A SIGKILL at any point of an ingest (appends, spills, flushes,
// compaction) loses no acknowledged event and duplicates none, and a
// restarted ingest resumes from the checkpoint committed with the events.
func TestSIGKILLDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	acked := 0
	for round := range 24 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashIngest$")
		cmd.Env = append(os.Environ(), "UMBRA_TEST_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Kill after a random number of acknowledged batches plus a
		// random delay, so the kill lands anywhere in a batch.
		acks := r.IntN(4)
		delay := time.Duration(r.IntN(40)) * time.Millisecond
		timer := time.NewTimer(10 * time.Second)
	wait:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("round %d: child exited before it was killed", round)
				}
				n, found := strings.CutPrefix(l, "ack ")
				if !found {
					t.Fatalf("round %d: child says %q", round, l)
				}
				v, _ := strconv.Atoi(n)
				acked = max(acked, v)
				if acks--; acks < 0 {
					time.Sleep(delay)
					break wait
				}
			case <-timer.C:
				t.Fatalf("round %d: no ack from the child in 10s", round)
			}
		}
		timer.Stop()
		cmd.Process.Signal(syscall.SIGKILL)
		for l := range lines { // acks printed before the kill landed count too
			if n, ok := strings.CutPrefix(l, "ack "); ok {
				v, _ := strconv.Atoi(n)
				acked = max(acked, v)
			}
		}
		cmd.Wait()

		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: store does not open after SIGKILL: %v", round, err)
		}
		if p := s.Problems(); len(p) > 0 {
			t.Fatalf("round %d: damaged segments after SIGKILL: %v", round, p)
		}
		cp, _ := s.Checkpoint(crashSource)
		if cp.Offset < int64(acked) {
			t.Fatalf("round %d: checkpoint at %d, but %d events were acknowledged", round, cp.Offset, acked)
		}
		seen := make([]bool, cp.Offset)
		var e event.Event
		_, err = s.Scan(context.Background(), Filter{Workers: 1}, func(got *event.Event) error {
			i, err := strconv.Atoi(got.UID)
			if err != nil || i < 0 || i >= len(seen) {
				return fmt.Errorf("event %q beyond the checkpoint %d", got.UID, cp.Offset)
			}
			if seen[i] {
				return fmt.Errorf("event %d stored twice", i)
			}
			seen[i] = true
			crashEvent(&e, i)
			if !got.Time.Equal(e.Time) || got.SrcIP != e.SrcIP {
				return fmt.Errorf("event %d changed: %+v", i, got)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i, ok := range seen {
			if !ok {
				t.Fatalf("round %d: event %d lost (checkpoint %d, acknowledged %d)", round, i, cp.Offset, acked)
			}
		}
		acked = int(cp.Offset)
		s.Close()
	}
	t.Logf("%d events after 24 kills", acked)
}
