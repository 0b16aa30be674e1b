package pattern

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
	"[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
	"([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
	"[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
	"[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
	"[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
	"[x:created = t'2024-01-15T12:30:45.123Z'] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'",
	"[a:b NOT IN (1, 2.5, -3)] OR [NOT EXISTS a:c] /* comment */ // trailing",
	"[a:b ISSUBSET '10.0.0.0/8' AND a:c NOT ISSUPERSET '2001:db8::1'] REPEATS 2 TIMES",
	"[a:b LIKE 'x_%'] AND [a:'quoted.key'[0] >= -0.5]",
	"[person:age < 20] REPEATS 3 TIMES",
	"file:size = 1280",
	"[x:created = t'2024-13-01T12:00:00Z']",
}

// FuzzParse checks that no input panics the parser or the evaluator, that
// every error carries an in-range offset, and that Validate agrees with
// Parse about grammar.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	data, err := os.ReadFile("testdata/bundle.json")
	if err != nil {
		f.Fatal(err)
	}
	obs, err := ReadObservations(bytes.NewReader(data))
	if err != nil {
		f.Fatal(err)
	}
	obs = append(obs, combinatorialObservations()[:6]...)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		_, verr := Validate(s)
		if err != nil {
			pe, ok := err.(*Error)
			if !ok || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("Parse(%q): error %v has no valid offset", s, err)
			}
			if verr == nil {
				t.Fatalf("Validate accepts %q that Parse rejects", s)
			}
			_ = pe.Caret(s)
			return
		}
		if e := p.Err(); e != nil {
			if pe := e.(*Error); pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("Err(%q) offset %d out of range", s, pe.Offset)
			}
		}
		p.Equalities()
		if _, err := p.matches(obs, 20000); err != nil && p.Err() == nil && strings.Contains(err.Error(), "unsupported") {
			t.Fatalf("Match(%q): %v", s, err)
		}
	})
}

// FuzzReadObservations checks that hostile observed-data JSON yields an
// error or observations, never a panic, and that matching them is safe.
func FuzzReadObservations(f *testing.F) {
	data, err := os.ReadFile("testdata/bundle.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`[{"type":"observed-data","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":3,"objects":{"0":{"type":"x","a_ref":"0","b_refs":["0",1],"c_hex":"zz","d_bin":"!!"}}}]`))
	patterns := []*Pattern{}
	for _, s := range []string{
		"[x:a_ref.a_ref.c_hex = h'00']", "[x:b_refs[*].d_bin LIKE '%']", "[x:c = t'2020-01-01T00:00:00Z'] REPEATS 2 TIMES",
		"[ipv4-addr:value ISSUBSET '0.0.0.0/0'] FOLLOWEDBY [file:name MATCHES '.']",
	} {
		p, err := Parse(s)
		if err != nil {
			f.Fatal(err)
		}
		patterns = append(patterns, p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		obs, err := ReadObservations(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, p := range patterns {
			p.matches(obs, 20000)
		}
	})
}
