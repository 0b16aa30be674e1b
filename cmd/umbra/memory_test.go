package main

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

func TestMemoryStatsAndRetention(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "memory", "stats", "--json", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"segments":0`) || !strings.Contains(out, `"first":null`) {
		t.Fatalf("empty memory: %s", out)
	}

	st, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3000 {
		e := event.Event{Time: start.Add(time.Duration(i) * time.Minute), Kind: event.KindConn, UID: "C" + string(rune('a'+i%26)),
			SrcIP: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), DstIP: netip.MustParseAddr("192.0.2.1"), DstPort: 443}
		if err := st.Append(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "memory", "stats", "--json", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Segments      int       `json:"segments"`
		Events        int       `json:"events"`
		Bytes         int64     `json:"bytes"`
		BytesPerEvent float64   `json:"bytes_per_event"`
		First         time.Time `json:"first"`
		Last          time.Time `json:"last"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// 3000 minutes from noon span three UTC days: three partitions.
	if got.Segments != 3 || got.Events != 3000 || got.Bytes <= 0 || got.BytesPerEvent != float64(got.Bytes)/3000 || !got.First.Equal(start) || !got.Last.Equal(start.Add(2999*time.Minute)) {
		t.Fatalf("stats: %s", out)
	}

	if _, err := run(t, "memory", "retention", "--max-age", "90d", "--max-bytes", "50GB", "--data", dir); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "memory", "retention", "--json", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"max_age":"90d"`) || !strings.Contains(out, `"max_bytes":50000000000`) {
		t.Fatalf("retention: %s", out)
	}
	if _, err := run(t, "memory", "retention", "--max-age", "soon", "--data", dir); err == nil {
		t.Fatal("bad --max-age accepted")
	}
	// The events are from 2026-03; a one-day limit applied now drops them all.
	out, err = run(t, "memory", "retention", "--max-age", "1d", "--apply", "--data", dir)
	if err != nil || !strings.Contains(out, "dropped 3 segments") {
		t.Fatalf("apply: %v %s", err, out)
	}
	out, _ = run(t, "memory", "stats", "--data", dir)
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "events 0") {
		t.Fatalf("after apply: %s", out)
	}
}
