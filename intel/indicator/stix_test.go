package indicator

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/stix"
)

// sampleValues holds one valid raw value per type, written by hand.
var sampleValues = map[Type]string{
	IPv4: "106.184.5.252", IPv6: "2001:db8::7", CIDR: "221.216.0.0/13", Domain: "Be.Loved.Tokyo",
	URL: "hxxp://evil.example.com/it's/a\\path", Email: "IISEXIT@gmail.com", Phone: "+86.13800000000",
	MD5: "D41D8CD98F00B204E9800998ECF8427E", SHA1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	SHA256: strings.Repeat("e3", 32), SHA512: strings.Repeat("cf", 64),
	CertSHA1: "51:25:09:78:7e:4d:a7:aa:f7:1b:89:d2:56:98:a9:e9:d4:35:01:fd", CertSHA256: strings.Repeat("0a", 32),
	CertSerial: "00:1a:2b", JA3: "e7d705a3286e19ea42f587b344ee6865", JA3S: "ae4edc6faf64d08308082ad26be60767",
	JA4: "t13d1516h2_8daaf6152771_b186095e22b6", Cookie: "_phishing-framework_session",
	UserAgent: `Mozilla/5.0 "quoted" 'single'`, ASN: "AS4808", FileName: "putty.exe",
}

func sampleRecords(t testing.TB) []Record {
	var out []Record
	for _, ty := range Types() {
		raw, ok := sampleValues[ty]
		if !ok {
			t.Fatalf("no sample value for %s", ty)
		}
		v, err := Normalize(ty, raw)
		if err != nil {
			t.Fatalf("sample %s: %v", ty, err)
		}
		out = append(out, Record{Type: ty, Value: v, Description: "sample <" + ty.String() + ">\n",
			References: []string{"http://401trg.pw/burning-umbrella", "Novetta SMN report"},
			Source:     "test-feed", Tags: []string{"winnti"}})
	}
	return out
}

func TestToSTIXMatchesParse(t *testing.T) {
	conf := 70
	opts := STIXOptions{Time: time.Date(2018, 5, 3, 0, 0, 0, 0, time.UTC), Confidence: &conf,
		CreatedByRef: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
		MarkingRefs:  []string{"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"}}
	for _, r := range sampleRecords(t) {
		o, err := ToSTIX(r, opts)
		if err != nil {
			t.Fatalf("%s: %v", r.Type, err)
		}
		// The hand-written JSON must say exactly what the object claims.
		p, err := stix.Parse(o.Raw)
		if err != nil {
			t.Fatalf("%s: stix.Parse: %v\n%s", r.Type, err, o.Raw)
		}
		if !reflect.DeepEqual(p.Common, o.Common) || p.ID != o.ID || p.Created != o.Created || p.Type != o.Type {
			t.Errorf("%s: object fields differ from its JSON:\n got  %+v\n json %+v", r.Type, o.Common, p.Common)
		}
		var m map[string]any
		if err := json.Unmarshal(o.Raw, &m); err != nil {
			t.Fatal(err)
		}
		if m["x_umbra_type"] != r.Type.String() || m["x_umbra_value"] != r.Value || m["pattern_type"] != "stix" {
			t.Errorf("%s: custom properties wrong: %v", r.Type, m)
		}
		// The id is a function of the value and source only.
		o2, _ := ToSTIX(r, STIXOptions{})
		if o2.ID != o.ID {
			t.Errorf("%s: id changed between imports: %s vs %s", r.Type, o.ID, o2.ID)
		}
		r2 := r
		r2.Source = "other-feed"
		if o3, _ := ToSTIX(r2, opts); o3.ID == o.ID {
			t.Errorf("%s: two sources share id %s", r.Type, o.ID)
		}
	}
}

