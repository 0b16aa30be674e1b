package hunt

import (
	"context"
	"errors"
	"path/filepath"
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
