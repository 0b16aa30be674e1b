package codesign

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

func TestFormatSerial(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"f66842b4f9c458b72136f0ae96924b7", "0F66842B4F9C458B72136F0AE96924B7"}, // odd digit count gets its byte's leading zero
		{"453f5e1437937", "0453F5E1437937"},
		{"0", "00"},
		{"-1f", "-1F"},
	} {
		n, _ := new(big.Int).SetString(c.in, 16)
		if got := formatSerial(n); got != c.want {
			t.Errorf("formatSerial(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestFormatNameEscapes(t *testing.T) {
	// A hostile subject must not be able to print as extra attributes.
	rdns := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Evil, Inc.+CN=Microsoft"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: " padded "}},
		{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "a@b.example"}},
	}
	want := `emailAddress=a@b.example,CN=\ padded\ ,O=Evil\, Inc.\+CN=Microsoft`
	if got := formatName(rdns); got != want {
		t.Errorf("formatName = %s\nwant          %s", got, want)
	}
}

func TestPublisherFits(t *testing.T) {
	cert := func(cn string, o ...string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: o}}
	}
	for _, c := range []struct {
		company string
		cert    *x509.Certificate
		want    bool
	}{
		{"Acme Games Co., Ltd.", cert("Acme Games", "Acme Games Ltd"), true},
		{"ACME GAMES", cert("", "Acme Games, Inc."), true},
		{"Acme", cert("Acme Games Ltd"), true}, // a shorter trade name
		{"Microsoft Corporation", cert("Acme Games", "Acme Games Ltd"), false},
		{"Micro", cert("Microsoft Corporation"), false}, // whole words only
		{"", cert("Anyone"), true},
		{"Ltd.", cert("Anyone"), true}, // nothing left to compare
	} {
		if got := publisherFits(c.company, c.cert); got != c.want {
			t.Errorf("publisherFits(%q, %v) = %v, want %v", c.company, c.cert.Subject, got, c.want)
		}
	}
}

