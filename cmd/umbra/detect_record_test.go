package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/sighting"
)

// loadSeen reads the sightings of the store in dir.
func loadSeen(t *testing.T, dir string) []sighting.Seen {
	t.Helper()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seen, err := sighting.Load(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// umbra lookalike records its finds as umbra-detect sightings, once however
// often the list is scanned; --no-record leaves the store alone.
func TestLookalikeRecordsFinds(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "names.txt")
	os.WriteFile(list, []byte("account.microsoftssonline.com\naccounts.google-acc.com\nwww.google.com\nmicrosoft.de\n"), 0o644)
	if _, err := run(t, "--data", filepath.Join(dir, "quiet"), "lookalike", "--no-record", list); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "quiet")); err == nil {
		t.Error("--no-record created a data dir")
	}
	for range 2 {
		if _, err := run(t, "--data", dir, "lookalike", list); err != nil {
			t.Fatal(err)
		}
	}
	var values []string
	for _, s := range loadSeen(t, dir) {
		if s.Detector != sighting.DetectorLookalike || s.Sensor != list || s.Count != 1 {
			t.Errorf("sighting %+v", s)
		}
		values = append(values, s.Value)
	}
	slices.Sort(values)
	if !slices.Equal(values, []string{"account.microsoftssonline.com", "accounts.google-acc.com"}) {
		t.Errorf("recorded %v", values)
	}
}

// umbra signins records its findings; the operator-netblock ones become
// evidence of the netblock's owner.
func TestSigninsRecordFindings(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join("..", "..", "detect", "signin", "testdata", "scenario")
	if _, err := run(t, "--data", dir, "signins", "--json", "--users", filepath.Join(scenario, "..", "users.csv"), scenario); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	operator := false
	for _, s := range loadSeen(t, dir) {
		kinds[s.Detector]++
		if s.Detector == sighting.DetectorSignIn && slices.Contains(s.Labels, "rule:operator-netblock") {
			operator = true
			if !slices.Equal(s.Actors, []string{kb.UmbrellaID}) {
				t.Errorf("operator-netblock sign-in from %s indicates %v, want the umbrella", s.Value, s.Actors)
			}
		}
	}
	if !operator || kinds[sighting.DetectorSignIn] == 0 || kinds[sighting.DetectorLookalike] == 0 {
		t.Errorf("recorded %v (operator-netblock: %v)", kinds, operator)
	}
}
