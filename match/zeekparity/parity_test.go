package zeekparity

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/intel/zeekintel"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap"
)

// tuple is one sighting in umbra's vocabulary: the observed value, the
// observed type (an address hit on a CIDR indicator is still an address, as
// Zeek's seen.indicator_type is ADDR) and the where label. A Zeek row with no
// umbra equivalent keeps Zeek's own type and location names.
type tuple struct {
	Indicator, Type, Where string
}

func (t tuple) String() string { return t.Indicator + " " + t.Type + " " + t.Where }

// sightings collects, per tuple, what each side says about it.
type sightings map[tuple]*detail

type detail struct {
	count   int
	matched map[string]bool // Zeek Intel::Type names of the items that matched
	sources map[string]bool
	items   map[string]bool // umbra: the indicator values that matched
	flows   map[string]bool // "orig_h:orig_p>resp_h:resp_p"; absent for synthetic sightings
}

func (s sightings) add(t tuple) *detail {
	d := s[t]
	if d == nil {
		d = &detail{matched: map[string]bool{}, sources: map[string]bool{}, items: map[string]bool{}, flows: map[string]bool{}}
		s[t] = d
	}
	d.count++
	return d
}

// item is an Intel::insert made by a btest script.
type item struct{ value, zeekType, source string }

// seen is an Intel::seen call made by a btest script: host for addresses,
// otherwise indicator and its Intel::Type.
type seen struct{ host, indicator, zeekType, where string }

// phase is the part of a btest between two changes of the intel, and the
// baseline rows it wrote.
type phase struct {
	// intel files under the case's input/, read with zeekintel. Their
	// meta.whitelist=T lines become user allow-list entries and their
	// meta.remove=T lines remove the indicator from the active set.
	intel   []string
	filter  bool // drop indicators allowlist.Default() covers (Zeek: a filter_item hook)
	inserts []item
	seen    []seen
	pcaps   []string // traces under Traces/
	rows    int      // baseline rows the phase wrote; 0 means all that remain
}

// parityCase is one Zeek btest and what is known about the differences.
type parityCase struct {
	name     string
	baseline string // file under baseline/
	notice   bool   // the baseline is a notice.log of "Intel hit on X at W"
	phases   []phase
	// zeekOnly are tuples umbra cannot report, each with the Zeek feature
	// umbra lacks. A listed tuple that umbra does report fails the test, so
	// that the list is corrected when umbra gains the feature.
	zeekOnly map[tuple]string
	// gaps are tuples umbra should report and does not: bugs or missing
	// decoding in umbra, each naming what is wrong. They are counted apart
	// from Zeek-only features, and an entry that umbra starts to report
	// fails the test so that it is removed.
	gaps map[tuple]string
	// umbraOnly are tuples only umbra reports, each of a documented kind.
	umbraOnly map[tuple]extra
	// skipped names parts of the btest that are not compared, and why.
	skipped []string
	// items, when set, is the stdout baseline file listing the items each
	// Intel::seen matched ("Seen: [indicator=X" then "Item: [indicator=Y").
	items string
}

func dataDir(tb testing.TB) string {
	return corpus.Path(tb, "zeek-intel-btests")
}

// zeekSightings translates the baseline rows of one phase.
func zeekSightings(tb testing.TB, rows []logRow, notice bool) sightings {
	tb.Helper()
	out := sightings{}
	for _, r := range rows {
		var val, typ, where string
		if notice {
			m := noticeMsg.FindStringSubmatch(r.Fields["msg"])
			if m == nil {
				tb.Fatalf("line %d: notice msg %q is not an intel hit", r.Line, r.Fields["msg"])
			}
			val, where = m[1], m[2]
			typ = "Intel::ADDR" // the notice btest inserts and sees only addresses
			if _, err := netip.ParseAddr(val); err != nil {
				tb.Fatalf("line %d: notice on %q, which is not an address", r.Line, val)
			}
		} else {
			val, typ, where = r.Fields["seen.indicator"], r.Fields["seen.indicator_type"], r.Fields["seen.where"]
		}
		t := tuple{val, typ, where}
		if ut, ok := umbraType(typ, val); ok {
			if uw, ok := umbraWhere(where, typ, val); ok {
				t = tuple{val, ut.String(), uw}
			}
		}
		d := out.add(t)
		for _, m := range splitSet(r.Fields["matched"]) {
			d.matched[m] = true
		}
		for _, s := range splitSet(r.Fields["sources"]) {
			d.sources[s] = true
		}
		if h := r.Fields["id.orig_h"]; h != "" && h != "-" {
			d.flows[r.Fields["id.orig_h"]+":"+r.Fields["id.orig_p"]+">"+r.Fields["id.resp_h"]+":"+r.Fields["id.resp_p"]] = true
		}
	}
	return out
}

