package lookalike

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// oracleBrands are the brands whose dnstwist permutations must all be
// flagged: three default login brands and a user-style hyphenated one.
var oracleBrands = []string{"microsoftonline.com", "google.com", "gmail.com", "office.com", "example-studio.com"}

// dnstwistList runs Debian's dnstwist --format list with extra arguments
// and returns its domains; it skips the test when dnstwist is absent.
func dnstwistList(t *testing.T, domain string, args ...string) []string {
	t.Helper()
	bin, err := exec.LookPath("dnstwist")
	if err != nil {
		t.Skip("dnstwist is not installed (apt-get install dnstwist)")
	}
	cmd := exec.Command(bin, append(append([]string{"--format", "list"}, args...), domain)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dnstwist %s: %v: %s", domain, err, stderr.String())
	}
	var list []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			list = append(list, l)
		}
	}
	if len(list) < 100 {
		t.Fatalf("dnstwist %s gave only %d permutations", domain, len(list))
	}
	return list
}

// TestDnstwistCoverage is the CI oracle: every permutation dnstwist
// generates for a brand is flagged as a look-alike of that brand, and the
// brand's own names are not.
func TestDnstwistCoverage(t *testing.T) {
	for _, brand := range oracleBrands {
		t.Run(brand, func(t *testing.T) {
			t.Parallel()
			det, err := New([]string{brand}, Options{NoDefaultBrands: true})
			if err != nil {
				t.Fatal(err)
			}
			checkOracle(t, det, brand, dnstwistList(t, brand))
		})
	}
}

// TestDnstwistDictionaryAndTLDCoverage feeds dnstwist umbra's own
// dictionary and TLD list, which its default run leaves empty, so the
// dictionary and tld-swap fuzzers are covered too.
func TestDnstwistDictionaryAndTLDCoverage(t *testing.T) {
	dir := t.TempDir()
	dict := filepath.Join(dir, "dict.txt")
	tlds := filepath.Join(dir, "tlds.txt")
	if err := os.WriteFile(dict, []byte(strings.Join(DefaultDictionary, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tlds, []byte(strings.Join(DefaultTLDs, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, brand := range []string{"google.com", "microsoftonline.com", "outlook.com", "example-studio.com"} {
		t.Run(brand, func(t *testing.T) {
			t.Parallel()
			det, err := New([]string{brand}, Options{NoDefaultBrands: true})
			if err != nil {
				t.Fatal(err)
			}
			checkOracle(t, det, brand, dnstwistList(t, brand, "--fuzzers", "dictionary,tld-swap", "--dictionary", dict, "--tld", tlds))
		})
	}
}

// checkOracle asserts every permutation is flagged for brand, except the
// brand owner's own registered domains (OwnDomains: google.de is Google's,
// a tld-swap only in form), which must not be flagged at all.
func checkOracle(t *testing.T, det *Detector, brand string, perms []string) {
	t.Helper()
	missed, own := 0, 0
	for _, p := range perms {
		if p == brand {
			continue
		}
		if slices.Contains(OwnDomains(brand), p) {
			own++
			if f, ok := det.Check(p); ok {
				t.Errorf("%s's own domain %q flagged: %s", brand, p, f.Explain())
			}
			continue
		}
		f, ok := det.Check(p)
		if !ok || f.Brand != brand {
			missed++
			if missed <= 20 {
				t.Errorf("dnstwist permutation %q of %s not flagged (got %+v, %v)", p, brand, f, ok)
			}
		}
	}
	if missed > 0 {
		t.Errorf("%s: %d of %d dnstwist permutations not flagged", brand, missed, len(perms)-own)
	}
	t.Logf("%s: %d dnstwist permutations flagged, %d are the owner's own domains and not flagged", brand, len(perms)-own-missed-1, own)
	for _, legit := range []string{brand, "www." + brand, "login." + brand, strings.ToUpper(brand) + "."} {
		if f, ok := det.Check(legit); ok {
			t.Errorf("legitimate %q flagged: %s", legit, f.Explain())
		}
	}
}
