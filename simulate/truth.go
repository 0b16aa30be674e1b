package simulate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ReadTruth reads a truth.jsonl stream (name is used in errors), calling
// emit for each line, so that later stages can score their alerts against
// the ground truth without holding it all. A bad line is reported in the
// returned error list, with its line number, and skipped; the error result
// is non-nil only when the input cannot be read or emit fails.
func ReadTruth(r io.Reader, name string, emit func(Truth) error) (bad []error, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var t Truth
		if err := json.Unmarshal(b, &t); err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: %v", name, line, err))
			continue
		}
		if err := t.check(); err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: %v", name, line, err))
			continue
		}
		if err := emit(t); err != nil {
			return bad, err
		}
	}
	if err := sc.Err(); err != nil {
		return bad, fmt.Errorf("%s: after line %d: %v", name, line, err)
	}
	return bad, nil
}

var truthLogs = map[string]bool{"conn": true, "dns": true, "http": true, "ssl": true, "x509": true, "files": true, "signin": true}

var truthKinds = map[string]bool{"phishing": true, "c2": true, "scan": true, "signed-malware": true,
	"operator-session": true, "cloud-signin": true, "resume-lure": true}

// check says what is wrong with a decoded truth line, if anything.
func (t *Truth) check() error {
	switch {
	case t.UID == "":
		return fmt.Errorf("no uid")
	case !truthLogs[t.Log]:
		return fmt.Errorf("unknown log %q", t.Log)
	case !truthKinds[t.Kind]:
		return fmt.Errorf("unknown kind %q", t.Kind)
	case t.Indicator == "":
		return fmt.Errorf("no indicator")
	}
	if _, err := time.Parse(time.RFC3339Nano, t.Time); err != nil {
		return fmt.Errorf("ts %q: %v", t.Time, err)
	}
	return nil
}
