package demo

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// The demo runs end to end on a fresh data dir and its alerts agree with
// the scenario's ground truth.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a week of a studio's telemetry")
	}
	var out bytes.Buffer
	if err := Run(context.Background(), &out, Options{DataDir: t.TempDir()}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"[4] ingested", "precision 0.9", "-> Winnti umbrella", "opsec slip: 221.", "[6] the follow-up feed", "before it was published", "Next:"} {
		if !strings.Contains(s, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, s)
		}
	}
}

func TestScoreCountsRecords(t *testing.T) {
	m := &MatchResult{AlertUIDs: map[string]bool{"a": true, "x": true}}
	dir := t.TempDir()
	path := dir + "/truth.jsonl"
	writeFile(t, path, `{"uid":"a","log":"dns","kind":"c2","actor":"A","indicator":"i","ts":"2018-03-06T09:49:15Z"}
{"uid":"b","log":"conn","kind":"scan","actor":"A","indicator":"i","ts":"2018-03-06T09:49:15Z"}
{"uid":"fp","log":"x509","kind":"c2","actor":"A","indicator":"i","ts":"2018-03-06T09:49:15Z"}
`)
	s, err := Score(path, m)
	if err != nil {
		t.Fatal(err)
	}
	if s.Truth != 2 || s.TruePositives != 1 || s.FalsePositives != 1 || s.Precision != 0.5 || s.Recall != 0.5 || s.MissedByKind["scan"] != 1 {
		t.Fatalf("%+v", s)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
