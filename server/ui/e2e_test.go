package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/demo"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

// hostileName and hostileDescription are what an attacker who publishes
// intel would write to get script into an analyst's browser.
const (
	hostileName        = `<img src=x onerror=alert(1)>"><script>alert(2)</script>`
	hostileAlias       = `javascript:alert(3)`
	hostileDescription = `<script>alert(4)</script> <a href="javascript:alert(5)">more</a> <svg onload=alert(6)> ' onmouseover='alert(7)`
	hostileDomain      = "hostile-e2e.example"
	hostileSource      = `<b>hostile</b> source`
)

// TestBrowser runs server/ui/e2e/run.mjs: headless Chromium, driven by
// playwright-core, logs in and uses every page of a server loaded with the
// simulated scenario and a hostile actor. It skips without node, Chromium
// or the npm packages, except under CI=true, where they must be there.
func TestBrowser(t *testing.T) {
	if raceEnabled {
		t.Skip("the browser test runs without the race detector")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node"
	case !exists(chromium):
		missing = chromium
	case !exists(filepath.Join("e2e", "node_modules", "playwright-core", "package.json")):
		missing = "server/ui/e2e/node_modules (run npm ci there)"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser test needs %s, and CI=true", missing)
		}
		t.Skipf("browser test needs %s", missing)
	}
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("simulates a week of telemetry and drives a browser")
	}

	ctx := context.Background()
	dir := t.TempDir()
	if err := demo.Run(ctx, io.Discard, demo.Options{DataDir: dir}); err != nil {
		t.Fatalf("loading the scenario: %v", err)
	}
	importHostile(t, dir)

	tokens := auth.NewMemoryStore()
	secret, _, err := auth.Issue(ctx, tokens, auth.Token{Name: "e2e", Role: auth.RoleAnalyst,
		Clearance: auth.TLPLevel(stix.TLPAmber), Collections: []string{auth.AllCollections}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	base := startServer(t, dir, tokens)

	artefacts := os.Getenv("UMBRA_ARTEFACTS")
	if artefacts == "" {
		artefacts = filepath.Join("e2e", "out")
	}
	artefacts, _ = filepath.Abs(artefacts)
	cctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "run.mjs")
	cmd.Dir = "e2e"
	cmd.Env = append(os.Environ(),
		"UMBRA_URL="+base,
		"UMBRA_TOKEN="+secret,
		"UMBRA_HOSTILE="+hostileName,
		"UMBRA_ACTOR="+kb.UmbrellaName,
		"UMBRA_GRAPH_ROOT="+kb.UmbrellaName,
		"UMBRA_ARTEFACTS="+artefacts,
		"CHROMIUM="+chromium,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser test (screenshots in %s):\n%s", artefacts, out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
	if !strings.Contains(string(out), " passed, 0 failed") {
		t.Fatalf("browser test did not report its steps")
	}
}

// importHostile adds an actor whose name, alias and description are
// script, with an indicator that indicates it, through the ordinary import.
func importHostile(t *testing.T, dir string) {
	t.Helper()
	now := "2018-03-01T00:00:00.000Z"
	set := "intrusion-set--6d2e8a4c-1111-4c3a-9a55-0b1f6c2e0e01"
	ind := "indicator--6d2e8a4c-2222-4c3a-9a55-0b1f6c2e0e02"
	bundle := map[string]any{
		"type": "bundle", "id": "bundle--6d2e8a4c-0000-4c3a-9a55-0b1f6c2e0e00",
		"objects": []map[string]any{
			{"type": "intrusion-set", "spec_version": "2.1", "id": set, "created": now, "modified": now,
				"name": hostileName, "description": hostileDescription, "aliases": []string{hostileAlias}},
			{"type": "indicator", "spec_version": "2.1", "id": ind, "created": now, "modified": now,
				"name": hostileName, "description": hostileDescription, "pattern_type": "stix", "valid_from": now,
				"pattern": "[domain-name:value = '" + hostileDomain + "']"},
			{"type": "relationship", "spec_version": "2.1", "id": "relationship--6d2e8a4c-3333-4c3a-9a55-0b1f6c2e0e03",
				"created": now, "modified": now, "relationship_type": "indicates", "source_ref": ind, "target_ref": set},
		},
	}
	b, err := json.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hostile.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, dir)
	if _, err := intel.Import(context.Background(), st, path, intel.Options{Source: hostileSource}); err != nil && !errors.Is(err, intel.ErrRejected) {
		t.Fatalf("importing the hostile actor: %v", err)
	}

	// Alerts naming it, so the dashboard's legends and the alert list show
	// the hostile strings too.
	log, err := alertlog.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var recs []alertlog.Record
	for i := range 3 {
		recs = append(recs, alertlog.Record{Alert: match.Alert{
			Time: time.Date(2018, 3, 8, 10, i, 0, 0, time.UTC), UID: "Ce2e" + strconv.Itoa(i), Sensor: hostileAlias,
			Where: hostileDescription, Host: hostileName, Indicator: hostileDomain, IndicatorType: "domain", Matched: hostileDomain,
			IndicatorIDs: []string{ind}, Sources: []string{hostileSource},
			Actors: []indicator.Actor{{Name: hostileName, Confidence: 50}},
		}})
	}
	if _, err := log.Append(recs); err != nil {
		t.Fatal(err)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
