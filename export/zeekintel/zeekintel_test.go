package zeekintel

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sample() []indicator.Indicator {
	return []indicator.Indicator{
		{Type: indicator.IPv4, Value: "221.216.5.6", Sources: []string{"401trg", "misp"}, Actors: []indicator.Actor{{Name: "APT17", Confidence: 70}}},
		{Type: indicator.IPv6, Value: "2001:db8::1"},
		{Type: indicator.CIDR, Value: "221.216.0.0/13"},
		{Type: indicator.Domain, Value: "update.example.com", Actors: []indicator.Actor{{Name: "Winnti", Confidence: 85}, {Name: "APT41", Confidence: 50}}},
		{Type: indicator.URL, Value: "https://c2.example.net:8443/gate.php?id=1"},
		{Type: indicator.Email, Value: "registrant@example.org"},
		{Type: indicator.SHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{Type: indicator.CertSHA1, Value: "2c322ae2b7fe91391345e070b63668978bb1c9da"},
		{Type: indicator.FileName, Value: "loader.dll"},
		{Type: indicator.UserAgent, Value: "Mozilla/4.0 (compatible; MSIE 8.0; Win32)"},
		{Type: indicator.Phone, Value: "+8613800000000"},
		{Type: indicator.JA3, Value: "e7d705a3286e19ea42f587b344ee6865"},
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	sum, err := Write(&buf, slices.Values(sample()), Meta{Source: "umbra", Description: "Burning Umbrella\texport"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Written != 10 || len(sum.Skipped) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	golden := filepath.Join("testdata", "small.intel")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("output differs from %s (run with -update to accept):\n%s", golden, buf.Bytes())
	}
}

// row is one parsed data line of an intel file.
type row struct{ indicator, typ, source, desc string }

// parse reads an intel file the way Zeek's ASCII input reader does: a
// #fields header naming the columns, tab-separated rows, '#' comments.
func parse(t *testing.T, data []byte) []row {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	var cols []string
	var rows []row
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#fields\t") {
			cols = strings.Split(line, "\t")[1:]
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if cols == nil {
			t.Fatalf("line %d: data before the #fields header", n)
		}
		f := strings.Split(line, "\t")
		if len(f) != len(cols) {
			t.Fatalf("line %d: %d fields, header has %d: %q", n, len(f), len(cols), line)
		}
		r := row{}
		for i, c := range cols {
			if f[i] == "" {
				t.Fatalf("line %d: empty field %s (Zeek wants - for unset)", n, c)
			}
			switch c {
			case "indicator":
				r.indicator = f[i]
			case "indicator_type":
				r.typ = f[i]
			case "meta.source":
				r.source = f[i]
			case "meta.desc":
				r.desc = f[i]
			}
		}
		rows = append(rows, r)
	}
	return rows
}

var zeekTypes = map[string]bool{"Intel::ADDR": true, "Intel::SUBNET": true, "Intel::URL": true, "Intel::SOFTWARE": true,
	"Intel::EMAIL": true, "Intel::DOMAIN": true, "Intel::USER_NAME": true, "Intel::CERT_HASH": true,
	"Intel::PUBKEY_HASH": true, "Intel::FILE_HASH": true, "Intel::FILE_NAME": true}

func TestStructure(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Write(&buf, slices.Values(sample()), Meta{Description: "line one\nline two"}); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(buf.String(), "\n"); first != "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc" {
		t.Fatalf("header %q", first)
	}
	rows := parse(t, buf.Bytes())
	if len(rows) != 10 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if !zeekTypes[r.typ] {
			t.Errorf("%s: %s is not a Zeek Intel::Type", r.indicator, r.typ)
		}
		if r.source != "umbra" {
			t.Errorf("%s: meta.source %q, want the default umbra", r.indicator, r.source)
		}
		if !strings.HasPrefix(r.desc, "line one line two") {
			t.Errorf("%s: meta.desc %q", r.indicator, r.desc)
		}
		if strings.Contains(r.indicator, "://") {
			t.Errorf("URL written with a scheme: %q", r.indicator)
		}
	}
	if rows[4].indicator != "c2.example.net:8443/gate.php?id=1" || rows[4].typ != "Intel::URL" {
		t.Errorf("URL row %+v", rows[4])
	}
	if !strings.Contains(rows[3].desc, "actors: APT41 (50), Winnti (85)") {
		t.Errorf("actors not in meta.desc: %q", rows[3].desc)
	}
	// Empty meta is Zeek's unset marker, never an empty column.
	buf.Reset()
	Write(&buf, slices.Values(sample()[1:2]), Meta{})
	if rows := parse(t, buf.Bytes()); rows[0].desc != "-" || rows[0].source != "umbra" {
		t.Fatalf("empty meta written as %+v", rows[0])
	}
}

func TestBadValuesSkipped(t *testing.T) {
	in := []indicator.Indicator{
		{Type: indicator.FileName, Value: "a\tb.exe"},
		{Type: indicator.FileName, Value: "#comment.exe"},
		{Type: indicator.FileName, Value: "-"},
		{Type: indicator.URL, Value: "no-host"},
		{Type: indicator.ASN, Value: "AS4808"},
		{Type: indicator.FileName, Value: "ok.exe"},
	}
	var buf bytes.Buffer
	sum, err := Write(&buf, slices.Values(in), Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Written != 1 || len(sum.Skipped) != 5 {
		t.Fatalf("summary %+v", sum)
	}
	for _, s := range sum.Skipped {
		if s.Reason == "" {
			t.Errorf("%+v skipped without a reason", s)
		}
	}
	if rows := parse(t, buf.Bytes()); len(rows) != 1 || rows[0].indicator != "ok.exe" {
		t.Fatalf("rows %+v", rows)
	}
}

func TestURLValue(t *testing.T) {
	for in, want := range map[string]string{
		"http://Evil.Example/":                   "evil.example/",
		"http://evil.example":                    "evil.example/",
		"http://evil.example:80/a?b=c#frag":      "evil.example/a?b=c",
		"https://evil.example:8443/x%20y":        "evil.example:8443/x%20y",
		"http://[2001:db8::1]:8080/gate":         "[2001:db8::1]:8080/gate",
		"http://198.51.100.7/wp-admin/admin.php": "198.51.100.7/wp-admin/admin.php",
	} {
		if got, err := URLValue(in); err != nil || got != want {
			t.Errorf("URLValue(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// The rows umbra writes for the indicators in Zeek's own Intel-framework
// tests are the rows those tests load.
func TestMatchesZeekBtestInputs(t *testing.T) {
	root := corpus.Path(t, "zeek-intel-btests", "cases")
	files, _ := filepath.Glob(filepath.Join(root, "*", "input", "*.dat"))
	if len(files) == 0 {
		t.Fatal("no btest intel inputs")
	}
	fromZeek := map[string]indicator.Type{"Intel::SUBNET": indicator.CIDR, "Intel::EMAIL": indicator.Email,
		"Intel::DOMAIN": indicator.Domain, "Intel::CERT_HASH": indicator.CertSHA1, "Intel::FILE_NAME": indicator.FileName}
	var inds []indicator.Indicator
	want := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "#fields\tindicator\tindicator_type\tmeta.source") {
			t.Fatalf("%s: reference header differs from ours: %q", f, strings.SplitN(string(data), "\n", 2)[0])
		}
		for _, r := range parse(t, data) {
			typ, ok := fromZeek[r.typ]
			if r.typ == "Intel::ADDR" {
				typ, ok = indicator.IPv4, true
				if strings.Contains(r.indicator, ":") {
					typ = indicator.IPv6
				}
			}
			if !ok {
				t.Fatalf("%s: unexpected type %s", f, r.typ)
			}
			inds = append(inds, indicator.Indicator{Type: typ, Value: r.indicator})
			want[r.indicator+"\t"+r.typ] = true
		}
	}
	var buf bytes.Buffer
	if _, err := Write(&buf, slices.Values(inds), Meta{Source: "source1"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range parse(t, buf.Bytes()) {
		got[r.indicator+"\t"+r.typ] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("Zeek's test row %q not reproduced", k)
		}
	}
	if len(want) < 15 {
		t.Fatalf("only %d reference rows", len(want))
	}
}

func BenchmarkWrite(b *testing.B) {
	inds := make([]indicator.Indicator, 0, 10000)
	for i := range 10000 {
		inds = append(inds, indicator.Indicator{Type: indicator.Domain, Value: "host" + string(rune('a'+i%26)) + ".example.com", Sources: []string{"feed"}})
	}
	b.ResetTimer()
	for b.Loop() {
		Write(&bytes.Buffer{}, slices.Values(inds), Meta{Description: "bench"})
	}
}
