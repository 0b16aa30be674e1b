package pattern

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

func loadFixture(t testing.TB, name string) []Observation {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := ReadObservations(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return obs
}

// The fixture holds two sightings: at 09:58:00 a connection to
// 221.216.5.9:443 (the report's Beijing netblock) from 10.1.2.3, and at
// 10:01:30 a file msupdate.exe seen twice.
func TestMatchFixture(t *testing.T) {
	obs := loadFixture(t, "bundle.json")
	if len(obs) != 2 {
		t.Fatalf("got %d observations, want 2", len(obs))
	}
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{"[ipv4-addr:value = '221.216.5.9']", true},
		{"[ipv4-addr:value = '221.216.5.10']", false},
		{"[ipv6-addr:value = '221.216.5.9']", false},
		{"[network-traffic:dst_ref.value ISSUBSET '221.216.0.0/13']", true},
		{"[network-traffic:dst_ref.value ISSUBSET '221.224.0.0/13']", false},
		{"[network-traffic:dst_ref.value ISSUBSET '2001:db8::/32']", false},
		{"[network-traffic:dst_ref.value NOT ISSUBSET '10.0.0.0/8']", true},
		// src_ref's target is in the bundle but not in object_refs.
		{"[network-traffic:src_ref.value = '10.1.2.3']", true},
		{"[network-traffic:dst_port = 443 AND network-traffic:protocols[*] = 'tls']", true},
		{"[network-traffic:dst_port = 443 AND ipv4-addr:value = '221.216.5.9']", false}, // AND needs one object
		{"[network-traffic:protocols[2] = 'tls']", true},
		{"[network-traffic:protocols[3] = 'tls']", false},
		{"[network-traffic:protocols[-1] = 'tls']", false},
		{"[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [ipv4-addr:value = '221.216.5.9']", false},
		{"[ipv4-addr:value = '221.216.5.9'] FOLLOWEDBY [file:name = 'msupdate.exe']", true},
		{"([ipv4-addr:value = '221.216.5.9'] AND [file:name = 'msupdate.exe']) WITHIN 210 SECONDS", true},
		{"([ipv4-addr:value = '221.216.5.9'] AND [file:name = 'msupdate.exe']) WITHIN 209.9 SECONDS", false},
		{"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", true},
		{"[file:magic_number_hex = h'4d5a']", true},
		{"[file:magic_number_hex = 'MZ']", true},
		{"[file:magic_number_hex = b'TVo=']", true},
		{"[file:magic_number_hex = h'4d5b']", false},
		{"[file:name = 'msupdate.exe'] REPEATS 2 TIMES", true},
		{"[file:name = 'msupdate.exe'] REPEATS 3 TIMES", false},
		{"[file:size > 371711.5 AND file:size < 371713]", true},
		{"[file:size IN (1, 371712)]", true},
		{"[file:name LIKE 'ms%.ex_']", true},
		{"[file:name LIKE 'ms%.dll']", false},
		{"[file:name MATCHES '^MS']", false},
		{"[file:name MATCHES '(?i)^MS']", true},
		{`[file:name MATCHES 'exe\\Z']`, true},
		{"[EXISTS file:hashes.MD5]", true},
		{"[EXISTS file:hashes.'SHA-1']", false},
		{"[NOT EXISTS file:hashes.'SHA-1']", true},
		{"[file:name = 'msupdate.exe'] START t'2018-05-01T10:00:00Z' STOP t'2018-05-01T10:02:00Z'", true},
		{"[file:name = 'msupdate.exe'] START t'2018-05-01T10:01:30Z' STOP t'2018-05-01T10:02:00Z'", true},
		{"[file:name = 'msupdate.exe'] START t'2018-05-01T10:00:00Z' STOP t'2018-05-01T10:01:30Z'", false},
		{"[x-unknown:anything = 1] OR [ipv4-addr:value = '221.216.5.9']", true},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.pattern, err)
			continue
		}
		got, err := p.Match(obs)
		if err != nil {
			t.Errorf("Match(%q): %v", tc.pattern, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestMatchesReportsBoundObservations(t *testing.T) {
	obs := loadFixture(t, "bundle.json")
	p, err := Parse("[file:name = 'msupdate.exe'] AND [ipv4-addr:value = '221.216.5.9']")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.Matches(obs)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 2 || obs[idx[0]].ID != "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf" ||
		obs[idx[1]].ID != "observed-data--9b7a5e44-3c8e-4a8e-8a51-0f7a0c9a3d11" {
		t.Errorf("Matches = %v, want both observations in order", idx)
	}
}

func TestMatchErrors(t *testing.T) {
	obs := loadFixture(t, "bundle.json")
	for _, tc := range []struct{ pattern, want string }{
		{"[file:name = t'2018-05-01T10:00:00Z']", "invalid timestamp in JSON"},
		{"[network-traffic:protocols[*] ISSUBSET '10.0.0.0/8']", "invalid IP"},
		{"[network-traffic:dst_port_ref.value = 'x' OR network-traffic:dst_port = 443]", ""}, // absent ref: no error
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.pattern, err)
		}
		_, err = p.Match(obs)
		if tc.want == "" {
			if err != nil {
				t.Errorf("Match(%q): unexpected error %v", tc.pattern, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Match(%q) error = %v, want one mentioning %q", tc.pattern, err, tc.want)
		}
	}
}

func TestParseErrorPositions(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		at      string // the error is at the first occurrence of this text
	}{
		{"", ""},
		{"   ", ""},
		{"[file:name = 'x'", ""},
		{"[file:name = 'x\\d']", `\d`},
		{"[file:name = 'unterminated]", `'unterminated`},
		{"[a:b = 1] /* open comment", "/*"},
		{"[a:b IN (1,)]", ")]"},
		{"[a:b = 1] WITHIN 1 SECONDS REPEATS", ""},
		{"[a:b = 1] REPEATS 99999999999999999999 TIMES", "99999"},
		{"[a:b = true AND a:c > false]", "false"},
		{"[a:b = 1] START t'2020-01-01T00:00:00Z' STOP 'soon'", "'soon'"},
		{"[a:b = 1] ANDx [a:c = 2]", "ANDx"},
		{"[a:b-c = 1]", "b-c"},
		{"[a:b[x] = 1]", "x]"},
		{"[a:b = 1] [a:c = 2]", "[a:c"},
		{"[a:b = 1] §", "§"},
	} {
		_, err := Parse(tc.pattern)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want *Error", tc.pattern, err)
			continue
		}
		want := len(strings.TrimRight(tc.pattern, " "))
		if tc.at != "" {
			want = strings.Index(tc.pattern, tc.at)
		} else if strings.TrimSpace(tc.pattern) == "" {
			want = len(tc.pattern)
		}
		if pe.Offset != want {
			t.Errorf("Parse(%q): error at %d (%v), want %d", tc.pattern, pe.Offset, err, want)
		}
	}
}

