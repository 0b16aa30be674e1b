package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValue(t *testing.T) {
	cases := []struct {
		in   string
		kind Kind
		raw  string
	}{
		{`"a\"b"`, String, `a\"b`},
		{` 12.5e3 `, Number, `12.5e3`},
		{`true`, Bool, `true`},
		{`null`, Null, `null`},
		{`[1, "x", {"a": [null]}]`, Array, `[1, "x", {"a": [null]}]`},
		{`{"a": {"b": 1}}`, Object, `{"a": {"b": 1}}`},
	}
	for _, c := range cases {
		s := New([]byte(c.in))
		k, raw, _, err := s.Value(0)
		if err != nil || k != c.kind || string(raw) != c.raw || s.Rest() {
			t.Errorf("Value(%q) = %v %q %v", c.in, k, raw, err)
		}
	}
	for _, bad := range []string{`{"a" 1}`, `[1 2]`, `"abc`, `tru`, `{"a":}`, "\"a\x01\"", `-`} {
		s := New([]byte(bad))
		if _, _, _, err := s.Value(0); err == nil {
			t.Errorf("Value(%q) accepted", bad)
		}
	}
	deep := make([]byte, 0, 200)
	for i := 0; i < 100; i++ {
		deep = append(deep, '[')
	}
	s := New(deep)
	if _, _, _, err := s.Value(0); err == nil {
		t.Error("100 nested arrays accepted")
	}
}

func TestAppendString(t *testing.T) {
	got, err := AppendString(nil, []byte(`caf\u00e9 \ud83d\ude00 \n\t\"\\\/ \ud800x`))
	if want := "café 😀 \n\t\"\\/ \uFFFDx"; err != nil || string(got) != want {
		t.Errorf("AppendString = %q, %v; want %q", got, err, want)
	}
	if _, err := AppendString(nil, []byte(`\q`)); err == nil {
		t.Error(`\q accepted`)
	}
}

// FuzzValue: whatever encoding/json accepts, the scanner accepts too, and
// it decodes valid strings to what encoding/json gives.
func FuzzValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"d\u00e9"}`, `"\ud83d\ude00"`, `[]`, `-1.5e-3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New(b)
		kind, raw, esc, err := s.Value(0)
		if !json.Valid(b) {
			return
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return // deeper than encoding/json allows
		}
		if err != nil && strings.Contains(err.Error(), "nested too deeply") {
			return // MaxDepth is deliberately far below encoding/json's limit
		}
		if err != nil || s.Rest() {
			t.Fatalf("valid JSON %q rejected: %v", b, err)
		}
		if str, ok := v.(string); ok && kind == String && utf8.ValidString(str) {
			got := raw
			if esc {
				if got, err = AppendString(nil, raw); err != nil {
					t.Fatal(err)
				}
			}
			if utf8.Valid(got) && string(got) != str {
				t.Fatalf("string %q decoded to %q, encoding/json %q", b, got, str)
			}
		}
	})
}
