package lookalike

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
)

func defaultDetector(t testing.TB) *Detector {
	t.Helper()
	d, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBurningUmbrellaNames checks the credential-phishing names named in
// ProtectWise's Burning Umbrella report against the default brands, with
// the explanation an analyst would give for each.
func TestBurningUmbrellaNames(t *testing.T) {
	d := defaultDetector(t)
	for _, c := range []struct {
		domain, brand string
		fuzzers       []Fuzzer // any of these is a sensible explanation
	}{
		{"account.microsoftssonline.com", "microsoftonline.com", []Fuzzer{Insertion, Repetition}},
		{"login.micrrosoftsonline.com", "microsoftonline.com", []Fuzzer{Insertion, Repetition, Typo}},
		{"mail.outlook-s.com", "outlook.com", []Fuzzer{Plural, Addition, Dictionary}},
		{"accounts.gmail.sa.com", "gmail.com", []Fuzzer{TLDSwap}},
		{"accounts.google-acc.com", "google.com", []Fuzzer{Dictionary}},
		{"accounts.google-caches.com", "google.com", []Fuzzer{Dictionary}},
		{"css.google-statics.com", "google.com", []Fuzzer{Dictionary}},
		{"ns1.google-searching.com", "google.com", []Fuzzer{Dictionary}},
		{"ns2.googlecloud.center", "google.com", []Fuzzer{Dictionary}},
		{"microsoftsec.com", "microsoft.com", []Fuzzer{Dictionary}},
		{"office.parakaro.co.jp", "office.com", []Fuzzer{BrandInSubdomain}},
		// Variants of the same campaign nobody listed.
		{"login-microsoft-verify.com", "microsoft.com", []Fuzzer{Dictionary}},
		{"microsoft.com.evil.net", "microsoft.com", []Fuzzer{BrandInSubdomain}},
		{"login.rnicrosoftonline.com", "microsoftonline.com", []Fuzzer{Homoglyph}},
		{"login.micros0ft0nline.com", "microsoftonline.com", []Fuzzer{Homoglyph}},
		{"accounts.g00gle-login.com", "google.com", []Fuzzer{Dictionary}},
		{"login-mircosoft-secure.com", "microsoft.com", []Fuzzer{Transposition}},
		{"goo.gle.com", "google.com", []Fuzzer{Subdomain}},
		{"gmailcom.com", "gmail.com", []Fuzzer{Various}},
		{"xn--ggle-55da.com", "google.com", []Fuzzer{Homoglyph}}, // Cyrillic о
	} {
		f, ok := d.Check(c.domain)
		if !ok {
			t.Errorf("%s: not flagged", c.domain)
			continue
		}
		good := false
		for _, fz := range c.fuzzers {
			good = good || f.Fuzzer == fz
		}
		if f.Brand != c.brand || !good || f.Score < 50 || f.Domain != c.domain {
			t.Errorf("%s: got %s; want brand %s, fuzzer one of %v, score >= 50", c.domain, f.Explain(), c.brand, c.fuzzers)
		}
	}
}

// TestBurningUmbrellaCorpus runs every DOMAIN indicator of the report's
// CSVs through the default brands: a name is flagged exactly when it
// carries a Microsoft or Google brand word, by the analyst's reading.
func TestBurningUmbrellaCorpus(t *testing.T) {
	dir := corpus.Path(t, "401trg-burning-umbrella")
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CSVs in %s: %v", dir, err)
	}
	d := defaultDetector(t)
	// gstatic.guide imitates Google's static-content CDN, not a login
	// domain: it needs --brand gstatic.com (TestUserBrand).
	brandWords := []string{"google", "gmail", "microsoft", "micrrosoft", "outlook", "office."}
	domains, flagged := 0, 0
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, row := range rows[1:] {
			if len(row) < 2 || row[1] != "DOMAIN" {
				continue
			}
			domains++
			want := false
			for _, w := range brandWords {
				want = want || strings.Contains(row[0], w)
			}
			f, ok := d.Check(row[0])
			if ok {
				flagged++
			}
			if ok != want {
				t.Errorf("%s: flagged=%v (%s), want %v", row[0], ok, f.Explain(), want)
			}
		}
	}
	if domains < 100 {
		t.Fatalf("only %d DOMAIN indicators read", domains)
	}
	t.Logf("%d of %d report domains flagged", flagged, domains)
}

