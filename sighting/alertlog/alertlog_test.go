package alertlog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/stix"
)

var t0 = time.Date(2018, 3, 6, 9, 0, 0, 0, time.UTC)

func alert(i int, actor, kind string, tlp stix.TLP) Record {
	a := match.Alert{Time: t0.Add(time.Duration(i) * time.Minute), UID: fmt.Sprintf("C%d", i), Sensor: "s1",
		Where: "conn.id.resp_h", Indicator: fmt.Sprintf("10.0.0.%d", i%250), IndicatorType: kind,
		Matched: fmt.Sprintf("10.0.0.%d", i%250), IndicatorIDs: []string{}, Sources: []string{"feed"},
		Actors: []indicator.Actor{}, TLP: tlp}
	if actor != "" {
		a.Actors = []indicator.Actor{{Name: actor, Confidence: 70}}
	}
	return Record{Alert: a}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func TestAppendQueryPaging(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for i := 0; i < 250; i++ {
		actor, kind, tlp := "APT41", "ipv4-addr", stix.TLPGreen
		if i%5 == 0 {
			actor, kind, tlp = "", "lookalike-domain", stix.TLPClear
		}
		if i%7 == 0 {
			tlp = stix.TLPRed
		}
		recs = append(recs, alert(i, actor, kind, tlp))
	}
	if n, err := l.Append(recs); err != nil || n != 250 {
		t.Fatalf("append: %d %v", n, err)
	}
	// Appending the same alerts again writes nothing.
	if n, err := l.Append(recs[:10]); err != nil || n != 0 {
		t.Fatalf("re-append: %d %v", n, err)
	}
	// Green: page through everything, newest first, no duplicates, no red.
	var ids []string
	var lastTS string
	cursor := ""
	pages := 0
	for {
		pg, err := l.Query(Filter{Clearance: stix.TLPGreen}, 40, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, b := range pg.Alerts {
			m := decode(t, b)
			if m["tlp"] == "red" {
				t.Fatalf("red alert served to green: %s", b)
			}
			ts := m["ts"].(string)
			if lastTS != "" && ts > lastTS {
				t.Fatalf("not newest first: %s after %s", ts, lastTS)
			}
			lastTS = ts
			ids = append(ids, m["id"].(string))
		}
		if pg.Next == "" {
			break
		}
		cursor = pg.Next
	}
	wantVisible := 0
	for i := 0; i < 250; i++ {
		if i%7 != 0 {
			wantVisible++
		}
	}
	if len(ids) != wantVisible {
		t.Fatalf("paged %d alerts, want %d", len(ids), wantVisible)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("id %s twice", id)
		}
		seen[id] = true
	}
	if want := (wantVisible + 39) / 40; pages != want {
		t.Fatalf("%d pages, want %d", pages, want)
	}
	// Filters.
	pg, _ := l.Query(Filter{Clearance: stix.TLPRed, Kinds: []string{"lookalike-domain"}}, 1000, "")
	if len(pg.Alerts) != 50 {
		t.Fatalf("kind filter: %d", len(pg.Alerts))
	}
	pg, _ = l.Query(Filter{Clearance: stix.TLPRed, Actors: []string{"apt 41"}}, 1000, "")
	if len(pg.Alerts) != 200 {
		t.Fatalf("actor filter (another spelling): %d", len(pg.Alerts))
	}
	pg, _ = l.Query(Filter{Clearance: stix.TLPRed, Actors: []string{"(unattributed)"}}, 1000, "")
	if len(pg.Alerts) != 50 {
		t.Fatalf("unattributed: %d", len(pg.Alerts))
	}
	pg, _ = l.Query(Filter{Clearance: stix.TLPRed, Since: t0.Add(10 * time.Minute), Until: t0.Add(20 * time.Minute)}, 1000, "")
	if len(pg.Alerts) != 10 {
		t.Fatalf("time range: %d", len(pg.Alerts))
	}
	pg, _ = l.Query(Filter{Clearance: stix.TLPRed, Q: "C123"}, 1000, "")
	if len(pg.Alerts) != 1 || decode(t, pg.Alerts[0])["uid"] != "C123" {
		t.Fatalf("q: %d", len(pg.Alerts))
	}
	if _, err := l.Query(Filter{}, 10, "garbage!"); err != ErrCursor {
		t.Fatalf("bad cursor: %v", err)
	}
	// Reopen: the same alerts, the same ids.
	l2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st := l2.Stats(); st.Alerts != 250 || st.Bad != 0 {
		t.Fatalf("reopened: %+v", st)
	}
	pg, _ = l2.Query(Filter{Clearance: stix.TLPGreen}, 1, "")
	if decode(t, pg.Alerts[0])["id"] != ids[0] {
		t.Fatalf("ids change across loads")
	}
}

func TestHistogram(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for i := 0; i < 180; i++ { // three hours, one a minute
		actor := "APT41"
		if i%3 == 0 {
			actor = "BARIUM"
		}
		recs = append(recs, alert(i, actor, "domain", stix.TLPClear))
	}
	recs = append(recs, alert(500, "Secret", "domain", stix.TLPRed))
	if _, err := l.Append(recs); err != nil {
		t.Fatal(err)
	}
	h, err := l.Histogram(Filter{Clearance: stix.TLPAmber}, time.Hour, "actor")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Buckets) != 3 || h.Buckets[0].Counts["APT41"] != 40 || h.Buckets[0].Counts["BARIUM"] != 20 {
		t.Fatalf("%+v", h)
	}
	for _, k := range h.Keys {
		if k == "Secret" {
			t.Fatal("red actor in a histogram for amber")
		}
	}
	h, err = l.Histogram(Filter{Clearance: stix.TLPRed, Since: t0, Until: t0.Add(24 * time.Hour)}, time.Hour, "kind")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Buckets) != 24 || h.Buckets[8].Counts["domain"] != 1 || h.Buckets[5].Counts["domain"] != 0 {
		t.Fatalf("dense buckets: %d %+v", len(h.Buckets), h.Buckets[8])
	}
	if _, err := l.Histogram(Filter{Since: t0, Until: t0.Add(10 * 365 * 24 * time.Hour)}, time.Hour, "kind"); err == nil {
		t.Fatal("unbounded histogram accepted")
	}
}

