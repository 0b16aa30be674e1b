package hunt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// An error from a callback stops the ingest at that event, although the
// decoder runs batches ahead of the store: nothing after it is stored or
// reported, and the ingest returns the error.
func TestIngestStopsAtCallbackError(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "conn.log")
	writeCrashLog(t, log)
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	empty, _ := match.Build(nil, nil)
	stopAt := batchEvents*2 + 17 // inside a batch, with more decoded behind it
	errStop := errors.New("stop here")
	var seen []string
	st, err := Ingest(context.Background(), mem, empty, []string{log}, IngestOptions{OnEvent: func(e *event.Event) error {
		seen = append(seen, e.UID)
		if len(seen) == stopAt {
			return errStop
		}
		return nil
	}})
	if !errors.Is(err, errStop) {
		t.Fatalf("Ingest returned %v, want the callback's error", err)
	}
	if len(seen) != stopAt || st.Events != int64(stopAt) {
		t.Fatalf("%d callbacks, %d events stored; want %d of each", len(seen), st.Events, stopAt)
	}
	for i, uid := range seen {
		if want := "C" + pad6(i); uid != want {
			t.Fatalf("event %d is %s, want %s: the store saw the file out of order", i, uid, want)
		}
	}
}

// A cancelled context stops the ingest with the context's error.
func TestIngestCancelled(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "conn.log")
	writeCrashLog(t, log)
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	empty, _ := match.Build(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	st, err := Ingest(ctx, mem, empty, []string{log}, IngestOptions{OnEvent: func(*event.Event) error {
		if n++; n == 1000 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Ingest returned %v, want context.Canceled", err)
	}
	if st.Events != 1000 {
		t.Fatalf("%d events stored after the cancel at event 1000", st.Events)
	}
}

func pad6(i int) string {
	s := itoa(i)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

// An ingest stopped by an error part-way through a file (a cancelled
// context, a failing callback) commits the events it stored with the
// file's checkpoint: closing the memory stores them, and a re-run must
// continue after them, not store them twice.
func TestIngestStoppedMidFileResumesWithoutDuplicates(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "dns.json")
	var b strings.Builder
	const total = 1000
	for i := range total {
		fmt.Fprintf(&b, `{"_path":"dns","ts":%d.5,"uid":"C%d","id.orig_h":"10.20.1.15","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"q%d.example"}`+"\n", 1520240000+i, i, i)
	}
	if err := os.WriteFile(logPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	empty, _ := match.Build(nil, nil)
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	stopAt := errors.New("stop")
	seen := 0
	_, err = Ingest(ctx, mem, empty, []string{logPath}, IngestOptions{OnEvent: func(*event.Event) error {
		if seen++; seen == 300 {
			return stopAt
		}
		return nil
	}})
	if !errors.Is(err, stopAt) {
		t.Fatalf("first ingest: %v", err)
	}
	if err := mem.Close(); err != nil {
		t.Fatal(err)
	}
	mem, err = memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	st, err := Ingest(ctx, mem, empty, []string{logPath}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := mem.Stats().Events; got != total {
		t.Fatalf("after a stopped ingest and a re-run the memory holds %d events, want %d (re-run stored %d, resumed after %d)",
			got, total, st.Events, st.Resumed)
	}
}