// TestPopularDomainsNotFlagged guards against false positives on
// well-known legitimate sites, with and without common subdomains.
func TestPopularDomainsNotFlagged(t *testing.T) {
	d := defaultDetector(t)
	fh, err := os.Open("testdata/popular.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	n := 0
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		n++
		for _, name := range []string{l, "www." + l, "api.cdn." + l} {
			if f, ok := d.Check(name); ok {
				t.Errorf("legitimate %s flagged: %s", name, f.Explain())
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d popular domains read", n)
	}
}

// TestBrandDomainsNotFlagged checks every default brand and allowed
// domain, and hosts under them, in any case and with a trailing dot.
func TestBrandDomainsNotFlagged(t *testing.T) {
	d := defaultDetector(t)
	var names []string
	for _, b := range DefaultBrands {
		names = append(names, b.Domain, "login."+b.Domain, "A.B."+strings.ToUpper(b.Domain)+".")
		for _, o := range b.Own {
			names = append(names, o, "login."+o)
		}
	}
	names = append(names, legitimateDomains...)
	names = append(names, "accounts.google.com", "login.microsoftonline.com", "outlook.office365.com",
		"www.microsoft.com-c-3.edgekey.net", "microsoft-my.sharepoint.com", "storage.googleapis.com")
	for _, n := range names {
		if f, ok := d.Check(n); ok {
			t.Errorf("%s flagged: %s", n, f.Explain())
		}
	}
}

// TestIDNHomoglyphs spells brands with look-alike letters from other
// scripts, in Unicode and in punycode.
func TestIDNHomoglyphs(t *testing.T) {
	d := defaultDetector(t)
	for _, c := range []struct{ domain, brand string }{
		{"gооgle.com", "google.com"},                   // Cyrillic о о
		{"xn--ggle-55da.com", "google.com"},            // the same in punycode
		{"gmаil.com", "gmail.com"},                     // Cyrillic а
		{"οutlook.com", "outlook.com"},                 // Greek ο
		{"microsօftonline.com", "microsoftonline.com"}, // Armenian օ
		{"ｇｏｏｇｌｅ.com", "google.com"},                   // fullwidth
		{"gōōglé.net", "google.com"},                   // Latin diacritics, other TLD
		{"GOOGLE.COM.", ""},                            // the brand itself, not a find
		{"microsoftonlіne.com", "microsoftonline.com"}, // Cyrillic і
		{"ɡmail.com", "gmail.com"},                     // Latin script small g
	} {
		f, ok := d.Check(c.domain)
		if c.brand == "" {
			if ok {
				t.Errorf("%s flagged: %s", c.domain, f.Explain())
			}
			continue
		}
		if !ok || f.Brand != c.brand || f.Fuzzer != Homoglyph || !f.IDN || f.Score < 90 {
			t.Errorf("%s: got %+v %v, want IDN homoglyph of %s", c.domain, f, ok, c.brand)
		}
	}
}

// TestGenerateIsDetected: every permutation umbra generates, including
// the dictionary, plural and tld-swap ones dnstwist's default run lacks,
// is flagged for its brand.
func TestGenerateIsDetected(t *testing.T) {
	for _, brand := range []string{"microsoftonline.com", "google.com", "gmail.com", "outlook.com", "example-studio.com", "game-studio.co.uk"} {
		d, err := New([]string{brand}, Options{NoDefaultBrands: true})
		if err != nil {
			t.Fatal(err)
		}
		perms := d.Generate(brand)
		if len(perms) < 500 || perms[0].Fuzzer != Original || perms[0].Domain != brand {
			t.Fatalf("%s: %d permutations, first %+v", brand, len(perms), perms[0])
		}
		seen := map[Fuzzer]int{}
		for _, p := range perms[1:] {
			seen[p.Fuzzer]++
			if f, ok := d.Check(p.Domain); !ok || f.Brand != d.brands[0].Domain {
				t.Errorf("%s: generated %s %s not flagged (%+v)", brand, p.Fuzzer, p.Domain, f)
			}
		}
		for _, fz := range fuzzerOrder[1:] {
			if fz == Cyrillic && strings.ContainsAny(brand, "fnru") {
				continue // no Cyrillic letter for f, n, r or u
			}
			if seen[fz] == 0 {
				t.Errorf("%s: no %s permutations", brand, fz)
			}
		}
	}
}

// TestGenerateCoversDnstwist compares Generate with dnstwist for the
// fuzzers whose output is fully determined by the algorithm (homoglyph
// and cyrillic depend on each tool's glyph table, dictionary and
// tld-swap on word lists).
func TestGenerateCoversDnstwist(t *testing.T) {
	const fuzzers = "addition,bitsquatting,hyphenation,insertion,omission,repetition,replacement,subdomain,transposition,vowel-swap,various"
	for _, brand := range []string{"google.com", "example-studio.com"} {
		theirs := dnstwistList(t, brand, "--fuzzers", fuzzers)
		ours := map[string]bool{}
		for _, p := range Generate(brand) {
			ours[p.Domain] = true
		}
		for _, p := range theirs {
			if !ours[p] {
				t.Errorf("%s: dnstwist permutation %s missing from Generate", brand, p)
			}
		}
	}
}

// TestCheckAllocations keeps Check usable on every name a sensor sees: a
// name seen before costs no allocation (AllocsPerRun's warm-up call is the
// first sighting), and the comparison itself allocates nothing either; only
// golang.org/x/net/publicsuffix does, once, because it tries
// netip.ParseAddr first and boxes the parse error.
func TestCheckAllocations(t *testing.T) {
	d := defaultDetector(t)
	for _, name := range []string{"www.example.com", "cdn.fbcdn.net", "login.microsoftonline.com", "googl.com", "gmail.sa.com", "login-microsoft-verify.com"} {
		if n := testing.AllocsPerRun(100, func() { d.Check(name) }); n != 0 {
			t.Errorf("Check(%q) allocates %.0f times", name, n)
		}
		if n := testing.AllocsPerRun(100, func() { d.check(name) }); n > 1 {
			t.Errorf("check(%q) allocates %.0f times", name, n)
		}
	}
}

// referenceOSA is the textbook unbounded optimal-string-alignment distance,
// the specification distance must agree with when glyphs are off.
func referenceOSA(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestDistanceMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rng.IntN(14))
		for i := range b {
			b[i] = "abcgo"[rng.IntN(5)]
		}
		return string(b)
	}
	for range 20000 {
		a, b := word(), word()
		k := rng.IntN(5)
		want := referenceOSA(a, b)
		if want > k {
			want = k + 1
		}
		if got := distance([]byte(a), []byte(b), k, false, 0, 0); got != want {
			t.Fatalf("distance(%q, %q, %d) = %d, want %d", a, b, k, got, want)
		}
	}
}