func TestDeepNestingIsAnError(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("(", 100000) + "[a:b = 1]" + strings.Repeat(")", 100000),
		"[" + strings.Repeat("(", 100000) + "a:b = 1" + strings.Repeat(")", 100000) + "]",
	} {
		if _, err := Parse(s); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("deep nesting: got %v", err)
		}
	}
}

func TestEvaluationProblemsAreFoundAtParse(t *testing.T) {
	for _, s := range []string{
		"[a:b MATCHES '(?<=x)y']", // look-behind: no RE2 form
		"[a:b IN (1, 'x')]",
		"[a:b = t'2023-02-29T00:00:00Z']",
		"[a:b = 1] WITHIN 0 SECONDS",
		"[a:b = 1] REPEATS 0 TIMES",
		"[a:b ISSUBSET '10.0.0.0/33']",
		"[a:b = 1] START t'2020-02-30T00:00:00Z' STOP t'2020-03-01T00:00:00Z'",
	} {
		p, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): %v (want it grammatical)", s, err)
			continue
		}
		if p.Err() == nil {
			t.Errorf("%q: Err() = nil", s)
		}
		if _, err := p.Match(nil); err == nil {
			t.Errorf("%q: Match succeeded", s)
		}
	}
}

func TestValidateRules(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		ok      bool
	}{
		{"[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']", true},
		{"[file:hashes.md5 = '79054025255fb1a26e4bc422aef54eb']", false},
		{"[file:hashes.'SHA-1' IN ('0000000000000000000000000000000000000000', 'xyz')]", false},
		{"[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']", true},
		{"[file:hashes.'x-custom' = 'anything']", true},
		{"[a:b = 1] WITHIN 1 SECONDS REPEATS 2 TIMES", true},
		{"[a:b = 1] REPEATS 2 TIMES WITHIN 1 SECONDS REPEATS 3 TIMES", false},
		{"([a:b = 1] REPEATS 2 TIMES) REPEATS 3 TIMES", true},
		{"[a:b = 1] REPEATS 2 TIMES AND [a:c = 1] REPEATS 2 TIMES", true},
	} {
		_, err := Validate(tc.pattern)
		if (err == nil) != tc.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tc.pattern, err, tc.ok)
		}
	}
}

