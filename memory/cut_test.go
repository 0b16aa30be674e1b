package memory

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// gatedDisk holds back every segment write until the gate opens, so a
// test can stage cuts while the background writer has not written them.
type gatedDisk struct {
	w    io.Writer
	gate *sync.RWMutex // write-locked while closed
}

func (g gatedDisk) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte(segMagic)) {
		g.gate.RLock()
		defer g.gate.RUnlock()
	}
	return g.w.Write(p)
}

// A cut does not wait for the writer to write the previous cut's
// segments, up to maxCuts staged cuts; and whatever a crash leaves, each
// source's committed checkpoint counts exactly its committed events,
// although the segments of later cuts were already on disk.
func TestCutsDoNotWaitForTheWriter(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenOptions(dir, Options{SegmentEvents: 300})
	if err != nil {
		t.Fatal(err)
	}
	var gate sync.RWMutex
	s.wrap = func(w io.Writer) io.Writer { return gatedDisk{w, &gate} }
	gen := newTraffic(7, day0)
	var e event.Event
	srcDir := t.TempDir()
	files := []string{"a", "b", "c", "d"}
	counts := map[string]int64{}
	// ingest appends n events of source name (uids "name-i", over two
	// days) and cuts with its checkpoint; it returns the cut's error.
	ingest := func(name string, n int) func() error {
		path := filepath.Join(srcDir, name+".log")
		os.WriteFile(path, []byte(strings.Repeat(name, 100)), 0o644)
		for i := range n {
			gen.next(&e)
			e.UID = name + "-" + itoa(i)
			if i%2 == 1 {
				e.Time = e.Time.Add(24 * time.Hour)
			}
			if err := s.Append(&e); err != nil {
				t.Fatal(err)
			}
		}
		counts[name] = int64(n)
		return func() error {
			cp, err := NewCheckpoint(path, 100, int64(n))
			if err != nil {
				return err
			}
			return s.Cut(cp)
		}
	}
	gate.Lock()
	// Two cuts are staged while nothing is written.
	for _, f := range files[:2] {
		done := make(chan error, 1)
		cut := ingest(f, 250)
		go func() { done <- cut() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			gate.Unlock()
			t.Fatalf("Cut of %s waited for the writer with %d cut(s) staged before it", f, len(s.cuts))
		}
	}
	// A third cut waits until the first can be committed.
	done := make(chan error, 1)
	cut := ingest(files[2], 100)
	go func() { done <- cut() }()
	select {
	case err := <-done:
		gate.Unlock()
		t.Fatalf("Cut with %d cuts staged and nothing written returned (%v)", maxCuts, err)
	case <-time.After(100 * time.Millisecond):
	}
	gate.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ingest(files[3], 400)
	// Crash now: what is committed must agree with its checkpoints.
	s.bg.wg.Wait()
	s2 := reopenAfterCrash(t, s, dir)
	defer s2.Close()
	got, _ := scanAll(t, s2, Filter{})
	stored := map[string]int64{}
	for _, e := range got {
		name, _, _ := strings.Cut(e.UID, "-")
		stored[name]++
	}
	committed := 0
	for _, f := range files {
		var want int64
		if cp, ok := s2.Checkpoint(filepath.Join(srcDir, f+".log")); ok {
			want = cp.Events
			committed++
		}
		if stored[f] != want {
			t.Errorf("source %s: %d events stored, its checkpoint says %d", f, stored[f], want)
		}
	}
	if committed == 0 {
		t.Fatal("no cut was committed before the crash: the test tested nothing")
	}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		if i /= 10; i == 0 {
			break
		}
	}
	return string(b[n:])
}
