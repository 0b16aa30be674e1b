package memory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// norm makes two events that hold the same values compare equal: empty
// slices as nil, times in UTC.
func norm(e event.Event) event.Event {
	c := e.Clone()
	c.Time = c.Time.UTC()
	for _, l := range []*[]string{&c.ALPN, &c.CertNames, &c.Emails, &c.Cookies} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(c.Answers) == 0 {
		c.Answers = nil
	}
	return c
}

// oddEvents exercise every field and the awkward values: IPv6, IPv4-mapped
// IPv6, absent addresses, long and non-UTF-8 strings, lists, big counters,
// times before 1970 and with nanoseconds.
func oddEvents() []event.Event {
	long := strings.Repeat("x", 70000)
	return []event.Event{
		{
			Time: day0.Add(1500 * time.Millisecond), Sensor: "zeek", UID: "CfullAAAAAAAAAAAAA", Kind: event.KindX509,
			Proto: 6, SrcIP: netip.MustParseAddr("2001:db8::1"), DstIP: netip.MustParseAddr("::ffff:192.0.2.1"),
			SrcPort: 65535, DstPort: 443, CommunityID: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
			Domain: "Evil.Example.COM.", Answers: []netip.Addr{netip.MustParseAddr("192.0.2.9"), netip.MustParseAddr("2001:db8::9")},
			URL: "http://evil.example.com/a?b=c", Host: "evil.example.com", URI: "/a?b=c", SNI: "sni.evil.example.com",
			ALPN: []string{"h2"}, CertSHA1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
			CertSHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", CertSerial: "4D3A91F27C0E55B1",
			CertSubject: "CN=evil", CertIssuer: "CN=ca", CertNames: []string{"a.evil.example.com", "b.evil.example.com"},
			JA3: "ja3", JA3S: "ja3s", JA4: "t13d1516h2_8daaf6152771_b186095e22b6", MD5: "d41d8cd98f00b204e9800998ecf8427e",
			SHA1: "sha1", SHA256: "sha256", FileName: "invoice.pdf.exe", Emails: []string{"a@b.example", "c@d.example"},
			User: "alice@corp.example", UserAgent: "Mozilla/5.0", Cookies: []string{"sid", "", "track"},
			App: "Office 365", Result: "success", OrigBytes: math64, RespBytes: 1,
		},
		{Time: day0.Add(2*time.Second + 7), Kind: event.KindGeneric, Sensor: "\xff\xfe not utf-8", URI: long},
		{Time: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), Kind: event.KindWeird, SrcIP: netip.MustParseAddr("0.0.0.0")},
		{Time: day0.Add(3 * time.Second), Kind: event.KindDNS, Domain: "Evil.Example.COM.", SrcIP: netip.MustParseAddr("192.0.2.1")},
		{Kind: event.KindGeneric, Sensor: "zeek", URI: "no time at all"},
	}
}

const math64 = 1<<64 - 1