var noticeMsg = regexp.MustCompile(`^Intel hit on (\S+) at (\S+)$`)

func splitSet(s string) []string {
	if s == "" || s == "-" || s == "(empty)" {
		return nil
	}
	return strings.Split(s, ",")
}

// extra is a documented kind of sighting that umbra reports and Zeek does
// not. check, when set, verifies that a tuple really is of the kind, given
// the tuples both sides reported.
type extra struct {
	why   string
	check func(t tuple, both map[tuple]bool) bool
}

// leafOnTLS: umbra's TLS event carries the leaf certificate's fingerprint
// and SAN names, so a certificate hit is reported at tls.<field> as well as
// at x509.<field>. Zeek reports certificate values only at X509::IN_CERT.
var leafOnTLS = extra{
	why: "umbra also labels the leaf certificate's values on the TLS event; Zeek reports them once, at X509::IN_CERT",
	check: func(t tuple, both map[tuple]bool) bool {
		field, ok := strings.CutPrefix(t.Where, "tls.")
		return ok && both[tuple{t.Indicator, t.Type, "x509." + field}]
	},
}

// seenPolicy: the btest's Intel::seen_policy hook vetoes the sighting in
// Zeek; umbra has no per-sighting hook.
var seenPolicy = extra{why: "the btest's Intel::seen_policy hook suppresses it in Zeek; umbra has no per-sighting hook"}

// intelState is the active intel as Zeek's in-memory store holds it: items
// stay until removed, so each phase adds to the last.
type intelState struct {
	inds   map[[2]string]*indicator.Indicator // (type, value) -> indicator
	allow  *allowlist.Set
	filter bool
	snap   *match.Snapshot
}

func (st *intelState) add(t indicator.Type, value, source string) {
	k := [2]string{t.String(), value}
	ind := st.inds[k]
	if ind == nil {
		ind = &indicator.Indicator{Type: t, Value: value}
		st.inds[k] = ind
	}
	if !slices.Contains(ind.Sources, source) {
		ind.Sources = append(ind.Sources, source)
		ind.IDs = append(ind.IDs, indicator.IndicatorID(t, value, source))
	}
}

// readIntel loads one Zeek intel file. Lines zeekintel rejects as removal or
// allowlist entries are returned by reason with their values, read back from
// the file: zeekintel reports them only as errors.
func readIntel(tb testing.TB, st *intelState, path string) map[string][]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	special := map[string][]int{}
	sum, err := zeekintel.Read(f, path, zeekintel.Options{OnReject: func(e *indicator.LineError) {
		switch e.Reason {
		case "removal entry", "allowlist entry":
			special[e.Reason] = append(special[e.Reason], e.Line)
		default:
			tb.Errorf("%v", e)
		}
	}}, func(r indicator.Record) error {
		st.add(r.Type, r.Value, r.Source)
		return nil
	})
	if err != nil {
		tb.Fatalf("%s: %v (%s)", path, err, sum)
	}
	out := map[string][]string{}
	for reason, lines := range special {
		for _, n := range lines {
			out[reason] = append(out[reason], indicatorOnLine(tb, path, n))
		}
	}
	return out
}