func TestGlyphDistance(t *testing.T) {
	cls := func(s string) []byte {
		var sk skeleton
		if !sk.build(s) {
			t.Fatalf("build(%q) failed", s)
		}
		return append([]byte(nil), sk.cls[:sk.n]...)
	}
	for _, c := range []struct {
		brand, obs string
		want       int
	}{
		{"microsoft", "rnicrosoft", 0},
		{"microsoft", "rnlcr0soft", 0},
		{"windows", "vvindows", 0},
		{"adobe", "aclobe", 0},
		{"google", "goog1e", 0},
		{"google", "gogle", 1},
		{"google", "facebook", 3}, // over k=2
	} {
		if got := distance(cls(c.brand), cls(c.obs), 2, true, 4, 2); got != c.want {
			t.Errorf("glyph distance(%s, %s) = %d, want %d", c.brand, c.obs, got, c.want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	for in, want := range map[string]string{
		"xn--ggle-55da.com": "google.com",
		"GOOGLE.com.":       "google.com",
		"gооgle":            "google",
		"micro-soft":        "microsoft",
		"ｇｍａｉｌ":             "gmail",
		"xn--zz-zzzzzz":     "",
		"a..b":              "",
	} {
		got := Skeleton(in)
		if in == "xn--zz-zzzzzz" {
			// Not valid punycode: kept as the ASCII it is.
			want = "xnzzzzzzzz"
		}
		if got != want {
			t.Errorf("Skeleton(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, bad := range []string{"", "com", "co.uk", "exa mple.com"} {
		if _, err := New([]string{bad}, Options{NoDefaultBrands: true}); err == nil || !strings.Contains(err.Error(), "brand") {
			t.Errorf("New(%q): error %v, want one naming the brand", bad, err)
		}
	}
	if _, err := New(nil, Options{NoDefaultBrands: true}); err == nil {
		t.Error("New with no brands: want an error")
	}
}

func TestCheckRejectsJunk(t *testing.T) {
	d := defaultDetector(t)
	for _, junk := range []string{"", ".", "..", "com", "co.uk", "localhost", strings.Repeat("a", 300) + ".com", "\x00\xff.com", "-.com"} {
		if f, ok := d.Check(junk); ok {
			t.Errorf("Check(%q) flagged: %s", junk, f.Explain())
		}
	}
}

func TestBitOSAMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	word := func(max int) string {
		b := make([]byte, rng.IntN(max))
		for i := range b {
			b[i] = "abcgo1-"[rng.IntN(7)]
		}
		return string(b)
	}
	for range 50000 {
		a, b := word(20)+"x", word(20)
		p := newPattern([]byte(a))
		if got, want := p.bitOSA([]byte(b)), referenceOSA(a, b); got != want {
			t.Fatalf("bitOSA(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
}

// TestVerdictCacheAgrees: a remembered verdict is the one Check computes,
// whatever spelling (case, trailing dot) asked first.
func TestVerdictCacheAgrees(t *testing.T) {
	d := defaultDetector(t)
	names := []string{"account.microsoftssonline.com", "ACCOUNT.MICROSOFTSSONLINE.COM.", "www.example.com",
		"gmail.sa.com", "x.co.uk", "goo.gle.com", "a.b.c.example.co.uk", "foo.blogspot.com"}
	for pass := 0; pass < 2; pass++ {
		for _, n := range names {
			want, wantOK := d.check(normalizeName(n))
			got, ok := d.Check(n)
			want.Domain = n
			if !wantOK {
				want = Find{}
			}
			if ok != wantOK || got != want {
				t.Errorf("pass %d: Check(%q) = %+v %v, uncached %+v %v", pass, n, got, ok, want, wantOK)
			}
		}
	}
}

// TestUserBrand adds brands to the defaults, as an analyst protecting a
// studio's domain (and Google's CDN) would.
func TestUserBrand(t *testing.T) {
	d, err := New([]string{"www.example-studio.com", "gstatic.com"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		domain, brand string
		fuzzer        Fuzzer
	}{
		{"gstatic.guide", "gstatic.com", TLDSwap},
		{"example-stuido.com", "example-studio.com", Transposition},
		{"example-studlo.com", "example-studio.com", Homoglyph},
		{"exanple-studio.com", "example-studio.com", Homoglyph},
		{"example-stydio.com", "example-studio.com", Replacement},
		{"examplestudio.com", "example-studio.com", Omission},
		{"example-login.com", "example-studio.com", Dictionary},
		{"example-studio-support.net", "example-studio.com", Dictionary},
		{"accounts.google-acc.com", "google.com", Dictionary},
	} {
		f, ok := d.Check(c.domain)
		if !ok || f.Brand != c.brand || f.Fuzzer != c.fuzzer {
			t.Errorf("%s: got %+v %v, want %s of %s", c.domain, f, ok, c.fuzzer, c.brand)
		}
	}
	for _, ok := range []string{"example-studio.com", "cdn.example-studio.com", "example.com", "studio.com", "www.gstatic.com"} {
		if f, flagged := d.Check(ok); flagged {
			t.Errorf("%s flagged: %s", ok, f.Explain())
		}
	}
}

// TestRealDNSQueriesNotFlagged runs the query names of real Zeek dns.log
// files (RITA's test captures of an office network) through the default
// brands: ordinary traffic, including Microsoft's and Google's own CDN
// names, raises nothing.
func TestRealDNSQueriesNotFlagged(t *testing.T) {
	root := corpus.Path(t, "zeek-rita-testdata", "test_data")
	d := defaultDetector(t)
	n := 0
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasPrefix(e.Name(), "dns") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Split(line, "\t")
			if strings.HasPrefix(line, "#") || len(fields) < 10 {
				continue
			}
			n++
			if f, ok := d.Check(fields[9]); ok {
				t.Errorf("%s: %s", path, f.Explain())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 500 {
		t.Fatalf("only %d queries read", n)
	}
}

func TestCyrillicWholeWord(t *testing.T) {
	d := defaultDetector(t)
	// Every letter Cyrillic, as dnstwist's cyrillic fuzzer writes google.
	f, ok := d.Check("ԍооԍӏе.com")
	if !ok || f.Fuzzer != Cyrillic || f.Brand != "google.com" || !f.IDN {
		t.Errorf("got %+v %v, want cyrillic look-alike of google.com", f, ok)
	}
	// One Cyrillic letter among Latin ones is a homoglyph, not a word swap.
	if f, ok := d.Check("gооgle.com"); !ok || f.Fuzzer != Homoglyph {
		t.Errorf("got %+v %v, want homoglyph", f, ok)
	}
}

// TestCheckConcurrent shares one Detector (and its verdict cache) between
// goroutines, as matcher workers do; run with -race.
func TestCheckConcurrent(t *testing.T) {
	d := defaultDetector(t)
	names := []string{"account.microsoftssonline.com", "www.example.com", "gmail.sa.com", "goo.gle.com", "cdn.fbcdn.net"}
	want := make([]bool, len(names))
	for i, n := range names {
		_, want[i] = d.check(n)
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 2000; i++ {
				n := names[i%len(names)]
				if f, ok := d.Check(n); ok != want[i%len(names)] || ok && f.Domain != n {
					done <- fmt.Errorf("Check(%q) = %+v %v", n, f, ok)
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestOwnCountryDomainsNotTLDSwaps: a brand's own country and sovereign-
// cloud domains are legitimate, while the same label under a suffix the
// owner does not hold is still a tld-swap.
func TestOwnCountryDomainsNotTLDSwaps(t *testing.T) {
	d := defaultDetector(t)
	for _, name := range []string{"microsoft.de", "www.microsoft.co.uk", "login.live.co.uk", "google.co.jp", "mail.hotmail.fr",
		"outlook.de", "login.microsoftonline.us", "login.partner.microsoftonline.cn", "portal.office.de", "contoso.onmicrosoft.de"} {
		if f, ok := d.Check(name); ok {
			t.Errorf("%s is the owner's own, flagged: %s", name, f.Explain())
		}
	}
	for _, c := range []struct{ name, brand string }{
		{"microsoft.xyz", "microsoft.com"}, {"google.top", "google.com"}, {"microsoftonline.co.uk", "microsoftonline.com"},
		{"outlook.tk", "outlook.com"}, {"hotmail.pw", "hotmail.com"},
	} {
		f, ok := d.Check(c.name)
		if !ok || f.Brand != c.brand || f.Fuzzer != TLDSwap {
			t.Errorf("%s: got %+v %v, want a tld-swap of %s", c.name, f, ok, c.brand)
		}
	}
	// Naming a default brand alone keeps its owner's domains legitimate.
	g, err := New([]string{"accounts.google.com"}, Options{NoDefaultBrands: true})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := g.Check("google.de"); ok {
		t.Errorf("google.de flagged for a google.com-only detector: %s", f.Explain())
	}
	for _, p := range g.Generate("google.com") {
		if p.Domain == "google.de" || p.Domain == "google.co.uk" {
			t.Errorf("Generate lists Google's own %s", p.Domain)
		}
	}
}

// TestGlyphCandidateIsNecessary: the character-set filter never rejects a
// label the multi-glyph distance accepts. Labels are the brands'
// permutations with one more random edit, which is what the distance is
// for, and random strings over the brands' characters.
func TestGlyphCandidateIsNecessary(t *testing.T) {
	d, err := New(userBrands, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 9))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	checked, accepted := 0, 0
	for i := range d.brands {
		b := &d.brands[i]
		if b.glyphK == 0 {
			continue
		}
		var labels [][]byte
		for j, p := range d.Generate(b.Domain) {
			if j%7 != 0 {
				continue // a sample keeps the test quick
			}
			var s skeleton
			if l := strings.SplitN(p.Domain, ".", 2)[0]; s.build(l) {
				labels = append(labels, append([]byte(nil), s.cls[:s.n]...))
			}
		}
		for n := 0; n < 2000; n++ {
			l := append([]byte(nil), b.cls...)
			for e := rng.IntN(4); e >= 0; e-- {
				l[rng.IntN(len(l))] = alphabet[rng.IntN(len(alphabet))]
			}
			labels = append(labels, l)
		}
		for _, l := range labels {
			edited := append([]byte(nil), l...)
			switch p := rng.IntN(len(edited)); rng.IntN(3) {
			case 0:
				edited[p] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				edited = append(edited[:p], edited[p+1:]...)
			default:
				edited = append(edited[:p], append([]byte{alphabet[rng.IntN(len(alphabet))]}, edited[p:]...)...)
			}
			for j := range edited {
				edited[j] = glyphClass[edited[j]]
			}
			for _, o := range [][]byte{l, edited} {
				if len(o) == 0 || len(o) > maxLabel {
					continue
				}
				checked++
				if distance(b.cls, o, b.glyphK, true, b.longer, b.shorter) <= b.glyphK {
					accepted++
					if !b.glyphCandidate(o) {
						t.Fatalf("%s: filter rejects %q, which the distance accepts", b.Domain, o)
					}
				}
			}
		}
	}
	if accepted < 1000 {
		t.Fatalf("only %d of %d labels within the distance: the test says little", accepted, checked)
	}
	t.Logf("%d labels, %d within the multi-glyph distance, none rejected by the filter", checked, accepted)
}

// A name seen for the first time that is no look-alike costs no
// allocation, and a remembered verdict answers the same as the first.
func TestCheckFirstSightDoesNotAllocate(t *testing.T) {
	d := defaultDetector(t)
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("host-%d.example.org", i)
	}
	i := 0
	if n := testing.AllocsPerRun(100, func() { d.Check(names[i]); i++ }); n != 0 {
		t.Errorf("%.1f allocations per never-seen name", n)
	}
	for _, name := range []string{"account.microsoftssonline.com", "www.example.org"} {
		f1, ok1 := d.Check(name)
		f2, ok2 := d.Check(name)
		if f1 != f2 || ok1 != ok2 {
			t.Errorf("%s: first %+v %v, remembered %+v %v", name, f1, ok1, f2, ok2)
		}
	}
}

// A dictionary word as one hyphen token is not a typo of a short brand:
// mail-5 under a public suffix (gov.uk, githubusercontent.com) is a host,
// not a gmail look-alike.
func TestWordTokenIsNoTypo(t *testing.T) {
	d := defaultDetector(t)
	for _, name := range []string{"mail-123.githubusercontent.com", "mail-5.gov.uk", "mail-99.akamaihd.net", "login-2.example.co.uk"} {
		if f, ok := d.Check(name); ok {
			t.Errorf("%s flagged: %s", name, f.Explain())
		}
	}
	if f, ok := d.Check("login-gmial-verify.com"); !ok || f.Brand != "gmail.com" {
		t.Errorf("login-gmial-verify.com: %+v %v, want a gmail look-alike", f, ok)
	}
}
