package hunt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

const (
	crashEvents  = 12000
	crashSegment = 500 // events per segment in the child: many cuts per file
)

// writeCrashLog writes a Zeek conn.log of crashEvents connections whose
// uids are C000000, C000001, ... in file order, spread over two days so
// that a cut has more than one partition to write out.
func writeCrashLog(t *testing.T, path string) {
	var b strings.Builder
	b.WriteString("#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n")
	b.WriteString("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n")
	start := time.Date(2018, 3, 5, 20, 0, 0, 0, time.UTC)
	for i := range crashEvents {
		ts := start.Add(time.Duration(i) * 3 * time.Second)
		fmt.Fprintf(&b, "%d.%06d\tC%06d\t10.20.%d.%d\t%d\t198.51.100.%d\t443\ttcp\n",
			ts.Unix(), ts.Nanosecond()/1000, i, 10+i/250%200, 10+i%200, 49152+i%16000, 1+i%250)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHelperIngestChild is the child process of TestSIGKILLMidFile: it
// ingests the log slowly (a pause every 40 events), so that a kill lands
// in the middle of the file, between and inside segment cuts.
func TestHelperIngestChild(t *testing.T) {
	dir, log := os.Getenv("UMBRA_TEST_INGEST_DIR"), os.Getenv("UMBRA_TEST_INGEST_LOG")
	if dir == "" {
		t.Skip("child process only")
	}
	mem, err := memory.OpenOptions(dir, memory.Options{SegmentEvents: crashSegment})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	empty, _ := match.Build(nil, nil)
	n := 0
	_, err = Ingest(context.Background(), mem, empty, []string{log}, IngestOptions{OnEvent: func(*event.Event) error {
		if n++; n%40 == 0 {
			time.Sleep(time.Millisecond)
		}
		return nil
	}})
	if err == nil {
		err = mem.Close()
	}
	if err != nil {
		fmt.Println("ingest:", err)
		os.Exit(3)
	}
	fmt.Println("done")
}

// storedUIDs checks that the memory holds connections C000000 ..
// C(k-1) exactly once each, nothing else, and that the file's checkpoint
// covers exactly them; it returns k.
func storedUIDs(t *testing.T, dir, log string) int {
	t.Helper()
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatalf("the memory does not open after SIGKILL: %v", err)
	}
	defer mem.Close()
	if p := mem.Problems(); len(p) > 0 {
		t.Fatalf("damaged segments after SIGKILL: %v", p)
	}
	seen := make([]int, crashEvents)
	total := 0
	_, err = mem.Scan(context.Background(), memory.Filter{Workers: 1}, func(e *event.Event) error {
		i, err := strconv.Atoi(strings.TrimPrefix(e.UID, "C"))
		if err != nil || i < 0 || i >= crashEvents {
			return fmt.Errorf("unexpected event %q", e.UID)
		}
		seen[i]++
		total++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for k < crashEvents && seen[k] == 1 {
		k++
	}
	if total != k {
		for i, c := range seen {
			if c > 1 {
				t.Fatalf("event %d stored %d times", i, c)
			}
		}
		t.Fatalf("stored %d events, but only C000000..C%06d in a row: a gap means a lost event", total, k-1)
	}
	cp, ok := mem.Checkpoint(log)
	if k > 0 && (!ok || cp.Events != int64(k)) {
		t.Fatalf("%d events stored, checkpoint %+v", k, cp)
	}
	return k
}

// A SIGKILL in the middle of a file, then the same ingest again, stores
// every event exactly once: the memory commits a checkpoint (offset and
// event count) with every segment cut, and the re-run resumes from it.
func TestSIGKILLMidFile(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "conn.log")
	writeCrashLog(t, log)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	run := func(killAfter time.Duration) (finished bool) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIngestChild$")
		cmd.Env = append(os.Environ(), "UMBRA_TEST_INGEST_DIR="+dir, "UMBRA_TEST_INGEST_LOG="+log)
		var out strings.Builder
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil || !strings.Contains(out.String(), "done") {
				t.Fatalf("child failed: %v: %s", err, out.String())
			}
			return true
		case <-time.After(killAfter):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			return strings.Contains(out.String(), "done")
		}
	}
	prev, midFile := 0, 0
	for round := 0; round < 12; round++ {
		finished := run(time.Duration(20+r.IntN(120)) * time.Millisecond)
		k := storedUIDs(t, dir, log)
		if k < prev {
			t.Fatalf("round %d: %d events stored, %d before", round, k, prev)
		}
		if k > 0 && k < crashEvents {
			midFile++
		}
		t.Logf("round %d: killed with %d of %d events committed (finished %v)", round, k, crashEvents, finished)
		prev = k
		if finished {
			break
		}
	}
	if midFile == 0 {
		t.Fatal("no kill left a mid-file checkpoint: the test did not test resuming")
	}
	if !run(time.Minute) {
		t.Fatal("the last ingest did not finish")
	}
	if k := storedUIDs(t, dir, log); k != crashEvents {
		t.Fatalf("after the full ingest: %d of %d events", k, crashEvents)
	}
}
