package simulate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/umbra-cti/umbra/detect/codesign"
	intelcsv "github.com/umbra-cti/umbra/intel/csv"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/stix"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap"
	"github.com/umbra-cti/umbra/telemetry/signin"
	"github.com/umbra-cti/umbra/telemetry/source"
	"github.com/umbra-cti/umbra/telemetry/zeek"
)

// One scenario serves every test that only reads it.
var (
	shared struct {
		dir string
		sum Summary
		err error
	}
	sharedOnce sync.Once
)

func scenario(t *testing.T) (string, Summary) {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "umbra-simulate-test-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.sum, shared.err = Generate(context.Background(), Options{Out: dir, Hosts: 30, Days: 4, Seed: 7, PCAP: true})
	})
	if shared.err != nil {
		t.Fatalf("Generate: %v", shared.err)
	}
	return shared.dir, shared.sum
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// TestDeterministic generates the same options twice, with different
// worker counts, and compares every file byte for byte; another seed must
// change the telemetry.
func TestDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	opts := Options{Hosts: 20, Days: 3, Seed: 42, PCAP: true}
	// One worker and three workers: the days are generated in a different
	// order and interleaving, the files must not change.
	for i, dir := range []string{a, b} {
		o := opts
		o.Out, o.Workers = dir, 1+2*i
		if _, err := Generate(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	o := opts
	o.Out, o.Seed = c, 43
	if _, err := Generate(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	files := 0
	err := filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("%s: a day's part file was left behind", rel)
		}
		x, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", rel)
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 15 {
		t.Errorf("compared only %d files", files)
	}
	x, _ := os.ReadFile(filepath.Join(a, "zeek", "conn.log"))
	y, _ := os.ReadFile(filepath.Join(c, "zeek", "conn.log"))
	if bytes.Equal(x, y) {
		t.Error("seeds 42 and 43 gave the same conn.log")
	}
}

var (
	zeekCacheMu sync.Mutex
	zeekCache   = map[string][]event.Event{}
)

// readZeek decodes one log with the repo's Zeek reader, failing on any bad
// record, and returns its events (decoded once per path: several tests
// read the shared scenario's logs).
func readZeek(t *testing.T, path string) []event.Event {
	t.Helper()
	zeekCacheMu.Lock()
	defer zeekCacheMu.Unlock()
	if evs, ok := zeekCache[path]; ok {
		return evs
	}
	evs := decodeZeek(t, path)
	zeekCache[path] = evs
	return evs
}

func decodeZeek(t *testing.T, path string) []event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := zeek.NewReader(f, filepath.Base(path))
	var out []event.Event
	var e event.Event
	for {
		err := r.Next(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e.Clone())
	}
	if st := r.Stats(); st.Bad != 0 {
		t.Fatalf("%s: %d bad records", path, st.Bad)
	}
	return out
}

func TestZeekLogsDecode(t *testing.T) {
	dir, sum := scenario(t)
	want := map[string]uint64{"conn": sum.Conn, "dns": sum.DNS, "http": sum.HTTP, "ssl": sum.SSL, "x509": sum.X509, "files": sum.Files}
	kinds := map[string]event.Kind{"conn": event.KindConn, "dns": event.KindDNS, "http": event.KindHTTP,
		"ssl": event.KindTLS, "x509": event.KindX509, "files": event.KindFile}
	for name, n := range want {
		evs := readZeek(t, filepath.Join(dir, "zeek", name+".log"))
		if uint64(len(evs)) != n || n == 0 {
			t.Errorf("%s.log: decoded %d records, summary says %d", name, len(evs), n)
		}
		for _, e := range evs {
			if e.Kind != kinds[name] {
				t.Fatalf("%s.log: record %s decoded as kind %v", name, e.UID, e.Kind)
			}
		}
	}
}

