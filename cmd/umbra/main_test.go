package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// run executes umbra in-process with args and returns what it printed on
// standard output and the error it returned.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		done <- b.String()
	}()
	rootCmd.SetOut(nil) // OutOrStdout is then os.Stdout, the pipe
	rootCmd.SetErr(nil)
	rootCmd.SetArgs(args)
	resetFlags(rootCmd) // cobra keeps flag values between runs in one process
	err = rootCmd.Execute()
	w.Close()
	os.Stdout = old
	return <-done, err
}

func resetFlags(c *cobra.Command) {
	reset := func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			sv.Replace(nil) // Set would append the literal "[]"
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	}
	c.Flags().VisitAll(reset)
	c.PersistentFlags().VisitAll(reset)
	for _, sub := range c.Commands() {
		resetFlags(sub)
	}
}

func TestActorShowOnFreshDataDir(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"wicked panda", "deputydog", "Playful Dragon"} {
		out, err := run(t, "--data", dir, "actor", "show", name)
		if err != nil {
			t.Fatalf("actor show %q: %v", name, err)
		}
		if !strings.Contains(out, "Names, and who uses them:") || !strings.Contains(out, "401trg") {
			t.Fatalf("actor show %q printed:\n%s", name, out)
		}
	}
	out, err := run(t, "--data", dir, "actor", "show", "no such group")
	if err == nil || strings.Contains(out, "goroutine") {
		t.Fatalf("unknown actor: err=%v out=%s", err, out)
	}
}

// The STIX export of the knowledge base, ATT&CK intrusion sets and galaxy
// clusters validates against the OASIS schemas. The galaxy part is a slice
// of the real file (the validator needs minutes for all of it); it includes
// clusters with version 7 uuids, which STIX forbids and umbra must rewrite.
func TestExportValidates(t *testing.T) {
	galaxy := corpus.Path(t, "misp-galaxy", "clusters", "threat-actor.json")
	attack := corpus.Path(t, "mitre-cti", "enterprise-attack", "intrusion-set")
	validator := filepath.Join(corpus.Root(), "..", "tools", "validate-stix")
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not present")
	}
	dir := t.TempDir()
	slice := filepath.Join(dir, "threat-actor.json")
	writeGalaxySlice(t, galaxy, slice, 30)
	files, _ := filepath.Glob(filepath.Join(attack, "*.json"))
	if _, err := run(t, append([]string{"--data", dir, "intel", "import", slice}, files...)...); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "all.json")
	if _, err := run(t, "--data", dir, "intel", "export", "--format", "stix", "-o", out); err != nil {
		t.Fatal(err)
	}
	umbrella := filepath.Join(dir, "umbrella.json")
	if _, err := run(t, "--data", dir, "intel", "export", "--format", "stix", "--actor", "winnti umbrella", "-o", umbrella); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(validator, out, umbrella).CombinedOutput()
	if err != nil {
		t.Fatalf("validate-stix: %v\n%s", err, res)
	}
	b, _ := os.ReadFile(umbrella)
	if !bytes.Contains(b, []byte(`"Winnti Group"`)) || !bytes.Contains(b, []byte(`"member-of"`)) {
		t.Fatal("the umbrella export lacks its members")
	}
}

