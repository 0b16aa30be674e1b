package main

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// The pivot commands print aligned tables (with hostile names escaped) or
// JSON lines, and reject bad arguments with exit code 2.
func TestHuntPivotCommands(t *testing.T) {
	dir := t.TempDir()
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2018, 3, 7, 11, 4, 17, 0, time.UTC)
	victim, other := netip.MustParseAddr("10.20.10.10"), netip.MustParseAddr("10.20.10.11")
	c2 := netip.MustParseAddr("45.142.214.9")
	evs := []event.Event{
		{Time: at, Kind: event.KindDNS, UID: "D1", SrcIP: victim, DstIP: netip.MustParseAddr("10.20.0.10"), DstPort: 53,
			Domain: "lpg.gamecdn-sync.net", Answers: []netip.Addr{c2}},
		{Time: at.Add(time.Second), Kind: event.KindTLS, UID: "T1", SrcIP: victim, DstIP: c2, DstPort: 443, SNI: "lpg.gamecdn-sync.net"},
		{Time: at.Add(2 * time.Hour), Kind: event.KindDNS, UID: "D2", SrcIP: other, DstIP: netip.MustParseAddr("10.20.0.10"), DstPort: 53,
			Domain: "x\x1b[31m.gamecdn-sync.net", Answers: []netip.Addr{c2}},
	}
	for i := range evs {
		if err := mem.Append(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mem.Close(); err != nil {
		t.Fatal(err)
	}

	out, err := run(t, "hunt", "talked-to", "gamecdn-sync[.]net", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `x\x1b[31m.gamecdn-sync.net`) {
		t.Errorf("a control character reached the terminal:\n%q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "HOST ") || !strings.HasPrefix(lines[1], "10.20.10.10 ") || !strings.HasPrefix(lines[2], "10.20.10.11 ") {
		t.Fatalf("table:\n%s", out)
	}
	if col := strings.Index(lines[0], "EVENTS"); col < 0 || strings.Index(lines[1], "2 ") != col {
		t.Errorf("columns not aligned:\n%s", out)
	}

	out, err = run(t, "hunt", "talked-to", "gamecdn-sync.net", "--json", "--until", "2018-03-07T12:00:00Z", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Host   string   `json:"host"`
		Events int      `json:"events"`
		Where  []string `json:"where"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Host != "10.20.10.10" || c.Events != 2 || len(c.Where) != 2 {
		t.Fatalf("--json --until: %v %s", err, out)
	}

	out, err = run(t, "hunt", "resolved-to", "45.142.214.9", "--json", "--data", dir)
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"domain":"lpg.gamecdn-sync.net"`) {
		t.Fatalf("resolved-to: %v %s", err, out)
	}
	out, err = run(t, "hunt", "seen", "45.142.214.9", "--json", "--data", dir)
	if err != nil || !strings.Contains(out, `"events":3`) || !strings.Contains(out, `"first":"2018-03-07T11:04:17Z"`) {
		t.Fatalf("seen: %v %s", err, out)
	}
	out, err = run(t, "hunt", "around", "10.20.10.10", "--at", "1520420657", "--window", "10m", "--data", dir)
	if err != nil || !strings.Contains(out, "sni lpg.gamecdn-sync.net") || strings.Contains(out, "D2") {
		t.Fatalf("around: %v\n%s", err, out)
	}

	for _, args := range [][]string{
		{"hunt", "talked-to", "not a value"},
		{"hunt", "resolved-to", "evil.example"},
		{"hunt", "around", "10.20.10.10"},
		{"hunt", "around", "10.20.10.10", "--at", "yesterday"},
		{"hunt", "seen", "x.example", "--since", "soon"},
	} {
		_, err := run(t, append(args, "--data", dir)...)
		var ee *exitError
		if err == nil || !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: %v, want exit code 2", args, err)
		}
	}
}
