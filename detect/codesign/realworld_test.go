package codesign

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// saferwallSamples returns the signed and unsigned Windows binaries that
// ship in the test folder of the github.com/saferwall/pe module this
// package already depends on (Microsoft system files, PuTTY, Brave, ...),
// skipping when the module cache is not at hand.
func saferwallSamples(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "saferwall", "pe@v1.6.5", "test")
	if _, err := os.Stat(filepath.Join(dir, "putty.exe")); err != nil {
		t.Skipf("saferwall/pe test files not in the module cache: %v", err)
	}
	return dir
}

// TestRealWorldSignatures scans real vendor-signed binaries: every digest,
// signed digest and signer must agree with osslsigncode; only the file
// the saferwall authors modified on purpose may be tampered; every
// timestamp (Microsoft RFC 3161 tokens, Symantec and VeriSign legacy
// countersignatures) must verify.
func TestRealWorldSignatures(t *testing.T) {
	dir := saferwallSamples(t)
	p := newPKI(t) // its root is the small trust file osslsigncode needs
	signed := 0
	err := (&Scanner{}).Walk([]string{dir}, func(r Result) error {
		if len(r.Signers) == 0 {
			return nil
		}
		signed++
		name := filepath.Base(r.Path)
		v := runOsslVerify(t, r.Path, p.root.certPath)
		if !strings.EqualFold(v.calculated, r.Digest) || !strings.EqualFold(v.current, r.Signers[0].SignedDigest) {
			t.Errorf("%s: digest %s signed %s, osslsigncode %s / %s", name, r.Digest, r.Signers[0].SignedDigest, v.calculated, v.current)
		}
		if v.serial != "" && v.serial != r.Signers[0].Serial {
			t.Errorf("%s: serial %s, osslsigncode %s", name, r.Signers[0].Serial, v.serial)
		}
		if r.Has(Tampered) != (name == "putty_modified.exe") {
			t.Errorf("%s: verdicts %v", name, r.Verdicts)
		}
		if r.Has(PublisherMismatch) {
			t.Errorf("%s: publisher mismatch for CompanyName %q, signer %s", name, r.CompanyName, r.Signers[0].Subject)
		}
		for _, s := range r.Signers {
			for _, ts := range s.Timestamps {
				if !ts.Verified {
					t.Errorf("%s: %s timestamp does not verify: %s", name, ts.Kind, ts.Problem)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if signed < 10 {
		t.Errorf("only %d signed samples in %s", signed, dir)
	}
}
