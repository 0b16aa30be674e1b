package hunt

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"

	_ "github.com/umbra-cti/umbra/telemetry/zeek"
)

const dnsLog = `{"_path":"dns","ts":1520240000.5,"uid":"C1","id.orig_h":"10.20.1.15","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"a.c2.example"}
{"_path":"dns","ts":1520326400.25,"uid":"C2","id.orig_h":"10.20.1.16","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"b.c2.example"}
{"_path":"dns","ts":1520326500.0,"uid":"C3","id.orig_h":"10.20.1.16","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"benign.example"}
`

// Telemetry stored before the intel existed is found by a later hunt, with
// the first sighting and the dwell gap; ingesting again stores nothing twice.
func TestIngestThenRetroHunt(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "dns.json")
	os.WriteFile(logPath, []byte(dnsLog), 0o644)
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	ctx := context.Background()
	empty, _ := match.Build(nil, nil)
	st, err := Ingest(ctx, mem, empty, []string{logPath}, IngestOptions{})
	if err != nil || st.Events != 3 || st.Hits != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	again, err := Ingest(ctx, mem, empty, []string{logPath}, IngestOptions{})
	if err != nil || again.Events != 0 || again.Skipped != 1 {
		t.Fatalf("second ingest stored again: %+v %v", again, err)
	}
	// The file grows: only the new record is stored.
	f, _ := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"_path":"dns","ts":1520400000.0,"uid":"C4","id.orig_h":"10.20.1.17","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"c.c2.example"}` + "\n")
	f.Close()
	grown, err := Ingest(ctx, mem, empty, []string{logPath}, IngestOptions{})
	if err != nil || grown.Events != 1 || grown.Resumed != 3 {
		t.Fatalf("grown file: %+v %v", grown, err)
	}
	if s := mem.Stats(); s.Events != 4 {
		t.Fatalf("memory holds %d events, want 4", s.Events)
	}

	published := time.Date(2018, 4, 21, 0, 0, 0, 0, time.UTC)
	snap, _ := match.Build([]indicator.Indicator{{Type: indicator.Domain, Value: "c2.example", Subdomains: true,
		IDs: []string{"indicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}, Sources: []string{"later"}}}, nil)
	var progress atomic.Int64
	hits, hs, err := Run(ctx, mem, snap, Options{Values: []string{"c2.example"},
		Added:    func(string) (time.Time, bool) { return published, true },
		Progress: func(n int) { progress.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 || hs.Hits != 3 {
		t.Fatalf("%d hits", len(hits))
	}
	// Progress counts every stored event; only the three rows holding a
	// value the snapshot accepts are built into events and matched.
	if progress.Load() != 4 || hs.Decoded != 4 || hs.Events != 3 {
		t.Fatalf("progress reported %d events, the scan read %d rows and built %d (the memory holds 4, 3 of them hits)",
			progress.Load(), hs.Decoded, hs.Events)
	}
	if _, _, err := Run(ctx, mem, snap, Options{MaxHits: 2}); !errors.Is(err, ErrTooManyHits) {
		t.Fatalf("3 hits with MaxHits 2: err %v, want ErrTooManyHits", err)
	}
	firstSeen := time.Unix(1520240000, 5e8).UTC()
	for _, h := range hits {
		if !h.FirstSeen.Equal(firstSeen) || h.DwellSeconds != int64(published.Sub(firstSeen)/time.Second) {
			t.Fatalf("hit %+v", h)
		}
	}
	b, _ := json.Marshal(hits[0])
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if m["retro"] != true || m["uid"] != "C1" || m["first_seen"] != firstSeen.Format("2006-01-02T15:04:05.000Z") || m["dwell_seconds"] == nil || m["where"] != "dns.query" {
		t.Fatalf("hit JSON: %s", b)
	}
}

func TestHuntedRemembersValues(t *testing.T) {
	dir := t.TempDir()
	h, err := LoadHunted(dir)
	if err != nil || len(h) != 0 {
		t.Fatal(h, err)
	}
	a := indicator.Indicator{Type: indicator.Domain, Value: "a.example"}
	b := indicator.Indicator{Type: indicator.Domain, Value: "b.example"}
	if got := h.New([]indicator.Indicator{a, b}); len(got) != 2 {
		t.Fatalf("new %v", got)
	}
	if err := h.Save(dir, []indicator.Indicator{a}); err != nil {
		t.Fatal(err)
	}
	h2, err := LoadHunted(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := h2.New([]indicator.Indicator{a, b}); len(got) != 1 || got[0].Value != "b.example" {
		t.Fatalf("after save, new %v", got)
	}
	os.WriteFile(filepath.Join(dir, StateFile), []byte("broken"), 0o600)
	if _, err := LoadHunted(dir); err == nil {
		t.Fatal("a damaged state file was accepted")
	}
}

// A stream that breaks off (a truncated gzip file) keeps the events before
// the break, and the file is not marked done: the next run resumes after
// them, storing none twice, and when the whole file arrives it stores the
// rest.
func TestTruncatedInputResumes(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&log, `{"_path":"dns","ts":%d.5,"uid":"C%05d","id.orig_h":"10.20.1.15","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"q%d.example"}`+"\n", 1520240000+i, i, i)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.NoCompression)
	zw.Write([]byte(log.String()))
	zw.Close()
	path := filepath.Join(dir, "dns.json.gz")
	whole := gz.Bytes()
	if err := os.WriteFile(path, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	ctx := context.Background()
	empty, _ := match.Build(nil, nil)
	first, err := Ingest(ctx, mem, empty, []string{path}, IngestOptions{})
	if err != nil || first.Problems != 1 || first.Events == 0 || first.Events >= 3000 {
		t.Fatalf("truncated file: %+v %v", first, err)
	}
	again, err := Ingest(ctx, mem, empty, []string{path}, IngestOptions{})
	if err != nil || again.Skipped != 0 || again.Events != 0 || again.Resumed != first.Events {
		t.Fatalf("second run over the truncated file: %+v %v (first %+v)", again, err, first)
	}
	if err := os.WriteFile(path, whole, 0o644); err != nil {
		t.Fatal(err)
	}
	rest, err := Ingest(ctx, mem, empty, []string{path}, IngestOptions{})
	if err != nil || rest.Problems != 0 || rest.Events != 3000-first.Events {
		t.Fatalf("whole file: %+v %v (first %+v)", rest, err, first)
	}
	if s := mem.Stats(); s.Events != 3000 {
		t.Fatalf("memory holds %d events, want 3000", s.Events)
	}
}
