package zeekparity

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// outcome is one case's line of the summary table.
type outcome struct {
	name                               string
	matched, zeekOnly, gaps, umbraOnly int
	note                               string
}

// TestZeekIntelParity runs every btest in cases and logs the summary table
// (go test -v -run ZeekIntelParity ./match/zeekparity).
func TestZeekIntelParity(t *testing.T) {
	dir := dataDir(t)
	var results []outcome
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.name, "scripts."), func(t *testing.T) {
			o := runCase(t, dir, c)
			results = append(results, o)
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-50s %7s %9s %4s %10s  %s\n", "btest (scripts.*.frameworks.intel.)", "matched", "zeek-only", "gap", "umbra-only", "note")
	var sum outcome
	for _, o := range results {
		name := o.name[strings.Index(o.name, "intel.")+len("intel."):]
		fmt.Fprintf(&b, "%-50s %7d %9d %4d %10d  %s\n", name, o.matched, o.zeekOnly, o.gaps, o.umbraOnly, o.note)
		sum.matched, sum.zeekOnly, sum.gaps, sum.umbraOnly = sum.matched+o.matched, sum.zeekOnly+o.zeekOnly, sum.gaps+o.gaps, sum.umbraOnly+o.umbraOnly
	}
	fmt.Fprintf(&b, "%-50s %7d %9d %4d %10d\n", "total", sum.matched, sum.zeekOnly, sum.gaps, sum.umbraOnly)
	t.Log(b.String())
}

