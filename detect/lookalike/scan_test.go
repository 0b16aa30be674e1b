package lookalike

import (
	"strings"
	"testing"
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
