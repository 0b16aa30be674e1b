package sighting_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/detect/codesign"
	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/detect/signin"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/stix"
	"github.com/umbra-cti/umbra/telemetry/event"
)

var t0 = time.Date(2018, 5, 24, 9, 14, 2, 0, time.UTC)

// findings builds one finding of every kind from the detectors' own output
// against a store holding the built-in knowledge and one intel indicator.
func findings(t *testing.T, ctx context.Context, st knowledge.Store, intelID string) []sighting.Finding {
	t.Helper()
	var out []sighting.Finding
	det, err := lookalike.New(nil, lookalike.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := det.Check("account.microsoftssonline.com")
	if !ok {
		t.Fatal("account.microsoftssonline.com not flagged")
	}
	for i, host := range []string{"10.20.1.15", "10.20.1.16", "10.20.1.15"} {
		fd, ok := sighting.Lookalike(f, t0.Add(time.Duration(i)*time.Minute), "zeek-hq", "dns.query", host)
		if !ok {
			t.Fatal("look-alike find not recordable")
		}
		out = append(out, fd)
	}

	nbs, _, err := signin.StoreNetblocks(ctx, st)
	if err != nil || len(nbs) == 0 {
		t.Fatalf("netblocks %v, %v", nbs, err)
	}
	sd := signin.New(signin.Config{Netblocks: nbs, Intel: func(ev *event.Event) []signin.IntelMatch {
		if ev.SrcIP != netip.MustParseAddr("45.76.33.20") {
			return nil
		}
		return []signin.IntelMatch{{Indicator: "45.76.33.20", IDs: []string{intelID}, Sources: []string{"feed"}}}
	}})
	for _, ev := range []struct {
		ip   string
		user string
	}{{"221.218.4.7", "hana.rossi@lanternpeak.example"}, {"45.76.33.20", "li.wei@lanternpeak.example"}} {
		e := signinEvent(ev.user, ev.ip, t0.Add(time.Hour))
		for _, sf := range sd.Observe(&e) {
			fd, ok := sighting.SignIn(sf)
			if !ok {
				t.Fatalf("sign-in finding %+v not recordable", sf)
			}
			out = append(out, fd)
		}
	}

	var stolen codesign.StolenSet
	if err := stolen.Add(codesign.MatchSerial, "0F66842B4F9C458B72136F0AE96924B7", "Burning Umbrella Area 6", ""); err != nil {
		t.Fatal(err)
	}
	r := codesign.Result{Path: "/extract/FhY3e2.exe", Signers: []codesign.Signer{{Certificate: codesign.Certificate{Subject: "CN=Game Co", Serial: "0F66842B4F9C458B72136F0AE96924B7"}}}}
	r.Signers[0].Stolen = stolen.Match(r.Signers[0].Certificate)
	out = append(out, sighting.CodeSign(r, t0.Add(2*time.Hour), "pe-scan")...)
	return out
}

func TestDetectionsRecordedAndLoaded(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := kb.Ensure(ctx, st, st); err != nil {
		t.Fatal(err)
	}
	intel, err := indicator.ToSTIX(indicator.Record{Type: indicator.IPv4, Value: "45.76.33.20", Source: "feed"}, indicator.STIXOptions{Time: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, knowledge.ImportInfo{Source: "feed"}, func(put func(stix.Object) error) error { return put(intel) }); err != nil {
		t.Fatal(err)
	}

	record := func() int {
		d := sighting.NewDetections()
		for _, f := range findings(t, ctx, st, intel.ID) {
			if err := d.Add(f); err != nil {
				t.Fatal(err)
			}
		}
		n, err := d.Store(ctx, st, "test")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := record(); n == 0 {
		t.Fatal("nothing recorded")
	}
	before, _ := st.Stats(ctx)
	record()
	after, _ := st.Stats(ctx)
	if before.Versions != after.Versions || before.Objects != after.Objects {
		t.Errorf("recording the same findings again changed the store: %d/%d -> %d/%d objects/versions",
			before.Objects, before.Versions, after.Objects, after.Versions)
	}

	seen, err := sighting.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]sighting.Seen{}
	for _, s := range seen {
		by[s.Value] = s
	}
	la := by["account.microsoftssonline.com"]
	if la.Detector != sighting.DetectorLookalike || la.Count != 3 || !la.First.Equal(t0) || !la.Last.Equal(t0.Add(2*time.Minute)) ||
		!slices.Equal(la.Hosts, []string{"10.20.1.15", "10.20.1.16"}) || la.Sensor != "zeek-hq" {
		t.Errorf("look-alike sighting %+v", la)
	}
	if !slices.Contains(la.Labels, "brand:microsoftonline.com") || !slices.Contains(la.Sources, sighting.DetectSource) || la.Type != indicator.Domain {
		t.Errorf("look-alike indicator labels %v sources %v", la.Labels, la.Sources)
	}
	nb := by["221.218.4.7"]
	if nb.Detector != sighting.DetectorSignIn || !slices.Equal(nb.Actors, []string{kb.UmbrellaID}) || !slices.Equal(nb.Hosts, []string{"hana.rossi@lanternpeak.example"}) {
		t.Errorf("operator-netblock sign-in sighting %+v, want it to indicate %s", nb, kb.UmbrellaID)
	}
	ii := by["45.76.33.20"]
	if ii.IndicatorID != intel.ID || ii.Detector != sighting.DetectorSignIn {
		t.Errorf("intel-ip sign-in should sight the intel indicator %s: %+v", intel.ID, ii)
	}
	cs := by["F66842B4F9C458B72136F0AE96924B7"] // serials are compared as numbers: no leading zero
	if cs.Type != indicator.CertSerial || cs.Detector != sighting.DetectorCodeSign || cs.Confidence != sighting.StolenCertConfidence ||
		!slices.Equal(cs.Hosts, []string{"/extract/FhY3e2.exe"}) {
		t.Errorf("stolen-certificate sighting %+v (by value: %v)", cs, keys(by))
	}

	// The attribution engine sees the operator's address as the umbrella's.
	in, err := attribution.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range in.Nodes {
		if n.ID != kb.UmbrellaID {
			continue
		}
		for _, o := range n.Observables {
			found = found || o.Value == "221.218.4.7" && strings.Contains(o.Source, sighting.DetectSource)
		}
	}
	if !found {
		t.Error("the operator-netblock sign-in address is not evidence of the umbrella in attribution.Load")
	}
}

// An indicator whose find changes (another brand list, a higher score) is
// written as a newer version that keeps its created time.
func TestDetectionIndicatorUpdateKeepsCreated(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	put := func(score int, at time.Time) {
		d := sighting.NewDetections()
		err := d.Add(sighting.Finding{Detector: sighting.DetectorLookalike, Type: indicator.Domain, Value: "gooogle.com", Time: at,
			Sensor: "s", Labels: []string{"score:" + string(rune('0'+score/10))}, Confidence: score})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Store(ctx, st, "t"); err != nil {
			t.Fatal(err)
		}
	}
	put(50, t0)
	put(80, t0.Add(-time.Hour)) // an older log, read later
	id := indicator.IndicatorID(indicator.Domain, "gooogle.com", sighting.DetectSource)
	vs, err := st.Versions(ctx, id)
	if err != nil || len(vs) != 2 {
		t.Fatalf("%d versions, %v", len(vs), err)
	}
	cur, _ := st.Object(ctx, id)
	var conf int
	cur.Property("confidence", &conf)
	if cur.Created != stix.FormatTime(t0) || conf != 80 || !(cur.Modified > vs[0].Modified) {
		t.Errorf("current version created %s modified %s confidence %d", cur.Created, cur.Modified, conf)
	}
	if _, ok := indicator.FromSTIX(cur); !ok {
		t.Error("a recorded indicator does not read back as an indicator")
	}
	raw, _ := json.Marshal(cur.Raw)
	if !strings.Contains(string(raw), "domain-name:value") {
		t.Errorf("pattern missing: %s", raw)
	}
}

func TestAddRejectsUnrecordable(t *testing.T) {
	d := sighting.NewDetections()
	if err := d.Add(sighting.Finding{Detector: "x", Type: indicator.Unknown, Value: "v"}); err == nil {
		t.Error("a finding of unknown type was accepted")
	}
	if err := d.Add(sighting.Finding{Detector: "x", Type: indicator.Domain}); err == nil {
		t.Error("a finding without a value was accepted")
	}
	if d.Len() != 0 {
		t.Errorf("Len %d after rejects", d.Len())
	}
}

func keys(m map[string]sighting.Seen) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func signinEvent(user, ip string, at time.Time) event.Event {
	return event.Event{Kind: event.KindSignIn, Time: at, User: user, SrcIP: netip.MustParseAddr(ip), Result: "success", Sensor: "entra", App: "Office 365 Exchange Online"}
}