func runCase(t *testing.T, dir string, c parityCase) outcome {
	caseDir := filepath.Join(dir, "cases", c.name)
	o := outcome{name: c.name}
	for _, s := range c.skipped {
		t.Logf("not compared: %s", s)
	}
	if len(c.skipped) > 0 {
		o.note = "partly skipped"
	}
	want := "intel"
	if c.notice {
		want = "notice"
	}
	var rows []logRow
	for _, r := range readBaseline(t, filepath.Join(caseDir, "baseline", c.baseline)) {
		if r.Path == want || r.Path == "" {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no %s rows in the baseline", c.baseline, want)
	}
	st := &intelState{inds: map[[2]string]*indicator.Indicator{}, allow: allowlist.Default()}
	seenZeekOnly, seenUmbraOnly := map[tuple]bool{}, map[tuple]bool{}
	umbraAll := sightings{}
	for pi, ph := range c.phases {
		t.Logf("phase %d", pi+1)
		loadPhase(t, st, caseDir, ph)
		var evs []event.Event
		for _, s := range ph.seen {
			var ev event.Event
			if !seenEvent(t, s, &ev) {
				t.Logf("    Intel::seen of %s %q: umbra has no such indicator type", s.zeekType, s.indicator)
				continue
			}
			evs = append(evs, ev)
		}
		for _, p := range ph.pcaps {
			evs = append(evs, readTrace(t, filepath.Join(dir, "Traces", p))...)
		}
		umbra := sightings{}
		umbraSightings(st, evs, umbra)
		for k, d := range umbra {
			maps.Copy(umbraAll.add(k).items, d.items)
		}
		n := ph.rows
		if n > len(rows) {
			t.Fatalf("phase %d wrote %d rows, the baseline has %d left", pi+1, n, len(rows))
		}
		if n == 0 {
			n = len(rows)
		}
		zeek := zeekSightings(t, rows[:n], c.notice)
		rows = rows[n:]
		compare(t, c, zeek, umbra, &o, seenZeekOnly, seenUmbraOnly)
	}
	if len(rows) > 0 {
		t.Errorf("%d baseline rows not assigned to a phase, first at line %d", len(rows), rows[0].Line)
	}
	for k, why := range c.zeekOnly {
		if !seenZeekOnly[k] {
			t.Errorf("expected Zeek-only tuple %v (%s) is not in the baseline", k, why)
		}
	}
	for k, why := range c.gaps {
		if !seenZeekOnly[k] {
			t.Errorf("known gap %v (%s) is not in the baseline", k, why)
		}
	}
	for k, x := range c.umbraOnly {
		if !seenUmbraOnly[k] {
			t.Errorf("expected umbra-only tuple %v (%s) was not reported", k, x.why)
		}
	}
	if c.items != "" {
		compareItems(t, filepath.Join(caseDir, "baseline", c.items), umbraAll)
	}
	return o
}

// loadPhase applies a phase's intel changes and rebuilds the snapshot, as
// umbra does on every intel change.
func loadPhase(t *testing.T, st *intelState, caseDir string, ph phase) {
	t.Helper()
	for _, f := range ph.intel {
		special := readIntel(t, st, filepath.Join(caseDir, "input", f))
		for _, v := range special["allowlist entry"] {
			// Zeek's meta.whitelist=T suppresses matches of the value;
			// umbra's equivalent is a user allow-list entry, which keeps
			// the indicator out of the snapshot.
			if err := st.allow.Add(v, allowlist.ListUser); err != nil {
				t.Fatalf("%s: allow-list %q: %v", f, v, err)
			}
			t.Logf("    %s: meta.whitelist=T for %q -> user allow-list", f, v)
		}
		for _, v := range special["removal entry"] {
			// umbra removes an indicator by revoking it in the store, after
			// which intel.ActiveIndicators no longer returns it.
			for k := range st.inds {
				if k[1] == v {
					delete(st.inds, k)
				}
			}
			t.Logf("    %s: meta.remove=T for %q -> removed from the active set", f, v)
		}
	}
	for _, it := range ph.inserts {
		ut, ok := umbraType(it.zeekType, it.value)
		if !ok {
			t.Logf("    Intel::insert %s %q: umbra has no such indicator type", it.zeekType, it.value)
			continue
		}
		v, err := indicator.Normalize(ut, it.value)
		if err != nil {
			t.Fatalf("Intel::insert %q: %v", it.value, err)
		}
		st.add(ut, v, it.source)
	}
	st.filter = st.filter || ph.filter
	prev := st.snap
	st.build(t)
	if prev != nil {
		t.Logf("    snapshot %s -> %s", prev.Version(), st.snap.Version())
	}
}

func compare(t *testing.T, c parityCase, zeek, umbra sightings, o *outcome, seenZeekOnly, seenUmbraOnly map[tuple]bool) {
	t.Helper()
	keys := slices.SortedFunc(func(yield func(tuple) bool) {
		for k := range zeek {
			if !yield(k) {
				return
			}
		}
		for k := range umbra {
			if _, dup := zeek[k]; !dup && !yield(k) {
				return
			}
		}
	}, func(a, b tuple) int { return strings.Compare(a.String(), b.String()) })
	both := map[tuple]bool{}
	for k := range zeek {
		if umbra[k] != nil {
			both[k] = true
		}
	}
	for _, k := range keys {
		z, u := zeek[k], umbra[k]
		switch {
		case z != nil && u != nil:
			o.matched++
			if why, ok := c.zeekOnly[k]; ok {
				t.Errorf("%v is listed as Zeek-only (%s) but umbra reports it: update the case", k, why)
			}
			if why, ok := c.gaps[k]; ok {
				t.Errorf("%v is listed as a gap (%s) but umbra reports it now: remove the entry", k, why)
			}
			if len(z.matched) > 0 && !maps.Equal(z.matched, u.matched) {
				t.Errorf("%v: Zeek matched item types %v, umbra %v", k, slices.Sorted(maps.Keys(z.matched)), slices.Sorted(maps.Keys(u.matched)))
			}
			if len(z.sources) > 0 && !maps.Equal(z.sources, u.sources) {
				t.Errorf("%v: Zeek sources %v, umbra %v", k, slices.Sorted(maps.Keys(z.sources)), slices.Sorted(maps.Keys(u.sources)))
			}
			for f := range z.flows {
				if !u.flows[f] {
					t.Errorf("%v: Zeek saw it on flow %s, umbra on %v", k, f, slices.Sorted(maps.Keys(u.flows)))
				}
			}
			t.Logf("    both       %v (Zeek %d rows, umbra %d hits)", k, z.count, u.count)
		case z != nil:
			seenZeekOnly[k] = true
			if why, ok := c.gaps[k]; ok {
				o.gaps++
				t.Logf("    GAP        %v (Zeek %d rows): %s", k, z.count, why)
				continue
			}
			why, ok := c.zeekOnly[k]
			if !ok {
				o.zeekOnly++
				t.Errorf("umbra misses %v (Zeek %d rows)", k, z.count)
				continue
			}
			o.zeekOnly++
			t.Logf("    zeek-only  %v: %s", k, why)
		default:
			o.umbraOnly++
			seenUmbraOnly[k] = true
			x, ok := c.umbraOnly[k]
			if !ok {
				t.Errorf("umbra reports %v (%d hits), Zeek does not, and no documented reason covers it", k, u.count)
				continue
			}
			if x.check != nil && !x.check(k, both) {
				t.Errorf("umbra reports %v, listed as %q, but it is not of that kind", k, x.why)
				continue
			}
			t.Logf("    umbra-only %v: %s", k, x.why)
		}
	}
}

// compareItems checks, for each Intel::seen the script printed, that umbra
// matched the same items (the indicators themselves, not only their types).
func compareItems(t *testing.T, path string, umbra sightings) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]map[string]bool{}
	var cur string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := bracketIndicator(line, "Seen: "); ok {
			cur = v
			want[cur] = map[string]bool{}
		} else if v, ok := bracketIndicator(line, "Item: "); ok && cur != "" {
			want[cur][v] = true
		}
	}
	if len(want) == 0 {
		t.Fatalf("%s: no Seen/Item lines", path)
	}
	for obs, items := range want {
		got := map[string]bool{}
		for k, d := range umbra {
			if k.Indicator == obs {
				maps.Copy(got, d.items)
			}
		}
		if !maps.Equal(items, got) {
			t.Errorf("seen %s: Zeek matched items %v, umbra %v", obs, slices.Sorted(maps.Keys(items)), slices.Sorted(maps.Keys(got)))
		} else {
			t.Logf("    seen %s matched the same %d items: %v", obs, len(got), slices.Sorted(maps.Keys(got)))
		}
	}
}

// bracketIndicator returns X from a line "<prefix>[indicator=X, ...".
func bracketIndicator(line, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(line, prefix+"[indicator=")
	if !ok {
		return "", false
	}
	v, _, ok := strings.Cut(rest, ",")
	return v, ok
}
