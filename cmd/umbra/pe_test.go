package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// runUmbra runs the CLI in-process and returns stdout and the error.
func runUmbra(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	if !slices.Contains(args, "--data") { // pe scan records its findings: never in the user's own store
		args = append([]string{"--data", t.TempDir()}, args...)
	}
	rootCmd.SetArgs(args)
	defer func() { // the root command outlives this call: later tests print to the process's own streams
		rootCmd.SetOut(nil)
		rootCmd.SetErr(nil)
		rootCmd.SetArgs(nil)
	}()
	resetPEFlags()
	defer resetPEFlags()
	err := rootCmd.Execute()
	return out.String(), err
}

// resetPEFlags clears pe scan's flags: cobra keeps flag values between
// Execute calls in one process, and a generic reset to DefValue would turn
// --stolen into the literal list "[]".
func resetPEFlags() {
	scan, _, err := rootCmd.Find([]string{"pe", "scan"})
	if err != nil {
		return
	}
	scan.Flags().Set("json", "false")
	if v, ok := scan.Flags().Lookup("stolen").Value.(pflag.SliceValue); ok {
		v.Replace(nil)
	}
}

func TestPEScanJSON(t *testing.T) {
	dir := corpus.Path(t, "authenticode-pe", "authenticode-rs", "authenticode", "tests", "testdata")
	out, err := runUmbra(t, "pe", "scan", "--json", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	entries, _ := os.ReadDir(dir)
	if len(lines) != len(entries) {
		t.Fatalf("%d JSON lines for %d files:\n%s", len(lines), len(entries), out)
	}
	verdicts := map[string]string{}
	for _, l := range lines {
		var r struct {
			Path          string            `json:"path"`
			Verdict       string            `json:"verdict"`
			Digest        *string           `json:"digest"`
			DigestMatches *bool             `json:"digest_matches"`
			Signers       []json.RawMessage `json:"signers"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if r.DigestMatches == nil || r.Signers == nil {
			t.Errorf("missing digest_matches or signers: %s", l)
		}
		verdicts[filepath.Base(r.Path)] = r.Verdict
		for _, s := range r.Signers {
			for _, k := range []string{"subject", "issuer", "serial", "sha1", "sha256", "not_before", "not_after", "signing_time", "chain"} {
				if !bytes.Contains(s, []byte(`"`+k+`":`)) {
					t.Errorf("signer lacks %q: %s", k, s)
				}
			}
		}
	}
	if verdicts["tiny32.signed.efi"] != "expired" || verdicts["tiny32.efi"] != "unsigned" || verdicts["README.md"] != "skipped" {
		t.Errorf("verdicts %v", verdicts)
	}
}

func TestPEScanUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"pe", "scan"},
		{"pe", "scan", "--no-such-flag", "."},
		{"pe", "scan", filepath.Join(t.TempDir(), "missing")},
		{"pe", "scan", "--stolen", filepath.Join(t.TempDir(), "missing.txt"), "."},
	} {
		_, err := runUmbra(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("umbra %s: %v, want exit status 2", strings.Join(args, " "), err)
		}
	}
}