func TestPatterns(t *testing.T) {
	cases := []struct {
		t    Type
		v    string
		want string
	}{
		{Domain, "evil.com", "[domain-name:value = 'evil.com']"},
		{CIDR, "1.2.3.0/24", "[ipv4-addr:value = '1.2.3.0/24']"},
		{CIDR, "2001:db8::/32", "[ipv6-addr:value = '2001:db8::/32']"},
		{SHA256, strings.Repeat("a", 64), "[file:hashes.'SHA-256' = '" + strings.Repeat("a", 64) + "']"},
		{CertSerial, "1A2B", "[x509-certificate:serial_number = '1A2B']"},
		{URL, `http://x.com/it's\`, `[url:value = 'http://x.com/it\'s\\']`},
		{ASN, "AS4808", "[autonomous-system:number = 4808]"},
		{JA3, "e7d705a3286e19ea42f587b344ee6865", "[network-traffic:extensions.'x-umbra-tls'.ja3 = 'e7d705a3286e19ea42f587b344ee6865']"},
	}
	for _, c := range cases {
		if got := Pattern(c.t, c.v); got != c.want {
			t.Errorf("Pattern(%s, %q) = %s, want %s", c.t, c.v, got, c.want)
		}
	}
}

func TestFromSTIXRoundTrip(t *testing.T) {
	for _, r := range sampleRecords(t) {
		o, err := ToSTIX(r, STIXOptions{})
		if err != nil {
			t.Fatal(err)
		}
		in, ok := FromSTIX(o)
		if !ok || in.Type != r.Type || in.Value != r.Value || !reflect.DeepEqual(in.IDs, []string{o.ID}) ||
			!reflect.DeepEqual(in.Sources, []string{"test-feed"}) {
			t.Errorf("FromSTIX(ToSTIX(%s %q)) = %+v, %v", r.Type, r.Value, in, ok)
		}
		// Without the x_umbra_ properties the pattern alone must do.
		var m map[string]any
		json.Unmarshal(o.Raw, &m)
		delete(m, "x_umbra_type")
		delete(m, "x_umbra_value")
		raw, _ := json.Marshal(m)
		bare, err := stix.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		in, ok = FromSTIX(bare)
		if !ok || in.Type != r.Type || in.Value != r.Value {
			t.Errorf("FromSTIX(pattern %s) = %+v, %v; want %s %q", bare.Common.Pattern, in, ok, r.Type, r.Value)
		}
	}
}

func TestFromSTIXForeign(t *testing.T) {
	build := func(props stix.Props) stix.Object {
		t.Helper()
		o, err := stix.Build("indicator", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", props)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	cases := []struct {
		props stix.Props
		ok    bool
		t     Type
		v     string
	}{
		{stix.Props{"pattern": "[ipv4-addr:value = '198.51.100.0/24']", "pattern_type": "stix"}, true, CIDR, "198.51.100.0/24"},
		{stix.Props{"pattern": "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']"}, true, MD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{stix.Props{"pattern": "  [ domain-name:value='Evil.COM' ] "}, true, Domain, "evil.com"},
		{stix.Props{"pattern": "[domain-name:value = 'a.com'] OR [domain-name:value = 'b.com']"}, false, 0, ""},
		{stix.Props{"pattern": "[domain-name:value LIKE '%.evil.com']"}, false, 0, ""},
		{stix.Props{"pattern": "[process:name = 'x.exe']"}, false, 0, ""},
		{stix.Props{"pattern": "alert tcp any any", "pattern_type": "snort"}, false, 0, ""},
		{stix.Props{"pattern": "[domain-name:value = 'evil.com']", "revoked": true}, false, 0, ""},
	}
	for _, c := range cases {
		in, ok := FromSTIX(build(c.props))
		if ok != c.ok || ok && (in.Type != c.t || in.Value != c.v) {
			t.Errorf("FromSTIX(%v) = %+v, %v; want %v %s %q", c.props, in, ok, c.ok, c.t, c.v)
		}
	}
}

// TestToSTIXValidates runs the OASIS JSON schemas over a bundle of one
// indicator per type.
func TestToSTIXValidates(t *testing.T) {
	root := corpus.Path(t, "stix2-json-schemas")
	tool := filepath.Join(root, "..", "..", "tools", "validate-stix")
	if _, err := os.Stat(tool); err != nil {
		t.Skip("validate-stix is not present")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	if err := exec.Command("python3", "-c", "import jsonschema, referencing").Run(); err != nil {
		t.Skip("python3 jsonschema is not installed")
	}
	var buf bytes.Buffer
	w := stix.NewWriter(&buf)
	conf := 50
	for _, r := range sampleRecords(t) {
		o, err := ToSTIX(r, STIXOptions{Confidence: &conf})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("python3", tool, file).CombinedOutput()
	if err != nil {
		t.Fatalf("validate-stix: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func FuzzFromSTIXPattern(f *testing.F) {
	f.Add("[domain-name:value = 'evil.com']")
	f.Add("[file:hashes.'SHA-256' = 'x\\'y']")
	f.Add("[autonomous-system:number = 4808]")
	f.Add("[url:value = '")
	f.Fuzz(func(t *testing.T, p string) {
		ty, v, ok := parseSimplePattern(p)
		if !ok {
			return
		}
		n, err := Normalize(ty, v)
		if err != nil {
			return
		}
		// What we can read, we must be able to write and read back.
		ty2, v2, ok := parseSimplePattern(Pattern(ty, n))
		if !ok || ty2 != ty {
			t.Fatalf("%q -> %s %q -> %q -> %s %q %v", p, ty, n, Pattern(ty, n), ty2, v2, ok)
		}
		if n2, err := Normalize(ty2, v2); err != nil || n2 != n {
			t.Fatalf("%q: round trip %q -> %q (%v)", p, n, n2, err)
		}
		// The correlation index keys a foreign indicator with this pattern
		// by what the matcher reads from it, and a list indicator of that
		// value by the same string: a lookup finds both.
		o, err := stix.Build("indicator", "indicator--00000001-0000-4000-8000-000000000000", stix.Props{
			"pattern": p, "pattern_type": "stix", "valid_from": "2024-03-01T10:00:00Z"})
		if err != nil {
			t.Fatal(err)
		}
		in, ok := FromSTIX(o)
		if cv := CorrelationValue(&o); (ok && cv != in.Value) || (!ok && cv != "") {
			t.Fatalf("%q: correlation value %q, the matcher reads %q (%v)", p, cv, in.Value, ok)
		}
		if !ok {
			return
		}
		own, err := ToSTIX(Record{Type: in.Type, Value: in.Value, Source: "s"}, STIXOptions{})
		if err != nil {
			return
		}
		if cv := CorrelationValue(&own); cv != in.Value {
			t.Fatalf("%q: a list indicator of %q is keyed %q", p, in.Value, cv)
		}
	})
}

func BenchmarkToSTIX(b *testing.B) {
	recs := sampleRecords(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ToSTIX(recs[i%len(recs)], STIXOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	recs := sampleRecords(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := recs[i%len(recs)]
		if _, err := Normalize(r.Type, sampleValues[r.Type]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIndicatorIDIsDeterministicID(t *testing.T) {
	for _, r := range sampleRecords(t) {
		for _, src := range []string{"", "401trg", strings.Repeat("long source ", 40)} {
			name := "umbra-indicator|" + r.Type.String() + "|" + r.Value + "|" + src
			if got, want := IndicatorID(r.Type, r.Value, src), stix.DeterministicID("indicator", name); got != want {
				t.Errorf("IndicatorID(%s, %q, %q) = %s, stix.DeterministicID gives %s", r.Type, r.Value, src, got, want)
			}
		}
	}
}

// TestToSTIXAllocations guards the import hot path: the object's JSON
// buffer is sized once and nothing else is rebuilt per call beyond the id,
// the pattern and the small slices the Object carries.
func TestToSTIXAllocations(t *testing.T) {
	r := Record{Type: Domain, Value: "c2.example.com", Description: "C2", Source: "401trg",
		References: []string{"http://401trg.pw/burning-umbrella"}, Tags: []string{"winnti"}}
	opts := STIXOptions{Time: time.Date(2018, 5, 3, 0, 0, 0, 0, time.UTC)}
	n := testing.AllocsPerRun(100, func() {
		if _, err := ToSTIX(r, opts); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations per ToSTIX", n)
	if n > 6 {
		t.Errorf("ToSTIX makes %.0f allocations, want at most 6", n)
	}
}

// The correlation index keys what an object carries as Lookup asks for it.
func TestCorrelationValue(t *testing.T) {
	mk := func(raw string) stix.Object {
		o, err := stix.Parse([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	const head = `"spec_version":"2.1","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z"`
	ind := func(props string) stix.Object {
		return mk(`{"type":"indicator","id":"indicator--00000001-0000-4000-8000-000000000000",` + head + `,"valid_from":"2024-03-01T10:00:00Z",` + props + `}`)
	}
	for _, c := range []struct {
		name string
		o    stix.Object
		want string
	}{
		{"umbra's own", ind(`"pattern":"[domain-name:value = 'x.example.com']","pattern_type":"stix","x_umbra_type":"domain","x_umbra_value":"kept.as.written"`), "kept.as.written"},
		{"simple pattern, normalised", ind(`"pattern":"[domain-name:value = 'Evil-C2.COM.']","pattern_type":"stix"`), "evil-c2.com"},
		{"hash path", ind(`"pattern":"[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']","pattern_type":"stix"`), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"CIDR", ind(`"pattern":"[ipv4-addr:value = '221.216.0.0/13']","pattern_type":"stix"`), "221.216.0.0/13"},
		{"two comparisons", ind(`"pattern":"[domain-name:value = 'a.com' OR domain-name:value = 'b.com']","pattern_type":"stix"`), ""},
		{"not STIX patterning", ind(`"pattern":"title: x","pattern_type":"sigma"`), ""},
		{"not a valid value", ind(`"pattern":"[ipv4-addr:value = '999.1.1.1']","pattern_type":"stix"`), ""},
		{"observable, normalised", mk(`{"type":"domain-name","spec_version":"2.1","id":"domain-name--00000001-0000-4000-8000-000000000000","value":"WWW.Example.COM"}`), "www.example.com"},
		{"observable umbra has no type for", mk(`{"type":"mutex","spec_version":"2.1","id":"mutex--00000001-0000-4000-8000-000000000000","name":"m"}`), ""},
		{"relationship", mk(`{"type":"relationship","id":"relationship--00000001-0000-4000-8000-000000000000",` + head + `,"relationship_type":"indicates","source_ref":"indicator--00000001-0000-4000-8000-000000000000","target_ref":"malware--00000001-0000-4000-8000-000000000000"}`), ""},
	} {
		if got := CorrelationValue(&c.o); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
