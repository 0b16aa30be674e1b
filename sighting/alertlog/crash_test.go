package alertlog

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A writer killed with SIGKILL in the middle of its appends leaves a log
// that opens, keeps every batch it had synced, and at most one torn line,
// which the next writer terminates and readers drop and count.
func TestKilledWriter(t *testing.T) {
	if dir := os.Getenv("UMBRA_ALERTLOG_CRASH_DIR"); dir != "" {
		l, err := Open(dir)
		if err != nil {
			os.Exit(2)
		}
		base := int(time.Now().UnixNano()/1000) % 1_000_000_000 // new alerts each round
		for i := 0; ; i++ {
			var recs []Record
			for j := 0; j < 200; j++ {
				recs = append(recs, alert(base+i*200+j, "APT41", "domain", 0))
			}
			if _, err := l.Append(recs); err != nil {
				os.Exit(3)
			}
		}
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	dir := t.TempDir()
	prev := 0
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriter$")
		cmd.Env = append(os.Environ(), "UMBRA_ALERTLOG_CRASH_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it once it has written two batches or more, not after a
		// fixed time: on a loaded machine the child could spend a fixed
		// wait starting up and reading the log, and die having written
		// nothing (CI saw "nothing survived" in round 2).
		before := logBytes(dir)
		for deadline := time.Now().Add(60 * time.Second); logBytes(dir) < before+2*200*200; {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("round %d: the writer wrote nothing in 60 s", round)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(round*37) * time.Millisecond) // kill at different points of a batch
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		l, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		st := l.Stats()
		t.Logf("round %d: %+v", round, st)
		if st.Alerts <= prev {
			t.Fatalf("round %d: nothing survived: %+v", round, st)
		}
		if st.Bad > round {
			t.Fatalf("round %d: %d bad lines: %v", round, st.Bad, l.Problems())
		}
		// The survivors are whole: every served alert is one the writer made.
		pg, err := l.Query(Filter{Clearance: 4}, 1000, "")
		if err != nil || len(pg.Alerts) == 0 {
			t.Fatal(err)
		}
		prev = st.Alerts
		files, _ := filepath.Glob(filepath.Join(dir, Dir, "*.jsonl"))
		if len(files) == 0 {
			t.Fatal("no file")
		}
	}
}

// logBytes is the size of the alert log's files in dir.
func logBytes(dir string) int64 {
	files, _ := filepath.Glob(filepath.Join(dir, Dir, "*.jsonl"))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}