func scanAll(t *testing.T, s *Store, f Filter) ([]event.Event, ScanStats) {
	t.Helper()
	f.Workers = 1
	var got []event.Event
	st, err := s.Scan(context.Background(), f, func(e *event.Event) error {
		got = append(got, e.Clone())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

func byUID(t *testing.T, evs []event.Event) map[string]event.Event {
	t.Helper()
	m := make(map[string]event.Event, len(evs))
	for _, e := range evs {
		if _, dup := m[e.UID]; dup {
			t.Fatalf("uid %s stored twice", e.UID)
		}
		m[e.UID] = norm(e)
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenOptions(dir, Options{SegmentEvents: 5000})
	if err != nil {
		t.Fatal(err)
	}
	var want []event.Event
	for i, e := range oddEvents() {
		e.UID = fmt.Sprintf("odd%d", i)
		want = append(want, e)
	}
	gen := newTraffic(1, day0.Add(23*time.Hour+50*time.Minute)) // crosses midnight
	var e event.Event
	for i := range 20000 {
		gen.next(&e)
		e.UID = fmt.Sprintf("%s-%d", e.UID, i)
		want = append(want, e.Clone())
	}
	for i := range want {
		if err := s.Append(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := scanAll(t, s, Filter{})
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	gm := byUID(t, got)
	for _, w := range want {
		w = norm(w)
		g := gm[w.UID]
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("event %s:\n got %+v\nwant %+v", w.UID, trim(g), trim(w))
		}
	}
	st := s.Stats()
	if st.Events != uint64(len(want)) || st.Segments < 4 || !st.First.Equal(want[2].Time) {
		t.Fatalf("stats %+v", st)
	}
}

func trim(e event.Event) event.Event {
	if len(e.URI) > 100 {
		e.URI = e.URI[:100] + "..."
	}
	return e
}

func TestAppendRejectsUnrepresentableTime(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tm := range []time.Time{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		err := s.Append(&event.Event{Time: tm, UID: "Cx"})
		if err == nil || !strings.Contains(err.Error(), "Cx") {
			t.Fatalf("time %v: err = %v", tm, err)
		}
	}
}

func TestScanSkipsSegmentsByStats(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gen := newTraffic(2, day0)
	var e event.Event
	values := map[string]bool{}
	for d := range 3 {
		gen.now = day0.Add(time.Duration(d) * 24 * time.Hour)
		for range 3000 {
			gen.next(&e)
			if err := s.Append(&e); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{e.Domain, e.SNI, e.Host, e.JA3} {
				if v != "" {
					values[v] = true
				}
			}
			values[e.DstIP.String()] = true
		}
	}
	marker := event.Event{Time: day0.Add(36 * time.Hour), UID: "marker", Kind: event.KindDNS,
		Domain: "c2.umbrella-test.example", SrcIP: netip.MustParseAddr("10.9.9.9"), DstIP: netip.MustParseAddr("203.0.113.77")}
	if err := s.Append(&marker); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}

	// The marker's day only, by domain, by parent domain, by address.
	for _, v := range []string{"c2.umbrella-test.example", "UMBRELLA-TEST.example", "203.0.113.77"} {
		got, st := scanAll(t, s, Filter{Values: []string{v}})
		if st.Segments != 1 || st.SkippedValues != 2 {
			t.Errorf("value %s: decoded %d segments, skipped %d", v, st.Segments, st.SkippedValues)
		}
		found := false
		for _, g := range got {
			found = found || g.UID == "marker"
		}
		if !found {
			t.Errorf("value %s: marker not scanned", v)
		}
	}
	// A value no segment holds skips them all (bloom false positives
	// aside, which at 1% over 3 segments this fixed seed does not hit).
	if _, st := scanAll(t, s, Filter{Values: []string{"absent.invalid", "198.51.100.1"}}); st.Segments != 0 {
		t.Errorf("absent values decoded %d segments", st.Segments)
	}
	// A prefix is tested against the address range only: one above every
	// stored address skips all, one inside the range skips none.
	if _, st := scanAll(t, s, Filter{Values: []string{"240.0.0.0/8", "2001:db8::/32"}}); st.Segments != 0 {
		t.Errorf("prefix above every address decoded %d segments", st.Segments)
	}
	if _, st := scanAll(t, s, Filter{Values: []string{"10.0.0.0/8"}}); st.Segments != 3 {
		t.Errorf("prefix of the internal hosts decoded %d segments", st.Segments)
	}
	// No false negatives: every stored value keeps its segments.
	s.mu.Lock()
	segs := s.segs
	s.mu.Unlock()
	all, _ := scanAll(t, s, Filter{})
	n := 0
	for v := range values {
		found := false
		for _, sg := range segs {
			found = found || sg.st.mayContain(&compileProbes([]string{v})[0])
		}
		if !found {
			t.Fatalf("value %q: every segment's stats exclude it", v)
		}
		n++
	}
	if n < 100 || len(all) != 9001 {
		t.Fatalf("%d values, %d events", n, len(all))
	}
	// Time filter: exactly the events of [day 1 12:00, day 2 00:00).
	from, to := day0.Add(36*time.Hour), day0.Add(48*time.Hour)
	got, st := scanAll(t, s, Filter{From: from, To: to})
	want := 0
	for _, e := range all {
		if !e.Time.Before(from) && e.Time.Before(to) {
			want++
		}
	}
	if len(got) != want || want == 0 || st.SkippedTime != 2 {
		t.Fatalf("time filter: %d events (want %d), skipped %d segments", len(got), want, st.SkippedTime)
	}
}

func TestParallelScanSeesEveryEventOnce(t *testing.T) {
	s, err := OpenOptions(t.TempDir(), Options{SegmentEvents: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gen := newTraffic(3, day0)
	var e event.Event
	for i := range 10000 {
		gen.next(&e)
		e.UID = fmt.Sprint(i)
		if err := s.Append(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	seen := make([]int32, 10000)
	var mu = make(chan struct{}, 1)
	st, err := s.Scan(context.Background(), Filter{Workers: 2}, func(e *event.Event) error {
		var i int
		fmt.Sscan(e.UID, &i)
		mu <- struct{}{}
		seen[i]++
		<-mu
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("event %d seen %d times (%+v)", i, n, st)
		}
	}
	// An error from fn stops the scan and comes back.
	stop := errors.New("enough")
	if _, err := s.Scan(context.Background(), Filter{}, func(*event.Event) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("err = %v", err)
	}
}

// failAfter is a disk that fills up after n bytes.
type failAfter struct {
	w io.Writer
	n *int
}

// failMu guards the budgets of failAfter: Flush writes two segments at
// once, from the background writer and the caller.
var failMu sync.Mutex

func (f failAfter) Write(p []byte) (int, error) {
	failMu.Lock()
	defer failMu.Unlock()
	if len(p) > *f.n {
		k, _ := f.w.Write(p[:*f.n])
		*f.n = 0
		return k, syscall.ENOSPC
	}
	*f.n -= len(p)
	return f.w.Write(p)
}

// A disk that fills up at any byte of a flush (first segment, second
// segment, manifest) gives an error naming the file and the cause, and
// leaves the store as the last successful flush made it.
func TestFullDiskLeavesStoreIntact(t *testing.T) {
	// scenario flushes 2000 events, then appends 4000 more over two days
	// and flushes through a disk with budget bytes free (-1: unlimited).
	// It returns the store, the bytes the second flush wrote and its error.
	scenario := func(t *testing.T, dir string, budget int) (*Store, int, error) {
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		gen := newTraffic(4, day0)
		var e event.Event
		add := func(n int, prefix string) {
			for i := range n {
				gen.next(&e)
				e.UID = fmt.Sprintf("%s%d", prefix, i)
				if err := s.Append(&e); err != nil {
					t.Fatal(err)
				}
			}
		}
		add(2000, "a")
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		add(2000, "b")
		left := budget
		if budget < 0 {
			left = math.MaxInt
		}
		s.wrap = func(w io.Writer) io.Writer { return failAfter{w, &left} }
		gen.now = gen.now.Add(24 * time.Hour)
		add(2000, "c")
		err = s.Flush()
		if budget < 0 {
			return s, math.MaxInt - left, err
		}
		return s, budget - left, err
	}
	s, total, err := scenario(t, t.TempDir(), -1)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, budget := range []int{0, 1, total / 3, total / 2, total - 300, total - 1} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			dir := t.TempDir()
			s, _, err := scenario(t, dir, budget)
			if err == nil {
				t.Fatalf("flush of %d bytes succeeded with %d free", total, budget)
			}
			if !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), dir) {
				t.Fatalf("unclear error: %v", err)
			}
			// What a crash now would leave: only the first flush.
			s2 := reopenAfterCrash(t, s, dir)
			if got, _ := scanAll(t, s2, Filter{}); len(got) != 2000 {
				t.Fatalf("after a failed flush the store holds %d events, want 2000", len(got))
			}
			s2.Close()
			if m, _ := filepath.Glob(filepath.Join(dir, dirName, "*"+tmpExt)); len(m) != 0 {
				t.Fatalf("temporary files left: %v", m)
			}
		})
	}
}

// reopenAfterCrash abandons s without flushing (as a killed process would)
// and opens dir again.
func reopenAfterCrash(t *testing.T, s *Store, dir string) *Store {
	t.Helper()
	s.mu.Lock()
	s.closed = true
	s.lock.Close()
	s.mu.Unlock()
	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("store does not open: %v", err)
	}
	return s2
}

func TestFlushRetriesAfterFullDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	gen := newTraffic(5, day0)
	var e event.Event
	for i := range 3000 {
		gen.next(&e)
		e.UID = fmt.Sprint(i)
		s.Append(&e)
	}
	left := 1000
	s.wrap = func(w io.Writer) io.Writer { return failAfter{w, &left} }
	if err := s.Flush(); err == nil {
		t.Fatal("flush on a full disk succeeded")
	}
	s.wrap = func(w io.Writer) io.Writer { return w }
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	s2 := reopenAfterCrash(t, s, dir)
	defer s2.Close()
	got, _ := scanAll(t, s2, Filter{})
	if len(byUID(t, got)) != 3000 {
		t.Fatalf("%d events after retry", len(got))
	}
}

func TestDamagedSegmentsAreQuarantined(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	gen := newTraffic(6, day0)
	var e event.Event
	perDay := map[string]int{}
	for d := range 4 {
		gen.now = day0.Add(time.Duration(d) * 24 * time.Hour)
		for range 1000 {
			gen.next(&e)
			s.Append(&e)
		}
		perDay[gen.now.Format("20060102")] += 1000
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, dirName, "*"+segExt))
	if len(segs) != 4 {
		t.Fatalf("%d segments", len(segs))
	}
	// 0: truncated; 1: a flipped bit in the stats; 2: a flipped bit in
	// the data, which Open cannot see but Scan must.
	b, _ := os.ReadFile(segs[0])
	os.WriteFile(segs[0], b[:len(b)/2], 0o644)
	b, _ = os.ReadFile(segs[1])
	b[len(b)-footerSize-3] ^= 0x10
	os.WriteFile(segs[1], b, 0o644)
	b, _ = os.ReadFile(segs[2])
	b[len(segMagic)+20] ^= 0x01
	os.WriteFile(segs[2], b, 0o644)

	s, err = Open(dir)
	if err != nil {
		t.Fatalf("store with damaged segments does not open: %v", err)
	}
	probs := s.Problems()
	if len(probs) != 2 || probs[0].Segment != filepath.Base(segs[0]) || !strings.Contains(probs[0].Err, "truncated") ||
		probs[1].Segment != filepath.Base(segs[1]) || !strings.Contains(probs[1].Err, "checksum") {
		t.Fatalf("problems on open: %+v", probs)
	}
	got, st := scanAll(t, s, Filter{})
	if len(st.Problems) != 1 || st.Problems[0].Segment != filepath.Base(segs[2]) {
		t.Fatalf("scan problems: %+v", st.Problems)
	}
	if len(got) != 1000 {
		t.Fatalf("%d events from the one intact segment", len(got))
	}
	q, _ := filepath.Glob(filepath.Join(dir, dirName, quarantineName, "*"))
	if len(q) != 3 {
		t.Fatalf("quarantine holds %v", q)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st := s.Stats(); st.Segments != 1 || st.Events != 1000 || len(s.Problems()) != 0 {
		t.Fatalf("after quarantine: %+v, %v", st, s.Problems())
	}
}

func TestSecondOpenIsRefusedButReadStatsWorks(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(dir); err == nil || !errors.Is(err, ErrInUse) {
		t.Fatalf("err = %v", err)
	}
	gen := newTraffic(10, day0)
	var e event.Event
	for range 700 {
		gen.next(&e)
		s.Append(&e)
	}
	s.Flush()
	for range 300 { // buffered, not committed: not in ReadStats
		gen.next(&e)
		s.Append(&e)
	}
	got, err := ReadStats(dir)
	want := s.Stats()
	want.Buffered = 0
	if err != nil || got != want || got.Events != 700 {
		t.Fatalf("ReadStats = %+v, %v; Stats = %+v", got, err, want)
	}
}

func TestCheckpoints(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "conn.log")
	os.WriteFile(src, []byte(strings.Repeat("line\n", 1000)), 0o644)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := NewCheckpoint(src, 3000, 600)
	if err != nil {
		t.Fatal(err)
	}
	s.SetCheckpoint(cp)
	if got, ok := s.Checkpoint(src); !ok || got != cp {
		t.Fatalf("staged checkpoint %+v", got)
	}
	// Set but not flushed: a crash loses it, together with its events.
	s2 := reopenAfterCrash(t, s, dir)
	if _, ok := s2.Checkpoint(src); ok {
		t.Fatal("unflushed checkpoint survived a crash")
	}
	s2.SetCheckpoint(cp)
	if err := s2.Flush(); err != nil {
		t.Fatal(err)
	}
	s3 := reopenAfterCrash(t, s2, dir)
	defer s3.Close()
	got, ok := s3.Checkpoint(src)
	if !ok || got != cp {
		t.Fatalf("committed checkpoint %+v, want %+v", got, cp)
	}
	if off, err := got.Resume(src); err != nil || off != 3000 {
		t.Fatalf("unchanged file resumes at %d, %v", off, err)
	}
	f, _ := os.OpenFile(src, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("more\n")
	f.Close()
	if off, _ := got.Resume(src); off != 3000 {
		t.Fatalf("appended file resumes at %d", off)
	}
	os.WriteFile(src, []byte(strings.Repeat("LINE\n", 1000)), 0o644)
	if off, _ := got.Resume(src); off != 0 {
		t.Fatalf("replaced file resumes at %d", off)
	}
	os.WriteFile(src, []byte("line\n"), 0o644)
	if off, _ := got.Resume(src); off != 0 {
		t.Fatalf("truncated file resumes at %d", off)
	}
}

func TestRetention(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gen := newTraffic(7, day0)
	var e event.Event
	for d := range 10 {
		gen.now = day0.Add(time.Duration(d) * 24 * time.Hour)
		for range 500 {
			gen.next(&e)
			s.Append(&e)
		}
	}
	s.Flush()
	now := day0.Add(10 * 24 * time.Hour)
	if err := s.SetPolicy(Policy{MaxAge: 4 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	n, _, err := s.Enforce(now)
	if err != nil || n != 6 {
		t.Fatalf("age: dropped %d, %v", n, err)
	}
	if st := s.Stats(); st.Segments != 4 || st.First.Before(day0.Add(6*24*time.Hour)) {
		t.Fatalf("after age retention: %+v", st)
	}
	size := s.Stats().Bytes
	s.SetPolicy(Policy{MaxBytes: size - 1})
	if n, _, _ := s.Enforce(now); n != 1 {
		t.Fatalf("size: dropped %d", n)
	}
	st := s.Stats()
	if st.Segments != 3 || st.Bytes > size-1 || st.First.Before(day0.Add(7*24*time.Hour)) {
		t.Fatalf("after size retention: %+v", st)
	}
	files, _ := filepath.Glob(filepath.Join(dir, dirName, "*"+segExt))
	if len(files) != 3 {
		t.Fatalf("%d segment files left", len(files))
	}
	p, _ := s.Policy()
	if p.MaxBytes != size-1 {
		t.Fatalf("policy %+v", p)
	}
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenOptions(dir, Options{SegmentEvents: 4000})
	if err != nil {
		t.Fatal(err)
	}
	gen := newTraffic(8, day0)
	var e event.Event
	var want []event.Event
	for range 12 { // twelve small flushes of one day
		for range 300 {
			gen.next(&e)
			e.UID = fmt.Sprint(len(want))
			want = append(want, e.Clone())
			s.Append(&e)
		}
		s.Flush()
	}
	before := s.Stats()
	n, err := s.Compact(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	if n != 11 || after.Segments != 1 || after.Events != before.Events || after.Bytes >= before.Bytes {
		t.Fatalf("compaction merged %d: before %+v after %+v", n, before, after)
	}
	s.Close()
	s, _ = Open(dir)
	defer s.Close()
	got, _ := scanAll(t, s, Filter{})
	gm := byUID(t, got)
	for _, w := range want {
		if !reflect.DeepEqual(gm[w.UID], norm(w)) {
			t.Fatalf("event %s changed by compaction", w.UID)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, dirName, "*"+segExt))
	if len(files) != 1 {
		t.Fatalf("files after compaction: %v", files)
	}
}

func TestParseSizes(t *testing.T) {
	for in, want := range map[string]int64{"50GB": 50e9, "512MiB": 512 << 20, "1000": 1000, "1.5kb": 1500} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v", in, got, err)
		}
	}
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "GB", "-1", "x9"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted", bad)
		}
		if _, err := ParseAge(bad); err == nil && bad != "" {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
}

// Segments written in the background while appends go on: a full disk
// there surfaces from a later Append (which then does not take its event)
// or from Flush, and once space is back every accepted event is stored once.
func TestBackgroundSpillOnFullDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenOptions(dir, Options{SegmentEvents: 500})
	if err != nil {
		t.Fatal(err)
	}
	var full atomic.Bool
	full.Store(true)
	s.wrap = func(w io.Writer) io.Writer { return diskFull{w, &full} }
	gen := newTraffic(11, day0)
	var e event.Event
	accepted, refused := 0, 0
	for i := range 5000 {
		gen.next(&e)
		e.UID = fmt.Sprint(i)
		if err := s.Append(&e); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("append %d: %v", i, err)
			}
			refused++
			continue
		}
		accepted++
	}
	if refused == 0 {
		t.Fatal("no Append reported the full disk")
	}
	if err := s.Flush(); err == nil {
		t.Fatal("flush on a full disk succeeded")
	}
	full.Store(false)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	s2 := reopenAfterCrash(t, s, dir)
	defer s2.Close()
	got, _ := scanAll(t, s2, Filter{})
	if len(byUID(t, got)) != accepted {
		t.Fatalf("%d events stored, %d accepted (%d refused)", len(got), accepted, refused)
	}
}

// diskFull fails every write while full is set.
type diskFull struct {
	w    io.Writer
	full *atomic.Bool
}

func (d diskFull) Write(p []byte) (int, error) {
	if d.full.Load() {
		return 0, syscall.ENOSPC
	}
	return d.w.Write(p)
}