func TestEqualities(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []Equality
	}{
		{"[url:value = 'http://x.example/']", []Equality{{"url", "value", "http://x.example/"}}},
		{"[file:hashes.MD5 = 'aa' OR file:hashes.'SHA-256' = 'bb'] OR [domain-name:value = 'it\\'s']",
			[]Equality{{"file", "hashes.MD5", "aa"}, {"file", "hashes.'SHA-256'", "bb"}, {"domain-name", "value", "it's"}}},
		{"[file:hashes.'AND' = 'x']", []Equality{{"file", "hashes.'AND'", "x"}}},
		{"[a:b = 'x' AND a:c = 'y']", nil},
		{"[a:b = 'x'] AND [a:c = 'y']", nil},
		{"[a:b = 'x'] WITHIN 5 SECONDS", nil},
		{"[a:b NOT = 'x']", nil},
		{"[a:b != 'x']", nil},
		{"[a:b = 5]", nil},
		{"[a:b[*] = 'x']", nil},
		{"[network-traffic:dst_ref.value = '1.2.3.4']", nil},
		{"[file:magic_number_hex = 'MZ']", nil},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.pattern, err)
		}
		got, ok := p.Equalities()
		if ok != (tc.want != nil) || len(got) != len(tc.want) {
			t.Errorf("Equalities(%q) = %v, %v; want %v", tc.pattern, got, ok, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Equalities(%q)[%d] = %+v, want %+v", tc.pattern, i, got[i], tc.want[i])
			}
		}
		if e, ok := p.SimpleEquality(); ok != (len(tc.want) == 1) || ok && e != tc.want[0] {
			t.Errorf("SimpleEquality(%q) = %+v, %v", tc.pattern, e, ok)
		}
	}
}