// indicatorOnLine returns the indicator column of line n of a Zeek intel file.
func indicatorOnLine(tb testing.TB, path string, n int) string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	col := -1
	for line := 1; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), "\t")
		if col < 0 && fields[0] == "#fields" {
			col = slices.Index(fields[1:], "indicator")
		}
		if line == n && col >= 0 && col < len(fields) {
			return fields[col]
		}
	}
	tb.Fatalf("%s:%d: no indicator column", path, n)
	return ""
}

func (st *intelState) build(tb testing.TB) {
	tb.Helper()
	var inds []indicator.Indicator
	for _, ind := range st.inds {
		if st.allow != nil {
			if list, ok := st.allow.Covers(ind); ok && (st.filter || list == allowlist.ListUser) {
				tb.Logf("    allow-list %q drops %s %s", list, ind.Type, ind.Value)
				continue
			}
		}
		inds = append(inds, *ind)
	}
	snap, rejects := match.Build(inds, st.snap)
	for _, r := range rejects {
		tb.Errorf("match.Build rejected %s %q: %s", r.Type, r.Value, r.Reason)
	}
	st.snap = snap
}

// seenEvent turns a script's Intel::seen call into the event umbra would get
// from a sensor that saw the same value: connection endpoints for Conn::
// locations, otherwise a KindGeneric event carrying the value in the field
// of its type. ok is false for values umbra has no indicator type for.
func seenEvent(tb testing.TB, s seen, ev *event.Event) bool {
	tb.Helper()
	ev.Reset()
	ev.Kind = event.KindGeneric
	if s.host != "" {
		a := netip.MustParseAddr(s.host)
		switch s.where {
		case "Conn::IN_ORIG":
			ev.Kind, ev.SrcIP = event.KindConn, a
		case "Conn::IN_RESP":
			ev.Kind, ev.DstIP = event.KindConn, a
		default:
			ev.SrcIP = a
		}
		return true
	}
	switch s.zeekType {
	case "Intel::DOMAIN":
		ev.Domain = s.indicator
	case "Intel::EMAIL":
		ev.User = s.indicator
	default:
		return false
	}
	return true
}

// umbraSightings matches the events against the snapshot.
func umbraSightings(st *intelState, evs []event.Event, out sightings) {
	var hits []match.Hit
	for i := range evs {
		ev := &evs[i]
		hits = st.snap.MatchAppend(hits[:0], ev)
		for _, h := range hits {
			typ := h.Type.String()
			if h.Addr.IsValid() {
				if h.Addr.Unmap().Is4() {
					typ = indicator.IPv4.String()
				} else {
					typ = indicator.IPv6.String()
				}
			}
			// Zeek logs a certificate's CN and its SAN names alike as
			// X509::IN_CERT; umbra labels the CN apart (x509.cn, tls.cn).
			where := strings.Replace(h.Where, ".cn", ".san", 1)
			d := out.add(tuple{h.ObservedValue(), typ, where})
			if zt, ok := zeekintel.IntelType(h.Type); ok {
				d.matched[zt] = true
			}
			d.items[h.MatchedValue()] = true
			for _, s := range st.snap.Alert(ev, h).Sources {
				d.sources[s] = true
			}
			if ev.SrcIP.IsValid() && ev.SrcPort != 0 {
				d.flows[fmt.Sprintf("%s:%d>%s:%d", ev.SrcIP, ev.SrcPort, ev.DstIP, ev.DstPort)] = true
			}
		}
	}
}

// readTrace returns every event umbra decodes from a capture, with
// connection events on as Zeek's conn-established intel script would see
// them.
func readTrace(tb testing.TB, path string) []event.Event {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rd, err := pcap.NewReader(f, path)
	if err != nil {
		tb.Fatal(err)
	}
	rd.SetConnEvents(true)
	var out []event.Event
	var ev event.Event
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, ev.Clone())
	}
	stats := rd.Stats()
	tb.Logf("    %s: %d events; %s", filepath.Base(path), len(out), strings.ReplaceAll(stats.String(), "\n", "; "))
	return out
}
