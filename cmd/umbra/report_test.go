package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "winnti.html")
	if _, err := run(t, "--data", dir, "report", "--actor", "wicked panda", "-o", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// "Wicked Panda" is an alias: the report is on the group it names.
	if doc := string(b); !strings.Contains(doc, "<h1>APT41</h1>") || !strings.Contains(doc, "TLP:CLEAR") {
		t.Errorf("report on wicked panda: %.300s", doc)
	}
	if _, err := os.Stat(out + ".partial"); err == nil {
		t.Error("the temporary file was left behind")
	}
	stdout, err := run(t, "--data", dir, "report", "--actor", "Winnti umbrella", "-o", "-")
	if err != nil || !strings.HasPrefix(stdout, "<!DOCTYPE html>") {
		t.Errorf("-o -: err %v, output %.60q", err, stdout)
	}
	listed, err := run(t, "--data", dir, "report", "--list-incidents")
	if err != nil || !strings.Contains(listed, "no incidents") {
		t.Errorf("--list-incidents on an empty memory: %v %q", err, listed)
	}
	for _, bad := range [][]string{
		{"report", "-o", out},
		{"report", "--actor", "apt41"},
		{"report", "--actor", "apt41", "--incident", "x", "-o", out},
		{"report", "--actor", "apt41", "--format", "docx", "-o", out},
		{"report", "--actor", "apt41", "--tlp-max", "purple", "-o", out},
		{"report", "--actor", "apt41", "--format", "pdf", "-o", "-"},
		{"report", "--actor", "apt41", "--since", "yesterday", "-o", out},
	} {
		_, err := run(t, append([]string{"--data", dir}, bad...)...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("umbra %s: err %v, want exit code 2", strings.Join(bad, " "), err)
		}
	}
	if _, err := run(t, "--data", dir, "report", "--incident", "incident--x", "-o", out); err == nil || !strings.Contains(err.Error(), "network memory") {
		t.Errorf("incident without a network memory: %v", err)
	}
}