// A crash mid-write leaves a torn last line: reopening drops it and
// counts it once the next writer terminates it; nothing panics and no
// good alert is lost.
func TestTornLine(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append([]Record{alert(1, "A", "domain", 0), alert(2, "A", "domain", 0)}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, Dir, "*.jsonl"))
	if len(files) != 1 {
		t.Fatal(files)
	}
	b, _ := os.ReadFile(files[0])
	torn := b[:len(b)/2+len(b)/4] // ends mid second line
	torn = append(append([]byte{}, b...), torn[:40]...)
	if err := os.WriteFile(files[0], torn, 0o644); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st := l2.Stats(); st.Alerts != 2 || st.Partial != 40 {
		t.Fatalf("%+v", st)
	}
	if _, err := l2.Append([]Record{alert(3, "A", "domain", 0)}); err != nil {
		t.Fatal(err)
	}
	l3, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := l3.Stats()
	if st.Alerts != 3 || st.Bad != 1 || st.Partial != 0 {
		t.Fatalf("after the next append: %+v %v", st, l3.Problems())
	}
	if p := l3.Problems(); len(p) != 1 || p[0].Line != 3 || !strings.Contains(p[0].Error(), ".jsonl:3") {
		t.Fatalf("problem: %+v", p)
	}
}