// TestZeekHeadersMatchRealLogs checks that the column lists are the ones
// real Zeek sensors write: every column of a real log, in order, is a
// prefix of ours (we add only the columns of the JA4 and community-id
// packages at the end).
func TestZeekHeadersMatchRealLogs(t *testing.T) {
	dir, _ := scenario(t)
	real := map[string]string{
		"conn":  corpus.Path(t, "zeek-rita-testdata", "test_data", "proxy_rolling", "conn.16:00:00-17:00:00.log.gz"),
		"dns":   corpus.Path(t, "zeek-rita-testdata", "test_data", "proxy_rolling", "dns.16:00:00-17:00:00.log.gz"),
		"http":  corpus.Path(t, "zeek-rita-testdata", "test_data", "proxy_rolling", "http.16:00:00-17:00:00.log.gz"),
		"ssl":   corpus.Path(t, "zeek-rita-testdata", "test_data", "proxy_rolling", "ssl.16:00:00-17:00:00.log.gz"),
		"x509":  corpus.Path(t, "zeek-rita-testdata", "test_data", "proxy_rolling", "x509.16:00:00-17:00:00.log.gz"),
		"files": corpus.Path(t, "zeek-intel-btests", "extra-baselines", "scripts.base.files.x509.files", "files.log"),
	}
	for name, path := range real {
		rf, rt := headerOf(t, path)
		mf, mt := headerOf(t, filepath.Join(dir, "zeek", name+".log"))
		if len(rf) > 0 && rf[0] == "_node_name" {
			rf, rt = rf[1:], rt[1:]
		}
		if len(rf) == 0 || len(rf) > len(mf) {
			t.Errorf("%s: real log has %d columns, ours %d", name, len(rf), len(mf))
			continue
		}
		for i := range rf {
			if rf[i] != mf[i] || rt[i] != mt[i] {
				t.Errorf("%s column %d: real %s %s, ours %s %s", name, i+1, rf[i], rt[i], mf[i], mt[i])
			}
		}
	}
}

func headerOf(t *testing.T, path string) (fields, types []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var in io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		in = z
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(v, "\t")
		}
		if v, ok := strings.CutPrefix(line, "#types\t"); ok {
			types = strings.Split(v, "\t")
			return fields, types
		}
	}
	t.Fatalf("%s: no #fields/#types header", path)
	return nil, nil
}

func readTruth(t *testing.T, dir string) []Truth {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Truth
	bad, err := ReadTruth(f, "truth.jsonl", func(tr Truth) error {
		out = append(out, tr)
		return nil
	})
	if err != nil || len(bad) != 0 {
		t.Fatalf("truth.jsonl: %v %v", err, bad)
	}
	return out
}

