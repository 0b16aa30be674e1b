package lookalike

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScan(t *testing.T) {
	d := defaultDetector(t)
	in := strings.Join([]string{
		"# phishing names from the Burning Umbrella report",
		"account.microsoftssonline.com",
		"",
		"www.google.com   # legitimate",
		"not a domain",
		"accounts.google-acc.com",
		"http://evil.example/",
		"localhost",
		"GMAIL.SA.COM.",
		"a..b.com",
		"xn--ggle-55da.com",
	}, "\n")
	var finds []Find
	st, err := d.Scan(strings.NewReader(in), "list.txt", func(f Find) { finds = append(finds, f) })
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != 11 || st.Domains != 5 || st.Finds != 4 || st.Bad != 4 {
		t.Errorf("stats %+v, want 11 lines, 5 domains, 4 finds, 4 bad", st)
	}
	want := []string{"account.microsoftssonline.com", "accounts.google-acc.com", "GMAIL.SA.COM.", "xn--ggle-55da.com"}
	for i, f := range finds {
		if i >= len(want) || f.Domain != want[i] {
			t.Errorf("find %d = %s, want %v", i, f.Domain, want)
		}
	}
	wantErrs := []string{
		`list.txt:5: character ' ' is not allowed in a domain name: "not a domain"`,
		`list.txt:7: character ':' is not allowed in a domain name: "http://evil.example/"`,
		`list.txt:8: not a domain name (no dot): "localhost"`,
		`list.txt:10: empty label: "a..b.com"`,
	}
	if len(st.Errors) != len(wantErrs) {
		t.Fatalf("errors %v, want %v", st.Errors, wantErrs)
	}
	for i, e := range st.Errors {
		if e.Error() != wantErrs[i] {
			t.Errorf("error %d = %q, want %q", i, e, wantErrs[i])
		}
	}
}

// badNameRune is badName as it was before its ASCII fast path: every rune
// through unicode. The two must agree on every input.
func badNameRune(s string) string {
	if len(strings.TrimSuffix(s, ".")) > 253 {
		return "name longer than 253 bytes"
	}
	if !utf8.ValidString(s) {
		return "not UTF-8"
	}
	return badNameFrom(s, 0, 0)
}

func TestBadNameFastPathAgrees(t *testing.T) {
	for _, s := range []string{"", ".", "..", "a.", ".a", "a..b", "a.b", "a.b.", "exa mple.com", "x_y.example.com", "-a.com",
		"gооgle.com", "ｇｏｏｇｌｅ.com", "a*b.com", "a/b.com", "UPPER.COM", strings.Repeat("a", 64) + ".com", strings.Repeat("a", 63) + ".com",
		"é" + strings.Repeat("a", 62) + ".com", strings.Repeat("a", 62) + "é.com", "a\x00.com", "a\xff.com", "a.b\u0301c.com", "1.2.3.4"} {
		if got, want := badName(s), badNameRune(s); got != want {
			t.Errorf("badName(%q) = %q, rune by rune %q", s, got, want)
		}
	}
}

func FuzzBadName(f *testing.F) {
	for _, s := range []string{"www.example.com", "a..b", "gооgle.com", "x_y.z", "a b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := badName(s), badNameRune(s); got != want {
			t.Fatalf("badName(%q) = %q, rune by rune %q", s, got, want)
		}
	})
}
