package openioc

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

func read(t *testing.T, path string, opts Options) ([]indicator.Record, indicator.Summary) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []indicator.Record
	sum, err := Read(bytes.NewReader(b), path, opts, func(r indicator.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, sum
}

type tvl struct {
	t    indicator.Type
	v    string
	line int
}

func TestOpenIOC11(t *testing.T) {
	recs, sum := read(t, "testdata/umbrella-1.1.ioc", Options{})
	var got []tvl
	for _, r := range recs {
		got = append(got, tvl{r.Type, r.Value, r.Line})
	}
	want := []tvl{
		{indicator.Domain, "c2.example.com", 15},
		{indicator.IPv4, "203.0.113.77", 19},
		{indicator.Email, "helpdesk@example.net", 23},
		{indicator.MD5, "d41d8cd98f00b204e9800998ecf8427e", 40},
		{indicator.FileName, "loader.dll", 53},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n got  %v\n want %v", got, want)
	}
	if sum.Duplicates != 1 || sum.Rejected != 5 {
		t.Errorf("summary %s", sum)
	}
	wantReasons := map[int]string{27: "inexact condition", 31: "negated item", 36: "weak item inside AND", 45: "bad sha256", 49: "unsupported context"}
	for _, e := range sum.Errors {
		if wantReasons[e.Line] != e.Reason {
			t.Errorf("line %d: reason %q, want %q (%v)", e.Line, e.Reason, wantReasons[e.Line], e)
		}
	}
	r := recs[0]
	if r.Description != "Fictional umbrella test IOC" || r.Source != "umbra-tests" ||
		!reflect.DeepEqual(r.References, []string{"https://example.org/umbrella-report"}) ||
		!reflect.DeepEqual(r.Tags, []string{"winnti", "test"}) {
		t.Errorf("metadata %+v", r)
	}
}

func TestOpenIOC10Windows1252(t *testing.T) {
	recs, sum := read(t, "testdata/legacy-1.0.ioc", Options{Source: "override"})
	var got []tvl
	for _, r := range recs {
		got = append(got, tvl{r.Type, r.Value, r.Line})
	}
	want := []tvl{{indicator.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", 8}, {indicator.Domain, "update.example.net", 16}}
	if !reflect.DeepEqual(got, want) || sum.Rejected != 1 {
		t.Errorf("records %v (want %v), summary %s", got, want, sum)
	}
	if recs[0].Source != "override" || !reflect.DeepEqual(recs[0].References, []string{"Café report"}) {
		t.Errorf("metadata %+v", recs[0])
	}
}

func TestBadDocuments(t *testing.T) {
	cases := map[string]string{
		"not xml":       "hello",
		"wrong root":    `<stix:STIX_Package xmlns:stix="x"/>`,
		"truncated":     `<OpenIOC><criteria><Indicator operator="OR"><IndicatorItem condition="is"><Context search="Network/DNS"/><Content>a.example.com</Content></IndicatorItem><IndicatorItem`,
		"bad encoding":  `<?xml version="1.0" encoding="ebcdic"?><ioc/>`,
		"too deep":      "<ioc>" + strings.Repeat("<a>", maxDepth+1),
		"empty":         "",
		"entity attack": `<!DOCTYPE ioc [<!ENTITY x SYSTEM "file:///etc/passwd">]><ioc><definition><Indicator><IndicatorItem condition="is"><Context search="Network/DNS"/><Content>&x;</Content></IndicatorItem></Indicator></definition></ioc>`,
	}
	for name, in := range cases {
		n := 0
		_, err := Read(strings.NewReader(in), name+".ioc", Options{}, func(indicator.Record) error { n++; return nil })
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), name+".ioc") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
		if name == "truncated" && n != 1 {
			t.Errorf("truncated: %d records before the fault, want 1", n)
		}
		t.Logf("%s: %v", name, err)
	}
}

func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/umbrella-1.1.ioc", "testdata/legacy-1.0.ioc"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<ioc><Indicator operator="AND"><IndicatorItem condition="is"><Context search="x/FileName"/><Content>a</Content></IndicatorItem></Indicator></ioc>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		sum, _ := Read(bytes.NewReader(in), "fuzz.ioc", Options{}, func(r indicator.Record) error {
			n++
			if v, err := indicator.Normalize(r.Type, r.Value); err != nil || v != r.Value {
				t.Fatalf("record %s %q is not normalised (%q, %v)", r.Type, r.Value, v, err)
			}
			return nil
		})
		if sum.Imported != n {
			t.Fatalf("summary %s, emitted %d", sum, n)
		}
	})
}
