package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// eventKeys are members of which at least one marks a bare JSON object as a
// MISP event rather than some other MISP document (a galaxy, a sighting, an
// object template).
var eventKeys = []string{"info", "date", "threat_level_id", "analysis", "Attribute", "Object", "Orgc", "publish_timestamp"}

// Parse decodes MISP JSON holding one event ({"Event": {...}} or the bare
// event), an array of events, or a REST search response ({"response": [...]}).
// A bad attribute, object, tag or sighting is left out and reported in
// skipped with its JSON path; err is set only when nothing can be read.
func Parse(data []byte) (events []Event, skipped []error, err error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil, errors.New("empty input: no MISP event")
	}
	if !json.Valid(data) {
		var v any
		return nil, nil, syntaxError(data, json.Unmarshal(data, &v))
	}
	if data[0] == '[' {
		return parseList(data, "")
	}
	top, err := topMembers(data)
	if err != nil {
		return nil, nil, err
	}
	if raw, ok := top["response"]; ok && len(top) == 1 {
		return parseList(raw, "response")
	}
	ev, skipped, err := parseOne(top, data)
	if err != nil {
		return nil, skipped, err
	}
	return []Event{ev}, skipped, nil
}

// topMembers indexes the members of a top-level object by key.
func topMembers(data []byte) (map[string][]byte, error) {
	top := map[string][]byte{}
	err := members(data, func(k string, raw []byte) error {
		top[k] = raw
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not a MISP event: %w", err)
	}
	return top, nil
}

// parseOne decodes an event from its top-level members (wrapped or bare).
func parseOne(top map[string][]byte, data []byte) (Event, []error, error) {
	var ev Event
	var skipped []error
	if raw, ok := top["Event"]; ok {
		err := ev.decodeSkipping(raw, &skipped)
		for i := range skipped {
			skipped[i] = at("Event", skipped[i])
		}
		return ev, skipped, at("Event", err)
	}
	found := false
	for _, k := range eventKeys {
		if _, ok := top[k]; ok {
			found = true
			break
		}
	}
	if !found {
		if t, ok := top["type"]; ok && bytes.Equal(t, []byte(`"bundle"`)) {
			return ev, nil, errors.New("not a MISP event: this is a STIX bundle")
		}
		return ev, nil, fmt.Errorf("not a MISP event: no \"Event\" member and none of %s", strings.Join(eventKeys, ", "))
	}
	err := ev.decodeSkipping(data, &skipped)
	return ev, skipped, err
}

func parseList(raw []byte, path string) ([]Event, []error, error) {
	var events []Event
	var skipped []error
	n := 0
	err := elements(raw, func(i int, e []byte) error {
		n++
		seg := path + "[" + strconv.Itoa(i) + "]"
		top, err := topMembers(e)
		if err != nil {
			skipped = append(skipped, &PathError{Path: seg, Err: errors.New("expected a JSON object")})
			return nil
		}
		ev, sk, err := parseOne(top, e)
		for _, s := range sk {
			skipped = append(skipped, at(seg, s))
		}
		if err != nil {
			skipped = append(skipped, at(seg, err))
			return nil
		}
		events = append(events, ev)
		return nil
	})
	if err != nil {
		return nil, skipped, at(path, fmt.Errorf("expected an array of events: %w", err))
	}
	if len(events) == 0 {
		if len(skipped) > 0 {
			return nil, skipped, fmt.Errorf("no readable event among %d: first problem: %w", n, skipped[0])
		}
		return nil, nil, at(path, errors.New("empty list: no MISP event"))
	}
	return events, skipped, nil
}

// syntaxError turns a JSON syntax error into one that gives line and column.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("not a MISP event: %w", err)
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Errorf("line %d column %d (byte %d): %w", line, col, off, err)
}

// ReadFile reads the events in one MISP JSON file. Errors and skipped
// elements name the file.
func ReadFile(path string) ([]Event, []error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	events, skipped, err := Parse(data)
	for i := range skipped {
		skipped[i] = fmt.Errorf("%s: %w", path, skipped[i])
	}
	if err != nil {
		return nil, skipped, fmt.Errorf("%s: %w", path, err)
	}
	return events, skipped, nil
}

// Decode reads MISP JSON from r; name is used in error messages.
func Decode(r io.Reader, name string) ([]Event, []error, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	events, skipped, err := Parse(data)
	for i := range skipped {
		skipped[i] = fmt.Errorf("%s: %w", name, skipped[i])
	}
	if err != nil {
		return nil, skipped, fmt.Errorf("%s: %w", name, err)
	}
	return events, skipped, nil
}

// ManifestEntry is one event's summary in a feed's manifest.json.
type ManifestEntry struct {
	Info          string `json:"info"`
	Date          string `json:"date,omitempty"`
	Analysis      Flex   `json:"analysis,omitempty"`
	ThreatLevelID Flex   `json:"threat_level_id,omitempty"`
	Timestamp     Flex   `json:"timestamp,omitempty"`
	Orgc          *Org   `json:"Orgc,omitempty"`
	Tag           []Tag  `json:"Tag,omitempty"`
}

// ReadFeed reads a MISP feed directory: manifest.json naming each event,
// and one <uuid>.json file per event. A missing or bad event file is
// reported in skipped and the others are still read.
func ReadFeed(dir string) ([]Event, []error, error) {
	mpath := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(mpath)
	if err != nil {
		return nil, nil, err
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", mpath, syntaxError(data, err))
	}
	uuids := make([]string, 0, len(manifest))
	for u := range manifest {
		uuids = append(uuids, u)
	}
	sort.Strings(uuids)
	var events []Event
	var skipped []error
	for _, u := range uuids {
		if !validUUID(u) || strings.ContainsAny(u, `/\`) {
			skipped = append(skipped, fmt.Errorf("%s: key %q is not an event UUID", mpath, u))
			continue
		}
		evs, sk, err := ReadFile(filepath.Join(dir, u+".json"))
		skipped = append(skipped, sk...)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		for _, ev := range evs {
			if ev.UUID != "" && !strings.EqualFold(ev.UUID, u) {
				skipped = append(skipped, fmt.Errorf("%s: event uuid %s differs from its manifest key %s (kept)", filepath.Join(dir, u+".json"), ev.UUID, u))
			}
			events = append(events, ev)
		}
	}
	return events, skipped, nil
}

// ReadPath reads a MISP event file, a feed directory (or its
// manifest.json), or a directory of event files.
func ReadPath(path string) ([]Event, []error, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		if filepath.Base(path) == "manifest.json" {
			return ReadFeed(filepath.Dir(path))
		}
		return ReadFile(path)
	}
	if _, err := os.Stat(filepath.Join(path, "manifest.json")); err == nil {
		return ReadFeed(path)
	}
	files, err := filepath.Glob(filepath.Join(path, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(files)
	var events []Event
	var skipped []error
	for _, f := range files {
		evs, sk, err := ReadFile(f)
		skipped = append(skipped, sk...)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		events = append(events, evs...)
	}
	if len(events) == 0 && len(skipped) > 0 {
		return nil, skipped, fmt.Errorf("%s: no readable MISP event in %d files", path, len(files))
	}
	return events, skipped, nil
}

// validUUID reports whether s has the 8-4-4-4-12 hex form.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
