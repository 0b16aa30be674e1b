package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Encode returns the event as MISP JSON, {"Event": {...}}, indented, with
// keys sorted so the output is stable.
func Encode(ev *Event) ([]byte, error) {
	inner, err := ev.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", ev.UUID, err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Event":`)
	buf.Write(inner)
	buf.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// WriteEvent writes one event as MISP JSON to w; MISP's "Add event from
// JSON" and PyMISP load it as is.
func WriteEvent(w io.Writer, ev *Event) error {
	b, err := Encode(ev)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFeed writes events as a MISP feed into dir: one <uuid>.json per
// event and manifest.json, the layout a MISP server can subscribe to.
// Every event must have a UUID.
func WriteFeed(dir string, events []Event) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	manifest := make(map[string]ManifestEntry, len(events))
	for i := range events {
		ev := &events[i]
		if !validUUID(ev.UUID) {
			return fmt.Errorf("event %d (%q): feed events need a UUID, have %q", i, ev.Info, ev.UUID)
		}
		b, err := Encode(ev)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, ev.UUID+".json"), b, 0o644); err != nil {
			return err
		}
		manifest[ev.UUID] = ManifestEntry{Info: ev.Info, Date: ev.Date, Analysis: ev.Analysis,
			ThreatLevelID: ev.ThreatLevelID, Timestamp: ev.Timestamp, Orgc: ev.Orgc, Tag: ev.Tags}
	}
	b, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}
