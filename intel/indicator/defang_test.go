package indicator

import (
	"regexp"
	"strings"
	"testing"
)

func TestDefang(t *testing.T) {
	cases := []struct {
		typ      Type
		in, want string
	}{
		{IPv4, "103.97.176.40", "103[.]97[.]176[.]40"},
		{IPv6, "2001:db8::1", "2001[:]db8[:][:]1"},
		{CIDR, "221.216.0.0/13", "221[.]216[.]0[.]0/13"},
		{Domain, "gamecdn-sync.net", "gamecdn-sync[.]net"},
		{Email, "hr.dept@google-acc.com", "hr[.]dept[@]google-acc[.]com"},
		{URL, "http://login.microsoftonlinee.com/owa/auth.php", "hxxp://login[.]microsoftonlinee[.]com/owa/auth.php"},
		{URL, "https://a.example:8443/x", "hxxps://a[.]example:8443/x"},
		{URL, "ftp://files.example/", "fxp://files[.]example/"},
		{URL, "ws://u:p@[2001:db8::1]:81/", "ws[://]u:p[@][2001[:]db8[:][:]1]:81/"},
		// A host that would read as a defanged scheme once bracketed.
		{Domain, "hxxp.com", "hxxp(.)com"},
		{Domain, "a-fxp.com", "a-fxp(.)com"},
		{Domain, "ahxxp.com", "ahxxp[.]com"},
		// Not clickable: unchanged.
		{SHA256, strings.Repeat("ab", 32), strings.Repeat("ab", 32)},
		{FileName, "update.exe", "update.exe"},
	}
	for _, c := range cases {
		got := Defang(c.typ, c.in)
		if got != c.want {
			t.Errorf("Defang(%s, %q) = %q, want %q", c.typ, c.in, got, c.want)
		}
		if back := Refang(got); back != c.in {
			t.Errorf("Refang(Defang(%s, %q)) = %q", c.typ, c.in, back)
		}
	}
}

// live matches what a reader (or a mail client) would turn into a link
// or a lookup: a scheme, a dotted quad, or a dotted host name.
var live = regexp.MustCompile(`(?i)\b(https?|ftp)://|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|\b[a-z0-9-]+\.(com|net|org|info|example|io|cn|jp|kr)\b|[a-z0-9]@[a-z0-9]`)

func TestDefangText(t *testing.T) {
	in := `Look-alike domains (e.g. account.microsoftssonline.com, accounts.google-acc.com) and 103.97.176.40; ` +
		`write to hr@google-acc.com or see http://evil.example/a.php. Version 5.0 of ShadowPad.`
	got := DefangText(in)
	if m := live.FindString(got); m != "" {
		t.Errorf("DefangText left %q live in %q", m, got)
	}
	for _, keep := range []string{"(e.g. ", "Version 5.0 of ShadowPad.", "account[.]microsoftssonline[.]com,", "hxxp://evil[.]example/a.php."} {
		if !strings.Contains(got, keep) {
			t.Errorf("DefangText(%q) = %q, want it to contain %q", in, got, keep)
		}
	}
	if back := Refang(got); back != in {
		t.Errorf("Refang(DefangText(x)) = %q, want %q", back, in)
	}
}

// FuzzDefang checks that defanging is undone by Refang for every valid,
// normalised indicator value, and that the defanged form is not live.
func FuzzDefang(f *testing.F) {
	for _, s := range []string{"103.97.176.40", "2001:db8::1", "221.216.0.0/13", "gamecdn-sync.net", "hr@google-acc.com",
		"http://a.example/x.php?q=1", "https://[2001:db8::1]:8443/", "hxxp.com", "ftp://u:p@files.example/", "a-fxp.com",
		"tcp://1.2.3.4:53", "xn--bcher-kva.de", "http://hxxp.example/", "mailto.hxxps@x.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, v, err := Detect(s)
		if err != nil || typ == Unknown {
			return
		}
		// Only values that are their own normal form are valid indicators
		// as the store keeps them.
		if v2, err := Normalize(typ, v); err != nil || v2 != v {
			return
		}
		d := Defang(typ, v)
		if back := Refang(d); back != v {
			t.Fatalf("Refang(Defang(%s, %q)) = %q (defanged %q)", typ, v, back, d)
		}
		if !NeedsDefang(typ) {
			return
		}
		if i := strings.Index(d, "://"); i >= 0 && !strings.Contains(d, "[://]") && !strings.HasPrefix(d, "hxxp") && !strings.HasPrefix(d, "fxp") {
			t.Fatalf("Defang(%s, %q) = %q keeps a live scheme", typ, v, d)
		}
		if typ != URL && strings.ContainsAny(strings.NewReplacer("[.]", "", "(.)", "", "[@]", "", "(@)", "", "[:]", "").Replace(d), ".@") {
			t.Fatalf("Defang(%s, %q) = %q keeps a live dot or at-sign", typ, v, d)
		}
	})
}

// FuzzDefangText checks that prose never comes out with a network value
// still live, that defanging twice changes nothing, and that nothing
// panics.
func FuzzDefangText(f *testing.F) {
	for _, s := range []string{"see account.microsoftssonline.com, or 1.2.3.4.", "(e.g. http://a.example/x) and hr@x.com",
		"221.216.0.0/13 in AS4808", "Version 5.0", "hxxp.com [.] x", "*.evil.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := DefangText(s)
		if d2 := DefangText(d); d2 != d {
			t.Fatalf("DefangText not idempotent: %q -> %q -> %q", s, d, d2)
		}
		for _, w := range strings.Fields(d) {
			if strings.ContainsAny(w, "[(") {
				continue
			}
			if typ, _, err := Detect(w); err == nil && NeedsDefang(typ) && Refang(w) == w && defangWord(w) != w {
				t.Fatalf("DefangText(%q) = %q leaves %q live", s, d, w)
			}
		}
	})
}