// writeGalaxySlice copies the galaxy file's header and n clusters: the
// first ones, APT41, and every cluster whose uuid is not version 1-5.
func writeGalaxySlice(t *testing.T, from, to string, n int) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var keep []any
	v7 := 0
	for i, v := range f["values"].([]any) {
		c := v.(map[string]any)
		u, _ := c["uuid"].(string)
		odd := len(u) > 14 && (u[14] < '1' || u[14] > '5')
		if odd {
			v7++
		}
		if i < n || c["value"] == "APT41" || odd && v7 <= 5 {
			keep = append(keep, c)
		}
	}
	if v7 == 0 {
		t.Log("the galaxy has no version 7 uuids any more")
	}
	f["values"] = keep
	out, _ := json.Marshal(f)
	if err := os.WriteFile(to, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// match raises intel hits and look-alike domains as JSON alert lines and
// records the intel hits as sightings; running it again records nothing new.
func TestMatchAlertsAndSightings(t *testing.T) {
	dir := t.TempDir()
	intelFile := filepath.Join(dir, "intel.csv")
	os.WriteFile(intelFile, []byte("Indicator,Type,Description,Reference\r\ngoogle-statics.com,DOMAIN,,r\r\n"), 0o644)
	if _, err := run(t, "--data", dir, "intel", "import", "--source", "401trg", "--actor", "Winnti umbrella", "--confidence", "85", intelFile); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "dns.json")
	os.WriteFile(logFile, []byte(`{"_path":"dns","ts":1521911720.123,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"10.20.1.15","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"css.google-statics.com"}
{"_path":"dns","ts":1521911721.5,"uid":"C2","id.orig_h":"10.20.1.15","id.orig_p":5354,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"account.microsoftssonline.com"}
{"_path":"dns","ts":1521911722.5,"uid":"C3","id.orig_h":"10.20.1.15","id.orig_p":5355,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"login.microsoftonline.com"}
`), 0o644)
	out, err := run(t, "--data", dir, "match", logFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// css.google-statics.com is both in the intel and a Google look-alike;
	// login.microsoftonline.com is neither.
	if len(lines) != 3 || strings.Contains(out, "login.microsoftonline.com") {
		t.Fatalf("want 3 alerts, got:\n%s", out)
	}
	var intelHit, look map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if m["indicator_type"] == "lookalike-domain" {
			if m["indicator"] == "account.microsoftssonline.com" {
				look = m
			}
		} else {
			intelHit = m
		}
	}
	if intelHit["uid"] != "CHhAvVGS1DHFjwGM9" || intelHit["matched"] != "google-statics.com" || intelHit["where"] != "dns.query" ||
		!strings.Contains(toJSON(intelHit["actors"]), `"Winnti umbrella"`) || intelHit["ts"] != "2018-03-24T17:15:20.123Z" {
		t.Fatalf("intel alert %v", intelHit)
	}
	if look["indicator"] != "account.microsoftssonline.com" || look["matched"] != "microsoftonline.com" {
		t.Fatalf("look-alike alert %v", look)
	}
	st, _ := run(t, "--data", dir, "intel", "stats", "--json")
	var stats struct {
		ByType map[string]int `json:"by_type"`
	}
	json.Unmarshal([]byte(st), &stats)
	// One intel sighting and two look-alike detections (css.google-statics.com
	// imitates Google as well).
	if stats.ByType["sighting"] != 3 {
		t.Fatalf("sightings recorded: %v", stats.ByType)
	}
	run(t, "--data", dir, "match", logFile)
	st, _ = run(t, "--data", dir, "intel", "stats", "--json")
	json.Unmarshal([]byte(st), &stats)
	if stats.ByType["sighting"] != 3 {
		t.Fatalf("a second run of the same telemetry added sightings: %v", stats.ByType)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Importing new intel re-hunts the stored history for it (and only for
// it), recording sightings of activity that happened before the intel.
func TestImportTriggersRetroHunt(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "dns.json")
	os.WriteFile(logFile, []byte(`{"_path":"dns","ts":1521911720.123,"uid":"C1","id.orig_h":"10.20.1.15","id.orig_p":5353,"id.resp_h":"10.20.0.1","id.resp_p":53,"proto":"udp","query":"css.google-statics.com"}
`), 0o644)
	if _, err := run(t, "--data", dir, "ingest", logFile); err != nil {
		t.Fatal(err)
	}
	sightings := func() int {
		out, _ := run(t, "--data", dir, "intel", "stats", "--json")
		var s struct {
			ByType map[string]int `json:"by_type"`
		}
		json.Unmarshal([]byte(out), &s)
		return s.ByType["sighting"]
	}
	// css.google-statics.com is a Google look-alike: ingest records that
	// detection, and nothing else, before any intel.
	if n := sightings(); n != 1 {
		t.Fatalf("%d sightings before any intel, want the look-alike detection only", n)
	}
	intelFile := filepath.Join(dir, "later.csv")
	os.WriteFile(intelFile, []byte("Indicator,Type,Description,Reference\r\ngoogle-statics.com,DOMAIN,,r\r\n"), 0o644)
	if _, err := run(t, "--data", dir, "intel", "import", intelFile); err != nil {
		t.Fatal(err)
	}
	if n := sightings(); n != 2 {
		t.Fatalf("the retro-hunt after the import recorded %d sightings, want 1", n-1)
	}
	out, err := run(t, "--data", dir, "hunt", "--json")
	if err != nil {
		t.Fatal(err)
	}
	// The hit of the imported intel, not of the look-alike detection.
	var hit map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var h map[string]any
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		if h["matched"] == "google-statics.com" {
			hit = h
		}
	}
	if hit["retro"] != true || hit["uid"] != "C1" || hit["first_seen"] != "2018-03-24T17:15:20.123Z" || hit["dwell_seconds"].(float64) <= 0 {
		t.Fatalf("hunt hit %v", hit)
	}
}