// Hostile strings are data: they come back byte for byte and the served
// JSON is valid and HTML-inert.
func TestHostileStrings(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	evil := `<script>alert(1)</script>"\` + "\u2028\x00\xff" + `javascript:x`
	r := alert(1, evil, evil, stix.TLPClear)
	r.Alert.Indicator = evil
	r.Alert.Sources = []string{evil}
	r.Retro = &Retro{FirstSeen: t0, DwellSeconds: 42}
	if _, err := l.Append([]Record{r}); err != nil {
		t.Fatal(err)
	}
	pg, err := l.Query(Filter{Q: "<SCRIPT>"}, 10, "")
	if err != nil || len(pg.Alerts) != 1 {
		t.Fatalf("%v %d", err, len(pg.Alerts))
	}
	b := pg.Alerts[0]
	if bytes.Contains(b, []byte("<")) || bytes.Contains(b, []byte("\u2028")) {
		t.Fatalf("raw markup in JSON: %s", b)
	}
	m := decode(t, b)
	want := strings.ToValidUTF8(evil, "\ufffd")
	if m["indicator"] != want || m["kind"] != want || m["retro"] != true || m["dwell_seconds"].(float64) != 42 {
		t.Fatalf("round trip: %v", m)
	}
}

type fakeMarks struct {
	levels map[string]stix.TLP
	names  map[string][]string // norm -> object ids
	calls  int
}

func (f *fakeMarks) TLP(_ context.Context, id string) (stix.TLP, error) {
	f.calls++
	if l, ok := f.levels[id]; ok {
		return l, nil
	}
	return stix.TLPRed, os.ErrNotExist
}

func (f *fakeMarks) ClaimsByName(_ context.Context, norm string) ([]knowledge.NameClaim, error) {
	var out []knowledge.NameClaim
	for _, id := range f.names[norm] {
		out = append(out, knowledge.NameClaim{Norm: norm, ObjectID: id, Kind: knowledge.ClaimName})
	}
	return out, nil
}

func TestStamper(t *testing.T) {
	fm := &fakeMarks{
		levels: map[string]stix.TLP{"indicator--a": stix.TLPGreen, "indicator--b": stix.TLPAmber,
			"intrusion-set--open": stix.TLPClear, "intrusion-set--secret": stix.TLPRed, "intrusion-set--both-red": stix.TLPRed, "intrusion-set--both-green": stix.TLPGreen},
		names: map[string][]string{"open": {"intrusion-set--open"}, "secret": {"intrusion-set--secret"},
			"both": {"intrusion-set--both-red", "intrusion-set--both-green"}},
	}
	s := NewStamper(fm)
	ctx := context.Background()
	a := match.Alert{IndicatorIDs: []string{"indicator--a", "indicator--b"}, Actors: []indicator.Actor{{Name: "Open"}}}
	s.Stamp(ctx, &a)
	s.Stamp(ctx, &a)
	if a.TLP != stix.TLPAmber || fm.calls != 3 {
		t.Fatalf("%v after %d calls", a.TLP, fm.calls)
	}
	a = match.Alert{IndicatorIDs: []string{"indicator--a"}, Actors: []indicator.Actor{{Name: "Secret"}}}
	s.Stamp(ctx, &a)
	if a.TLP != stix.TLPRed {
		t.Fatalf("a red actor's name on a green alert: %v", a.TLP)
	}
	a = match.Alert{Actors: []indicator.Actor{{Name: "Both"}}}
	s.Stamp(ctx, &a)
	if a.TLP != stix.TLPGreen {
		t.Fatalf("a name held at green and red: %v", a.TLP)
	}
	for _, a := range []match.Alert{{IndicatorIDs: []string{"indicator--gone"}}, {Actors: []indicator.Actor{{Name: "Nobody"}}}} {
		s.Stamp(ctx, &a)
		if a.TLP != stix.TLPRed {
			t.Fatalf("unknown intel: %v", a.TLP)
		}
	}
	a = match.Alert{}
	s.Stamp(ctx, &a)
	if a.TLP != stix.TLPClear {
		t.Fatalf("no intel: %v", a.TLP)
	}
}

// Appends from concurrent writers (processes take turns on the flock)
// each land whole.
func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	done := make(chan error)
	for w := 0; w < 4; w++ {
		go func(w int) {
			l, err := Open(dir)
			if err == nil {
				var recs []Record
				for i := 0; i < 100; i++ {
					recs = append(recs, alert(w*1000+i, "A", "domain", 0))
				}
				_, err = l.Append(recs)
			}
			done <- err
		}(w)
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	l, _ := Open(dir)
	if st := l.Stats(); st.Alerts != 400 || st.Bad != 0 {
		t.Fatalf("%+v", st)
	}
	files, _ := filepath.Glob(filepath.Join(dir, Dir, "*.jsonl"))
	f, _ := os.Open(files[0])
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
	}
	if n != 400 {
		t.Fatalf("%d lines", n)
	}
}

// Queries run while other writers append and the log refreshes: the
// published index never changes under a reader (run with -race).
func TestQueryDuringRefresh(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for round := 0; round < 20; round++ {
			var recs []Record
			for i := 0; i < 50; i++ {
				// Times interleave with earlier rounds, so every refresh merges.
				recs = append(recs, alert(i*20+round, "A", "domain", 0))
			}
			if _, err := w.Append(recs); err != nil {
				t.Error(err)
				return
			}
			if _, err := l.Refresh(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			if st := l.Stats(); st.Alerts != 1000 {
				t.Fatalf("%+v", st)
			}
			return
		default:
		}
		pg, err := l.Query(Filter{Clearance: stix.TLPRed}, 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		var last string
		for _, b := range pg.Alerts {
			ts := decode(t, b)["ts"].(string)
			if last != "" && ts > last {
				t.Fatalf("order broke under refresh: %s after %s", ts, last)
			}
			last = ts
		}
	}
}

// TestEveryFieldSurvives: an alert read back from the file (by a fresh
// Open, as the server reads what `umbra ingest` wrote) says everything the
// matcher said; a field the loader forgets is lost to the API and the UI.
func TestEveryFieldSurvives(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := match.Alert{Time: t0, UID: "CuidX1", Sensor: "zeek-edge", Where: "dns.query", Host: "10.20.10.10",
		Indicator: "lpg.gamecdn-sync.net", IndicatorType: "domain", Matched: "gamecdn-sync.net",
		IndicatorIDs: []string{"indicator--81258049-09cf-53ec-886e-754cc7aaf70c"}, Sources: []string{"later-feed"},
		Actors: []indicator.Actor{{Name: "Winnti umbrella", Confidence: 85}}, TLP: stix.TLPAmber,
		Pattern: "[domain-name:value = 'gamecdn-sync.net'] FOLLOWEDBY [ipv4-addr:value = '103.97.176.40']",
		Related: []match.Observation{{Time: t0.Add(-time.Minute), UID: "CuidX0", Where: "conn.id.resp_h", Indicator: "103.97.176.40"}}}
	if _, err := w.Append([]Record{{Alert: a}}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := r.Query(Filter{Clearance: stix.TLPRed}, 10, "")
	if err != nil || len(pg.Alerts) != 1 {
		t.Fatalf("query: %v, %d alerts", err, len(pg.Alerts))
	}
	got := decode(t, pg.Alerts[0])
	want := decode(t, a.AppendJSON(nil))
	for k, v := range want {
		if g, _ := json.Marshal(got[k]); string(g) != string(mustJSON(t, v)) {
			t.Errorf("%s: read back %s, the matcher wrote %s", k, g, mustJSON(t, v))
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