func TestStolenSetNormalises(t *testing.T) {
	var s StolenSet
	if err := s.Add(MatchSerial, "0x00:0f:66", "a", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(MatchSHA1, strings.Repeat("AB", 20), "b", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(MatchSerial, "zz", "c", ""); err == nil {
		t.Error("non-hex serial accepted")
	}
	if m := s.Match(Certificate{Serial: "0F66"}); len(m) != 1 || m[0].Source != "a" {
		t.Errorf("serial match %+v", m)
	}
	if m := s.Match(Certificate{Serial: "0F67", SHA1: strings.Repeat("ab", 20)}); len(m) != 1 || m[0].Kind != MatchSHA1 {
		t.Errorf("thumbprint match %+v", m)
	}
	var empty *StolenSet
	if m := empty.Match(Certificate{Serial: "01"}); m != nil {
		t.Errorf("nil set matched %+v", m)
	}
}

// TestWalkZeekExtractFolder scans a folder laid out like Zeek's
// extract_files: PE and non-PE files named extract-<ts>-<proto>-<fuid>,
// a subfolder, an empty file, a DOS stub without a PE header and a
// truncated PE.
func TestWalkZeekExtractFolder(t *testing.T) {
	dir := t.TempDir()
	pe := testPE{company: "Acme Games"}.build()
	dos := append([]byte("MZ"), make([]byte, 0x40)...)
	files := map[string][]byte{
		"extract-1521911341.12345-HTTP-FhY3e21Gn3Ukh6kPab": pe,
		"extract-1521911342.00001-HTTP-FzT8cM1zYXBfDyHk6l": []byte("<html>not a PE</html>"),
		"extract-1521911343.54321-SMB-Fa1b2c3d4e5f6g7h8i":  pe[:0x90],
		"extract-1521911344.00000-FTP_DATA-Fempty":         {},
		"sub/extract-1521911345.11111-HTTP-FdosStub":       dos,
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		writeFile(t, p, b)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	var got []string
	var s Scanner
	err := s.Walk([]string{link, filepath.Join(dir, "missing")}, func(r Result) error {
		got = append(got, filepath.Base(r.Path)+" "+string(r.Verdict))
		if r.Verdict == Failed && r.Error == "" {
			t.Errorf("%s: failed without an error", r.Path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"extract-1521911341.12345-HTTP-FhY3e21Gn3Ukh6kPab unsigned",
		"extract-1521911342.00001-HTTP-FzT8cM1zYXBfDyHk6l skipped",
		"extract-1521911343.54321-SMB-Fa1b2c3d4e5f6g7h8i error",
		"extract-1521911344.00000-FTP_DATA-Fempty skipped",
		"extract-1521911345.11111-HTTP-FdosStub skipped",
		"missing error",
	}
	if !slices.Equal(got, want) {
		t.Errorf("walk results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWalkOrderAndStop checks that parallel scanning still reports files in
// lexical order and that an error from the callback ends the walk.
func TestWalkOrderAndStop(t *testing.T) {
	dir := t.TempDir()
	pe := testPE{}.build()
	var want []string
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("extract-%02d", i)
		want = append(want, filepath.Join(dir, name))
		b := pe
		if i%3 == 0 {
			b = []byte("text")
		}
		writeFile(t, filepath.Join(dir, name), b)
	}
	s := Scanner{Workers: 4}
	var got []string
	if err := s.Walk([]string{dir}, func(r Result) error { got = append(got, r.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n%v\nwant\n%v", got, want)
	}
	stop := errors.New("stop")
	n := 0
	err := s.Walk([]string{dir}, func(Result) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 5 {
		t.Errorf("walk returned %v after %d results, want stop after 5", err, n)
	}
}

func TestSignsForOthers(t *testing.T) {
	c := func(cn, o string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: []string{o}}}
	}
	msRoot := c("Microsoft Root Certificate Authority 2010", "Microsoft Corporation")
	for _, tc := range []struct {
		leaf  *x509.Certificate
		chain []*x509.Certificate
		want  bool
	}{
		{c("Microsoft Windows", "Microsoft Corporation"), []*x509.Certificate{msRoot}, true},
		{c("Microsoft Windows Hardware Compatibility Publisher", "Microsoft Corporation"), []*x509.Certificate{msRoot}, true},
		{c("Microsoft Windows", "Microsoft Corporation"), nil, false},                                       // no chain: self-made
		{c("Microsoft Windows", "Microsoft Corporation"), []*x509.Certificate{c("Evil CA", "Evil")}, false}, // foreign chain
		{c("Microsoft Corporation", "Microsoft Corporation"), []*x509.Certificate{msRoot}, false},           // signs Microsoft's own files
	} {
		if got := signsForOthers(tc.leaf, tc.chain); got != tc.want {
			t.Errorf("signsForOthers(%s, %d chain) = %v, want %v", tc.leaf.Subject, len(tc.chain), got, tc.want)
		}
	}
}

// TestObservables checks that a scan's certificates come out as indicator
// values the store's own normaliser leaves unchanged.
func TestObservables(t *testing.T) {
	leaf := Certificate{Subject: "CN=Acme", Serial: "0F66842B4F9C458B72136F0AE96924B7", SHA1: strings.Repeat("a", 40), SHA256: strings.Repeat("b", 64)}
	root := Certificate{Subject: "CN=Root", Serial: "01", SHA1: strings.Repeat("c", 40), SHA256: strings.Repeat("d", 64)}
	r := Result{Signers: []Signer{
		{Certificate: leaf, Chain: []Certificate{root}},
		{Certificate: leaf, Nested: true, Chain: []Certificate{root}}, // same certificates: listed once
	}}
	obs := r.Observables()
	if len(obs) != 6 {
		t.Fatalf("%d observables, want 3 per distinct certificate: %+v", len(obs), obs)
	}
	for _, o := range obs {
		n, err := indicator.Normalize(o.Type, o.Value)
		if err != nil || n != o.Value {
			t.Errorf("%v %q normalises to %q (%v)", o.Type, o.Value, n, err)
		}
	}
	if obs[0].Type != indicator.CertSerial || obs[0].Value != "F66842B4F9C458B72136F0AE96924B7" || obs[0].Role != "signer" {
		t.Errorf("first observable %+v", obs[0])
	}
	if obs[3].Role != "chain" || obs[3].Subject != "CN=Root" {
		t.Errorf("chain observable %+v", obs[3])
	}
}
