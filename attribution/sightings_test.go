package attribution

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/stix"
)

// firstOfType returns the first indicator of a type in a Burning
// Umbrella Area CSV: the test's expectation comes from the report's own
// list, not from the engine.
func firstOfType(t *testing.T, area, typ string) string {
	t.Helper()
	f, err := os.Open(areaFile(t, area))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ",")
		if len(p) > 1 && p[1] == typ {
			return p[0]
		}
	}
	t.Fatalf("Area %s has no %s", area, typ)
	return ""
}

func putObjects(t testing.TB, st *sqlite.Store, source string, objs ...stix.Object) {
	t.Helper()
	_, err := st.Import(context.Background(), knowledge.ImportInfo{Source: source, Path: "test"}, func(put func(stix.Object) error) error {
		for _, o := range objs {
			if err := put(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func build(t testing.TB, typ, id string, p stix.Props) stix.Object {
	t.Helper()
	o, err := stix.Build(typ, id, p)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestStoredSightingsBecomeIncidents: sightings of different kinds of
// object — an indicator, a code-signing certificate observed on a PE, a
// look-alike domain observed as an SCO, the umbrella's operator netblock —
// are read generically by what they sight, clustered into incidents, and
// the incident is attributed to the umbrella the sighted values came from.
func TestStoredSightingsBecomeIncidents(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	// Area 6 (code-signing serials) and Area 1 (domains) attributed to
	// the umbrella, as 401TRG published them.
	for _, a := range []string{"1", "6"} {
		importOK(t, st, areaFile(t, a), intel.Options{Source: "401trg", Report: "Burning Umbrella Area " + a, Actor: kb.UmbrellaName})
	}
	serial := firstOfType(t, "6", "CODE SIGN CERT SERIAL")
	domain := firstOfType(t, "1", "DOMAIN")
	in, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var netInfra string
	for _, nb := range in.Netblocks {
		if nb.Actor == kb.UmbrellaID {
			netInfra = nb.Infra
		}
	}
	if netInfra == "" {
		t.Fatalf("no operator netblock infrastructure for the umbrella: %+v", in.Netblocks)
	}
	cert := build(t, "x509-certificate", stix.DeterministicID("x509-certificate", "test-cert"), stix.Props{"serial_number": serial, "issuer": "CN=Some Game Studio CA"})
	dom := build(t, "domain-name", stix.DeterministicID("domain-name", domain), stix.Props{"value": domain})
	sight := func(key, ref, first, last, host string) stix.Object {
		return build(t, "sighting", stix.DeterministicID("sighting", key), stix.Props{"sighting_of_ref": ref,
			"first_seen": first, "last_seen": last, "created": last, "modified": last, "x_umbra_host": host})
	}
	putObjects(t, st, "detector", cert, dom,
		sight("pe", cert.ID, "2018-03-01T10:00:00Z", "2018-03-01T10:00:00Z", "build-01"),
		sight("dns", dom.ID, "2018-03-01T12:00:00Z", "2018-03-02T12:00:00Z", "build-01"),
		sight("signin", netInfra, "2018-03-02T03:00:00Z", "2018-03-02T03:00:00Z", "build-01"),
		sight("elsewhere", dom.ID, "2019-06-01T00:00:00Z", "2019-06-01T00:00:00Z", "web-09"),
		sight("dangling", "indicator--00000000-0000-4000-8000-000000000000", "2018-03-01T00:00:00Z", "2018-03-01T00:00:00Z", "x"))
	ss, skipped, err := LoadSightings(ctx, st, in)
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 1 || len(ss) != 4 {
		t.Fatalf("%d sightings, %d skipped: %+v", len(ss), skipped, ss)
	}
	incidents, _ := Incidents(ss, 0)
	if len(incidents) != 2 {
		t.Fatalf("want the build-01 incident and the later one, got %d: %+v", len(incidents), incidents)
	}
	res := Run(in, incidents, Options{})
	c := candidate(res, incidents[0].Name, kb.UmbrellaName)
	if c == nil {
		t.Fatalf("incident not attributed to the umbrella: %+v", res.Attributions)
	}
	k := kinds(c)
	serialNorm, err := indicator.Normalize(indicator.CertSerial, serial)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{KindCodeSign + " " + serialNorm, KindDomain + " " + domain, KindSighted + " " + kb.UmbrellaName} {
		if !k[want] {
			t.Errorf("evidence lacks %q: %v", want, k)
		}
	}
	if c.Confidence < 70 || c.ConfidenceWords != "high" {
		t.Errorf("confidence %d %s, want high from a stolen-certificate serial, a domain and the operator netblock", c.Confidence, c.ConfidenceWords)
	}
}

// TestDetectorSightings records findings the way umbra's detectors do
// (sighting.Detections: a minted indicator, its sighting with the victims
// in x_umbra_hosts, and "indicates" to the actor when the detector knows
// it) and checks that they reach attribution: sign-ins from an address
// in the umbrella's operator netblock to two accounts give one incident,
// attributed to the umbrella through the detector's indicator.
func TestDetectorSightings(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	d := sighting.NewDetections()
	t0 := time.Date(2018, 2, 1, 3, 0, 0, 0, time.UTC)
	for i, acct := range []string{"alex@studio.test", "mina@studio.test"} {
		if err := d.Add(sighting.Finding{Detector: sighting.DetectorSignIn, Type: indicator.IPv4, Value: "221.218.4.4",
			Time: t0.Add(time.Duration(i) * time.Hour), Sensor: "entra", Where: "signin.src_ip", Host: acct, Confidence: 60,
			Actor: kb.UmbrellaID, ActorConfidence: 60}); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := d.Objects(nil)
	if err != nil {
		t.Fatal(err)
	}
	putObjects(t, st, sighting.DetectSource, objs...)
	in, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	ss, skipped, err := LoadSightings(ctx, st, in)
	if err != nil || skipped != 0 || len(ss) != 2 {
		t.Fatalf("%d sightings, %d skipped, %v: %+v", len(ss), skipped, err, ss)
	}
	// One operator address reaching two accounts within hours is one
	// incident (same value, within IncidentWindow).
	incidents, _ := Incidents(ss, 0)
	if len(incidents) != 1 {
		t.Fatalf("%d incidents, want one", len(incidents))
	}
	res := Run(in, incidents, Options{})
	c := candidate(res, incidents[0].Name, kb.UmbrellaName)
	if c == nil || !kinds(c)["shared-ip 221.218.4.4"] || c.Confidence < 30 {
		t.Fatalf("incident not attributed to the umbrella by the sighted address: %+v", c)
	}
}

// BenchmarkLoadSightings reads 5,000 stored sightings of 5,000 indicators
// and groups them into incidents.
func BenchmarkLoadSightings(b *testing.B) {
	st := openStore(b)
	var objs []stix.Object
	t0 := time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		v := "198.18." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250)
		ind, err := indicator.ToSTIX(indicator.Record{Type: indicator.IPv4, Value: v, Source: "bench"}, indicator.STIXOptions{Time: t0})
		if err != nil {
			b.Fatal(err)
		}
		ts := stix.FormatTime(t0.Add(time.Duration(i) * time.Minute))
		objs = append(objs, ind, build(b, "sighting", stix.DeterministicID("sighting", v), stix.Props{"sighting_of_ref": ind.ID,
			"first_seen": ts, "last_seen": ts, "created": ts, "modified": ts, "x_umbra_hosts": []string{"host-" + strconv.Itoa(i%50)}}))
	}
	putObjects(b, st, "bench", objs...)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		ss, _, err := LoadSightings(ctx, st, nil)
		if err != nil || len(ss) != 5000 {
			b.Fatalf("%d sightings, %v", len(ss), err)
		}
		Incidents(ss, 0)
	}
}
