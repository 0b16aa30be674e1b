package suffix

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

func want(name string) string { s, _ := publicsuffix.PublicSuffix(name); return s }

// TestRulesAndNeighbours compares Of with x/net for every rule and the
// names around it: the rule itself, a host under it, two levels under it,
// its parent, and the exception and wildcard spellings.
func TestRulesAndNeighbours(t *testing.T) {
	bad := 0
	for _, r := range strings.Split(rulesText, "\n") {
		if r == "" || r[0] == '#' {
			continue
		}
		r = strings.TrimPrefix(strings.TrimPrefix(r, "!"), "*.")
		names := []string{r, "a." + r, "www.b." + r, "x-1.y.z." + r}
		if i := strings.IndexByte(r, '.'); i >= 0 {
			names = append(names, "q."+r[i+1:], r[i+1:])
		}
		for _, n := range names {
			if got, w := Of(n), want(n); got != w {
				bad++
				if bad <= 20 {
					t.Errorf("Of(%q) = %q, publicsuffix says %q", n, got, w)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d names differ", bad)
	}
}

func TestOddNames(t *testing.T) {
	for _, n := range []string{"", ".", "..", "com", "com.", ".com", "a..com", "1.2.3.4", "::1", "fe80::1%eth0", "a.b.c.d.e.f.g.h",
		"www.ck", "x.www.ck", "foo.ck", "city.kawasaki.jp", "x.city.kawasaki.jp", "y.kawasaki.jp", "a.y.kawasaki.jp",
		"s3.amazonaws.com", "b.s3.amazonaws.com", "example.co.uk", "localhost", "xn--p1ai", "a.xn--p1ai", "a.b.blogspot.com",
		"123.com", "1.com.", "EXAMPLE.COM", "x.-.com", "a.b.c.example.co.uk"} {
		if got, w := Of(n), want(n); got != w {
			t.Errorf("Of(%q) = %q, publicsuffix says %q", n, got, w)
		}
	}
}

// TestMatchesXNet fails when golang.org/x/net's rules changed without
// rules.txt being regenerated (go run gen.go). It reads the module's
// source, so it skips where the module cache is not at hand.
func TestMatchesXNet(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/net").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "publicsuffix", "table_test.go"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var theirs []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "var rules = [...]string{":
			in = true
		case in && l == "}":
			in = false
		case in:
			r, err := strconv.Unquote(strings.TrimSuffix(l, ","))
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			theirs = append(theirs, r)
		}
	}
	var ours []string
	for _, r := range strings.Split(rulesText, "\n") {
		if r != "" && r[0] != '#' {
			ours = append(ours, r)
		}
	}
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Fatalf("rules.txt (%d rules) differs from golang.org/x/net's (%d): run go generate's gen.go", len(ours), len(theirs))
	}
}

func FuzzOf(f *testing.F) {
	for _, s := range []string{"www.example.co.uk", "a.b.kawasaki.jp", "www.ck", "1.2.3.4", "a..b", "xn--p1ai", "s3.amazonaws.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, w := Of(name), want(name); got != w {
			t.Fatalf("Of(%q) = %q, publicsuffix says %q", name, got, w)
		}
	})
}

var sink string

func BenchmarkOf(b *testing.B) {
	names := []string{"www.example.com", "img-12.cdn.example.co.uk", "api.github.io", "a.b.c.d.example.net", "mail.google.com"}
	b.Run("umbra", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink = Of(names[i%len(names)])
		}
	})
	b.Run("x-net", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink, _ = publicsuffix.PublicSuffix(names[i%len(names)])
		}
	})
}