func TestReadObservationsRejectsBadSDOs(t *testing.T) {
	for name, want := range map[string]string{
		"backwards.json":  "observed-data--1",
		"zero-count.json": "number_observed",
	} {
		f, err := os.Open("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ReadObservations(f)
		f.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, want)
		}
	}
	if _, err := ReadObservations(strings.NewReader(`{"type": "bundle", "objects": [`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func TestBudgetStopsCombinatorialSearch(t *testing.T) {
	p, err := Parse("([person:age < 20] FOLLOWEDBY [person:age > 5]) REPEATS 10 TIMES")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Match(combinatorialObservations()); !ok || err != nil {
		t.Fatalf("with the default budget: %v, %v", ok, err)
	}
	old := MaxSteps
	MaxSteps = 10000
	defer func() { MaxSteps = old }()
	if _, err := p.Match(combinatorialObservations()); !errors.Is(err, ErrTooComplex) {
		t.Errorf("Match = %v, want ErrTooComplex", err)
	}
}

func TestTranslateRegex(t *testing.T) {
	for in, want := range map[string]string{
		`abc\Z`:      `abc\z`,
		`caf\u00e9`:  `caf\x{00e9}`,
		`^a$`:        `^a(?:\n?\z)`,
		`[$]x`:       `[$]x`,
		`[]$]`:       `[\]$]`,
		`\$`:         `\$`,
		`\\u0041`:    `\\u0041`,
		`\U0001F600`: `\x{0001F600}`,
		`a{,3}b`:     `a{0,3}b`,
		`a{,}b`:      `a{,}b`,
		`[{,3}]`:     `[{,3}]`,
	} {
		if got := translateRegex(in); got != want {
			t.Errorf("translateRegex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCaret(t *testing.T) {
	_, err := Parse("[file:name = ]")
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	if got, want := pe.Caret("[file:name = ]"), "[file:name = ]\n             ^"; got != want {
		t.Errorf("Caret =\n%s\nwant\n%s", got, want)
	}
}

// Nested REPEATS run one combination search inside another; each needs
// its own scratch space. Twenty single sightings hold ten disjoint pairs
// but not eleven.
func TestNestedRepeats(t *testing.T) {
	obs := combinatorialObservations()
	for pattern, want := range map[string]bool{
		"[person:age < 20] REPEATS 2 TIMES REPEATS 10 TIMES":                   true,
		"[person:age < 20] REPEATS 2 TIMES REPEATS 11 TIMES":                   false,
		"[person:age < 20] REPEATS 4 TIMES REPEATS 5 TIMES":                    true,
		"[person:age < 20] REPEATS 3 TIMES REPEATS 7 TIMES":                    false,
		"([person:age < 20] REPEATS 2 TIMES) REPEATS 3 TIMES WITHIN 5 SECONDS": true,
		"([person:age < 20] REPEATS 2 TIMES) REPEATS 3 TIMES WITHIN 4 SECONDS": false,
	} {
		p, err := Parse(pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Match(obs)
		if err != nil || got != want {
			t.Errorf("Match(%q) = %v, %v; want %v", pattern, got, err, want)
		}
	}
}

// FromObjects serves callers that already hold a bundle as stix.Objects;
// it must see the same observations as ReadObservations.
func TestFromObjectsMatchesReadObservations(t *testing.T) {
	f, err := os.Open("testdata/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var objs []stix.Object
	rd := stix.NewReader(f)
	for {
		o, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	got, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	want := loadFixture(t, "bundle.json")
	if len(got) != len(want) {
		t.Fatalf("FromObjects: %d observations, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || !g.FirstObserved.Equal(w.FirstObserved) || !g.LastObserved.Equal(w.LastObserved) ||
			g.NumberObserved != w.NumberObserved || len(g.Objects) != len(w.Objects) {
			t.Errorf("observation %d: FromObjects %+v, ReadObservations %+v", i, g, w)
		}
	}
	p, _ := Parse("[network-traffic:src_ref.value = '10.1.2.3']")
	if ok, err := p.Match(got); !ok || err != nil {
		t.Errorf("match over FromObjects observations: %v, %v", ok, err)
	}
}

func TestObjectTypes(t *testing.T) {
	p, err := Parse("[file:name = 'a' OR process:pid = 4] FOLLOWEDBY ([file:size > 1] AND [NOT EXISTS x-custom:y])")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.ObjectTypes(), ","); got != "file,process,x-custom" {
		t.Errorf("ObjectTypes = %s", got)
	}
}

// Observations built in Go from telemetry need not round-trip through
// JSON: plain string maps and slices work too.
func TestGoBuiltObservation(t *testing.T) {
	at := time.Date(2018, 5, 1, 10, 0, 0, 0, time.UTC)
	obs := []Observation{{
		ID: "observed-data--x", FirstObserved: at, LastObserved: at, NumberObserved: 1,
		Objects: map[string]any{
			"0": map[string]any{"type": "email-message", "to_refs": []string{"1"}, "headers": map[string]string{"X-Mailer": "umbra"}, "size": 42},
			"1": map[string]any{"type": "email-addr", "value": "victim@example.org"},
		},
	}}
	for pattern, want := range map[string]bool{
		"[email-message:to_refs[*].value = 'victim@example.org']": true,
		"[email-message:to_refs[0].value LIKE '%@example.org']":   true,
		"[email-message:headers.'X-Mailer' = 'umbra']":            true,
		"[email-message:size >= 42 AND email-message:size < 43]":  true,
		"[email-message:to_refs[1].value = 'victim@example.org']": false,
	} {
		p, err := Parse(pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := p.Match(obs); got != want || err != nil {
			t.Errorf("Match(%q) = %v, %v; want %v", pattern, got, err, want)
		}
	}
}

// Every object refers to every other, so each knows_refs[*] step
// multiplies the values by ten; thirty steps must hit the budget, not
// exhaust memory.
func TestReferenceCyclesAreBounded(t *testing.T) {
	objs := map[string]any{}
	var ids []string
	for i := range 10 {
		ids = append(ids, "p"+strings.Repeat("x", i))
	}
	for _, id := range ids {
		objs[id] = map[string]any{"type": "person", "knows_refs": ids, "name": id}
	}
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	obs := []Observation{{ID: "o", FirstObserved: at, LastObserved: at, NumberObserved: 1, Objects: objs}}
	p, err := Parse("[person:" + strings.Repeat("knows_refs[*].", 30) + "name = 'nobody']")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Match(obs); !errors.Is(err, ErrTooComplex) {
		t.Errorf("Match = %v, want ErrTooComplex", err)
	}
	p, _ = Parse("[person:knows_refs[*].knows_refs[*].name = 'pxxx']")
	if ok, err := p.Match(obs); !ok || err != nil {
		t.Errorf("two hops: %v, %v", ok, err)
	}
}