// TestReadTruthReportsBadLines: bad lines are reported with their line
// numbers and skipped, good ones kept.
func TestReadTruthReportsBadLines(t *testing.T) {
	in := `{"uid":"C1","log":"conn","kind":"scan","actor":"Winnti umbrella","indicator":"x","ts":"2018-03-06T09:49:15Z"}
not json
{"uid":"C2","log":"smtp","kind":"scan","indicator":"x","ts":"2018-03-06T09:49:15Z"}

{"uid":"C3","log":"dns","kind":"c2","indicator":"a.example","ts":"2018-03-06T09:49:15.5Z"}
`
	var got []string
	bad, err := ReadTruth(strings.NewReader(in), "t.jsonl", func(tr Truth) error {
		got = append(got, tr.UID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "C1,C3" {
		t.Errorf("kept %v", got)
	}
	if len(bad) != 2 || !strings.HasPrefix(bad[0].Error(), "t.jsonl:2: ") || !strings.Contains(bad[1].Error(), `t.jsonl:3: unknown log "smtp"`) {
		t.Errorf("bad lines reported as %v", bad)
	}
}

func readSignIns(t *testing.T, path string) []event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := signin.NewReader(f, filepath.Base(path))
	var out []event.Event
	var e event.Event
	for {
		err := r.Next(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e.Clone())
	}
	if st := r.Stats(); st.Bad != 0 {
		t.Fatalf("%s: %d bad records", path, st.Bad)
	}
	return out
}

// TestTruthPointsAtRecords: every truth line names a record that exists in
// the log it names and that carries its indicator; every kind occurs.
func TestTruthPointsAtRecords(t *testing.T) {
	dir, sum := scenario(t)
	byLog := map[string]map[string][]event.Event{}
	for _, name := range []string{"conn", "dns", "http", "ssl", "x509", "files"} {
		m := map[string][]event.Event{}
		for _, e := range readZeek(t, filepath.Join(dir, "zeek", name+".log")) {
			key := e.UID
			if name == "x509" {
				key = e.CertSHA256
			}
			m[key] = append(m[key], e)
		}
		byLog[name] = m
	}
	sign := map[string][]event.Event{}
	var signins []event.Event
	signins = append(signins, readSignIns(t, filepath.Join(dir, "signin", "entra_signins.json"))...)
	signins = append(signins, readSignIns(t, filepath.Join(dir, "signin", "google_login.json"))...)
	for _, e := range signins {
		sign[e.UID] = append(sign[e.UID], e)
	}
	if uint64(len(signins)) != sum.SignIns {
		t.Errorf("decoded %d sign-ins, summary says %d", len(signins), sum.SignIns)
	}
	byLog["signin"] = sign

	truth := readTruth(t, dir)
	if uint64(len(truth)) != sum.Truth {
		t.Errorf("truth.jsonl has %d lines, summary says %d", len(truth), sum.Truth)
	}
	kinds := map[string]int{}
	for _, tr := range truth {
		kinds[tr.Kind]++
		if tr.Actor != Actor {
			t.Errorf("truth %s: actor %q", tr.UID, tr.Actor)
		}
		recs := byLog[tr.Log][tr.UID]
		if len(recs) == 0 {
			t.Errorf("truth %s (%s %s): no such record in %s", tr.UID, tr.Kind, tr.Indicator, tr.Log)
			continue
		}
		if !carries(recs, tr) {
			t.Errorf("truth %s (%s): record in %s does not carry %q", tr.UID, tr.Kind, tr.Log, tr.Indicator)
		}
	}
	for _, k := range []string{"phishing", "c2", "scan", "signed-malware", "operator-session", "cloud-signin", "resume-lure"} {
		if kinds[k] == 0 {
			t.Errorf("no truth of kind %s", k)
		}
	}
}

// carries reports whether one of the records holds the truth's indicator
// in the field its log puts it in.
func carries(recs []event.Event, tr Truth) bool {
	for _, e := range recs {
		switch tr.Log {
		case "dns":
			if e.Domain == tr.Indicator {
				return true
			}
		case "http":
			if e.Host == tr.Indicator || e.URL == tr.Indicator || "http://"+e.Host+e.URI == tr.Indicator {
				return true
			}
		case "ssl":
			if e.SNI == tr.Indicator {
				return true
			}
		case "x509":
			if e.CertSHA256 != "" {
				return true
			}
		case "files":
			if e.MD5 == tr.Indicator || e.UID != "" && strings.HasPrefix(tr.Indicator, "http://") {
				return true
			}
		case "conn", "signin":
			if e.SrcIP.String() == tr.Indicator || e.DstIP.String() == tr.Indicator ||
				strings.HasPrefix(tr.Indicator, e.SrcIP.String()+" -> "+e.DstIP.String()+":") {
				return true
			}
		}
	}
	return false
}

func readIntel(t *testing.T, path string) []indicator.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []indicator.Record
	s, err := intelcsv.Read(f, filepath.Base(path), intelcsv.Options{}, func(r indicator.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rejected != 0 || s.Duplicates != 0 {
		t.Fatalf("%s: %d rejected, %d duplicate rows: %v", path, s.Rejected, s.Duplicates, s.Errors)
	}
	return recs
}

// TestIntelSplit: the two feeds parse, are disjoint, together name all the
// attacker infrastructure, and cover every attacker name and address the
// truth points at.
func TestIntelSplit(t *testing.T) {
	dir, sum := scenario(t)
	initial := readIntel(t, filepath.Join(dir, "intel", "initial.csv"))
	later := readIntel(t, filepath.Join(dir, "intel", "later.csv"))
	if len(initial) != sum.IntelFirst || len(later) != sum.IntelLater || len(initial) == 0 || len(later) == 0 {
		t.Fatalf("initial %d later %d records, summary %d/%d", len(initial), len(later), sum.IntelFirst, sum.IntelLater)
	}
	type key struct {
		typ indicator.Type
		v   string
	}
	seen := map[key]string{}
	var prefixes []netip.Prefix
	for _, feed := range []struct {
		name string
		recs []indicator.Record
	}{{"initial", initial}, {"later", later}} {
		for _, r := range feed.recs {
			k := key{r.Type, r.Value}
			if other, ok := seen[k]; ok {
				t.Errorf("%s %s is in both %s and %s", r.Type, r.Value, other, feed.name)
			}
			seen[k] = feed.name
			if r.Type == indicator.CIDR {
				prefixes = append(prefixes, netip.MustParsePrefix(r.Value))
			}
		}
	}
	infra, err := Infrastructure()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infra {
		typ, ok := indicator.ParseTypeWord(in.Type)
		if !ok {
			t.Fatalf("type word %q unknown to the intel readers", in.Type)
		}
		typ, v, err := indicator.Coerce(typ, in.Value)
		if err != nil {
			t.Fatalf("%s %s: %v", in.Type, in.Value, err)
		}
		feed, ok := seen[key{typ, v}]
		if !ok {
			t.Errorf("%s %s is in neither feed", in.Type, in.Value)
		} else if (feed == "initial") != in.Initial {
			t.Errorf("%s %s is in the %s feed", in.Type, in.Value, feed)
		}
	}
	// Every external name or address of a malicious record is covered.
	covered := func(v string) bool {
		if a, err := netip.ParseAddr(v); err == nil {
			for _, p := range prefixes {
				if p.Contains(a) {
					return true
				}
			}
			_, ok := seen[key{indicator.IPv4, v}]
			return ok
		}
		_, ok := seen[key{indicator.Domain, v}]
		return ok
	}
	for _, tr := range readTruth(t, dir) {
		if tr.Kind == "scan" || tr.Log == "x509" || tr.Log == "files" {
			continue // internal addresses; certificates and hashes are checked above
		}
		if !covered(tr.Indicator) && !strings.HasPrefix(tr.Indicator, "http://") {
			t.Errorf("truth indicator %s (%s %s) is in neither feed", tr.Indicator, tr.Kind, tr.Log)
		}
	}
}

func TestMMDB(t *testing.T) {
	dir, _ := scenario(t)
	path := filepath.Join(dir, "geo.mmdb")
	db, err := maxminddb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type rec struct {
		ASN     uint32 `maxminddb:"autonomous_system_number"`
		Org     string `maxminddb:"autonomous_system_organization"`
		Country struct {
			ISO string `maxminddb:"iso_code"`
		} `maxminddb:"country"`
	}
	att := newAttacker()
	cases := []struct {
		ip      string
		asn     uint32
		country string
	}{
		{"221.216.0.1", 4808, "CN"},
		{att.operatorIPs[2].String(), 4808, "CN"},
		{"221.223.255.254", 4808, "CN"},
		{att.c2[0].ip.String(), 64505, "HK"},
		{providerAddr(0, "login.microsoftonline.com").String(), 8075, "US"},
	}
	for _, c := range cases {
		var r rec
		if err := db.Lookup(netip.MustParseAddr(c.ip)).Decode(&r); err != nil {
			t.Fatalf("%s: %v", c.ip, err)
		}
		if r.ASN != c.asn || r.Country.ISO != c.country || r.Org == "" {
			t.Errorf("%s: AS%d %q %s, want AS%d %s", c.ip, r.ASN, r.Org, r.Country.ISO, c.asn, c.country)
		}
	}
	var r rec
	if err := db.Lookup(netip.MustParseAddr("221.224.0.1")).Decode(&r); err != nil || r.ASN != 0 {
		t.Errorf("221.224.0.1 is outside 221.216.0.0/13 but maps to AS%d (%v)", r.ASN, err)
	}
	tool, err := exec.LookPath("mmdblookup")
	if err != nil {
		t.Log("mmdblookup not installed (apt package mmdb-bin): cross-check skipped")
		return
	}
	out, err := exec.Command(tool, "--file", path, "--ip", "221.218.102.57", "autonomous_system_number").CombinedOutput()
	if err != nil {
		t.Fatalf("mmdblookup: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "4808 <uint32>") {
		t.Errorf("mmdblookup says %q, want 4808", out)
	}
}

// TestPCAP decodes the capture with the repo's pcap reader: no skipped
// packets, every malicious name appears as a DNS query and as SNI or HTTP
// host, and the implant's JA3 matches the one in ssl.log.
func TestPCAP(t *testing.T) {
	dir, sum := scenario(t)
	f, err := os.Open(filepath.Join(dir, "pcap", "scenario.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcap.NewReader(f, "scenario.pcap")
	if err != nil {
		t.Fatal(err)
	}
	dns, sni, hosts := map[string]bool{}, map[string]string{}, map[string]bool{}
	var e event.Event
	for {
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case event.KindDNS:
			dns[e.Domain] = true
		case event.KindTLS:
			sni[e.SNI] = e.JA3
		case event.KindHTTP:
			hosts[e.Host] = true
		}
	}
	st := r.Stats()
	if st.SkippedTotal() != 0 || st.Packets != sum.Packets {
		t.Fatalf("pcap: %s (summary: %d packets)", st.String(), sum.Packets)
	}
	att := newAttacker()
	// Every malicious DNS, TLS and HTTP record of the truth is in the
	// capture too.
	phishing := 0
	for _, tr := range readTruth(t, dir) {
		switch tr.Log {
		case "dns":
			if !dns[tr.Indicator] {
				t.Errorf("no DNS query for %s (%s) in the pcap", tr.Indicator, tr.Kind)
			}
		case "ssl":
			if _, ok := sni[tr.Indicator]; !ok {
				t.Errorf("no ClientHello with SNI %s (%s) in the pcap", tr.Indicator, tr.Kind)
			}
			if tr.Kind == "phishing" {
				phishing++
			}
		}
	}
	if phishing == 0 {
		t.Error("no phishing TLS in the truth")
	}
	for _, d := range append(append([]string{}, att.phishO365...), att.phishGoogle...) {
		if _, ok := sni[d]; !ok {
			t.Errorf("look-alike %s never visited", d)
		}
	}
	for _, d := range []string{att.lureDomain, att.dropDomain} {
		if !hosts[d] {
			t.Errorf("no HTTP request to %s in the pcap", d)
		}
	}
	c2 := "lpg." + att.c2[0].root
	ja3, ok := sni[c2]
	if !ok {
		t.Fatalf("no ClientHello to %s in the pcap", c2)
	}
	for _, e := range readZeek(t, filepath.Join(dir, "zeek", "ssl.log")) {
		if e.SNI == c2 && e.JA3 != ja3 {
			t.Fatalf("ssl.log JA3 for %s is %s, the pcap's ClientHello gives %s", c2, e.JA3, ja3)
		}
	}
	if len(sni) < 20 {
		t.Errorf("only %d distinct SNIs: the background sample is missing", len(sni))
	}
}

// TestPEFiles scans pe/ with the repo's Authenticode scanner and the
// stolen serials of each feed.
func TestPEFiles(t *testing.T) {
	dir, _ := scenario(t)
	for _, feed := range []string{"initial.csv", "later.csv"} {
		var stolen codesign.StolenSet
		f, err := os.Open(filepath.Join(dir, "intel", feed))
		if err != nil {
			t.Fatal(err)
		}
		st := stolen.Load(f, feed)
		f.Close()
		if len(st.Errors) != 0 {
			t.Fatalf("%s: %v", feed, st.Errors)
		}
		sc := codesign.Scanner{Stolen: &stolen, Now: func() time.Time { return DefaultStart }}
		results := map[string]codesign.Result{}
		err = sc.Walk([]string{filepath.Join(dir, "pe")}, func(r codesign.Result) error {
			results[filepath.Base(r.Path)] = r
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 3 {
			t.Fatalf("%d PE results, want 3", len(results))
		}
		flagged := stolen.Len() > 0
		if got := results[peImplantName].Has(codesign.StolenCertificate); got != flagged {
			t.Errorf("%s with %s (%d stolen serials): stolen-certificate %v", peImplantName, feed, stolen.Len(), got)
		}
		for name, r := range results {
			if r.Error != "" {
				t.Errorf("%s: %s", name, r.Error)
			}
			if name == peUnsignedName {
				if !r.Has(codesign.Unsigned) {
					t.Errorf("%s: verdicts %v, want unsigned", name, r.Verdicts)
				}
				continue
			}
			if !r.DigestMatches || r.Has(codesign.Tampered) || len(r.Signers) == 0 {
				t.Errorf("%s: digest matches %v, verdicts %v, problems %v", name, r.DigestMatches, r.Verdicts, r.Problems)
			}
			if name == peLegitName && r.Has(codesign.StolenCertificate) {
				t.Errorf("%s: the studio's own signature flagged as stolen", name)
			}
		}
	}
}

// TestPEOsslsigncode cross-checks the Authenticode digest and signature
// with osslsigncode when it is installed.
func TestPEOsslsigncode(t *testing.T) {
	tool, err := exec.LookPath("osslsigncode")
	if err != nil {
		t.Skip("osslsigncode not installed")
	}
	dir, _ := scenario(t)
	out, _ := exec.Command(tool, "verify", "-in", filepath.Join(dir, "pe", peImplantName)).CombinedOutput()
	s := string(out)
	cur, calc := fieldAfter(s, "Current message digest"), fieldAfter(s, "Calculated message digest")
	if cur == "" || cur != calc {
		t.Fatalf("osslsigncode digests %q vs %q:\n%s", cur, calc, s)
	}
	if !strings.Contains(s, "Serial : "+StolenSerial) {
		t.Errorf("osslsigncode does not show serial %s:\n%s", StolenSerial, s)
	}
	if ck := fieldAfter(s, "PE checksum"); ck == "" || strings.Contains(s, "invalid PE checksum") {
		t.Errorf("osslsigncode rejects the PE checksum:\n%s", s)
	}
}

func fieldAfter(s, label string) string {
	i := strings.Index(s, label)
	if i < 0 {
		return ""
	}
	rest := s[i+len(label):]
	rest = strings.TrimLeft(rest, " :")
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest)
}

func TestOptions(t *testing.T) {
	if _, err := Generate(context.Background(), Options{Out: t.TempDir(), Hosts: 5}); err == nil {
		t.Error("5 hosts accepted")
	}
	if _, err := Generate(context.Background(), Options{Hosts: 20}); err == nil {
		t.Error("no output directory accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, err := Generate(ctx, Options{Out: dir, Hosts: 20, Days: 3}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "*", ".*.part*"))
	if len(parts) != 0 {
		t.Errorf("a cancelled run left %v", parts)
	}
}

// TestPCAPTshark has tshark dissect the capture: no malformed packets, and
// every ClientHello's (SNI, JA3) pair is one that ssl.log reports.
func TestPCAPTshark(t *testing.T) {
	tool, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	dir, _ := scenario(t)
	pcapPath := filepath.Join(dir, "pcap", "scenario.pcap")
	out, err := exec.Command(tool, "-r", pcapPath, "-Y", "tls.handshake.type == 1", "-T", "fields",
		"-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ja3").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	logged := map[string]bool{}
	for _, e := range readZeek(t, filepath.Join(dir, "zeek", "ssl.log")) {
		logged[e.SNI+" "+e.JA3] = true
	}
	hellos := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 2 {
			t.Fatalf("tshark line %q", line)
		}
		hellos++
		if !logged[f[0]+" "+f[1]] {
			t.Errorf("tshark: ClientHello for %s with JA3 %s is not in ssl.log", f[0], f[1])
		}
	}
	if hellos == 0 {
		t.Fatal("tshark found no ClientHello")
	}
	bad, err := exec.Command(tool, "-r", pcapPath, "-Y", "_ws.malformed || _ws.expert.severity >= warning").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if s := strings.TrimSpace(string(bad)); s != "" {
		t.Errorf("tshark flags packets:\n%s", s)
	}
}

// TestBrowserFingerprints checks the browser profiles against the
// fingerprints published for real Chrome: JA3 cd08e314... (Chrome 70-110
// with its fixed extension order) and the JA4 of the FoxIO specification's
// Chrome example.
func TestBrowserFingerprints(t *testing.T) {
	if profChrome.ja3 != "cd08e31494f9531f560d64c695473da9" {
		t.Errorf("Chrome JA3 %s", profChrome.ja3)
	}
	if profChrome.ja4 != "t13d1516h2_8daaf6152771_e5627efa2ab1" {
		t.Errorf("Chrome JA4 %s", profChrome.ja4)
	}
	if profImplant.ja3 == profChrome.ja3 || profImplant.ja3 == profFirefox.ja3 {
		t.Error("the implant shares a browser's JA3")
	}
}

// TestIntelSTIX reads the STIX bundles with the repo's reader: one valid
// indicator per CSV row, named by the same values.
func TestIntelSTIX(t *testing.T) {
	dir, sum := scenario(t)
	for _, c := range []struct {
		name string
		want int
	}{{"initial", sum.IntelFirst}, {"later", sum.IntelLater}} {
		f, err := os.Open(filepath.Join(dir, "intel", c.name+".stix.json"))
		if err != nil {
			t.Fatal(err)
		}
		r := stix.NewReader(f)
		var names []string
		for {
			o, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s.stix.json at byte %d: %v", c.name, r.Offset(), err)
			}
			if o.Type != "indicator" {
				t.Errorf("%s.stix.json: object of type %s", c.name, o.Type)
			}
			var name string
			if _, err := o.Property("name", &name); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
		f.Close()
		if len(names) != c.want || r.BundleID == "" {
			t.Errorf("%s.stix.json: %d indicators in bundle %q, CSV has %d", c.name, len(names), r.BundleID, c.want)
		}
		recs := readIntel(t, filepath.Join(dir, "intel", c.name+".csv"))
		for i, rec := range recs {
			if i < len(names) && names[i] != rec.Value {
				t.Errorf("%s: STIX indicator %d is %q, CSV row is %q", c.name, i, names[i], rec.Value)
			}
		}
	}
}

// TestDERInt: serials with the top bit set need a leading zero to stay
// positive, as encoding/asn1 reads them.
func TestDERInt(t *testing.T) {
	for _, v := range []string{"7F", "80", "FF00", "4D3A91F27C0E55B1", "0"} {
		n, _ := new(big.Int).SetString(v, 16)
		var got *big.Int
		if _, err := asn1.Unmarshal(derInt(n.Bytes()), &got); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if got.Cmp(n) != 0 {
			t.Errorf("%s decodes as %X", v, got)
		}
	}
}

// TestSmallestScenario: the smallest studio over one day still carries
// every step of the intrusion.
func TestSmallestScenario(t *testing.T) {
	dir := t.TempDir()
	sum, err := Generate(context.Background(), Options{Out: dir, Hosts: minHosts, Days: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, tr := range readTruth(t, dir) {
		kinds[tr.Kind] = true
	}
	if len(kinds) != 7 || sum.Conn == 0 {
		t.Errorf("kinds %v, %d conn records", kinds, sum.Conn)
	}
}

// TestSourceDetection opens the scenario the way the CLI does, through
// telemetry/source: every telemetry file is recognised and decodes without
// a bad record, and the counts add up to the summary.
func TestSourceDetection(t *testing.T) {
	dir, sum := scenario(t)
	var total uint64
	// (pcap/ is read by TestPCAP: the pcap decoder registers in cmd/umbra.)
	for _, sub := range []string{"zeek", "signin"} {
		inputs, err := source.Open(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			s, err := in.Open()
			if err != nil {
				t.Fatalf("%s: %v", in.Path, err)
			}
			d, err := s.Decoder()
			if err != nil {
				t.Fatalf("%s (%s): %v", in.Path, s.Format, err)
			}
			var e event.Event
			n := uint64(0)
			for {
				err := d.Next(&e)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", in.Path, err)
				}
				n++
			}
			s.Close()
			if n == 0 {
				t.Errorf("%s (%s): no events", in.Path, s.Format)
			}
			total += n
		}
	}
	if want := sum.Events(); total != want {
		t.Errorf("decoded %d Zeek and sign-in events, summary says %d", total, want)
	}
}

// TestTruthComplete: every record that touches attacker infrastructure
// has a truth line, so detectors can be scored on recall as well as
// precision.
func TestTruthComplete(t *testing.T) {
	dir, _ := scenario(t)
	infra, err := Infrastructure()
	if err != nil {
		t.Fatal(err)
	}
	var nets []netip.Prefix
	var domains []string
	for _, in := range infra {
		switch in.Type {
		case "IP":
			if p, err := netip.ParsePrefix(in.Value); err == nil {
				nets = append(nets, p)
			} else {
				a := netip.MustParseAddr(in.Value)
				nets = append(nets, netip.PrefixFrom(a, 32))
			}
		case "DOMAIN":
			domains = append(domains, in.Value)
		}
	}
	bad := func(a netip.Addr) bool {
		for _, p := range nets {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	badName := func(n string) bool {
		for _, d := range domains {
			if n == d || strings.HasSuffix(n, "."+d) {
				return true
			}
		}
		return false
	}
	inTruth := map[string]bool{}
	for _, tr := range readTruth(t, dir) {
		inTruth[tr.Log+" "+tr.UID] = true
	}
	checked := 0
	for _, name := range []string{"conn", "dns", "http", "ssl"} {
		for _, e := range readZeek(t, filepath.Join(dir, "zeek", name+".log")) {
			if bad(e.SrcIP) || bad(e.DstIP) || badName(e.Domain) || badName(e.SNI) || badName(e.Host) {
				checked++
				if !inTruth[name+" "+e.UID] {
					t.Errorf("%s record %s (%s -> %s %s%s%s) touches attacker infrastructure but is not in truth.jsonl",
						name, e.UID, e.SrcIP, e.DstIP, e.Domain, e.SNI, e.Host)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no record touches the attacker infrastructure")
	}
}
