package lookalike

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ScanStats counts what Scan read.
type ScanStats struct {
	Lines, Domains, Finds, Bad int
	// Errors describes the first bad lines (at most maxScanErrors), each
	// as "source:line: reason".
	Errors []error
}

const maxScanErrors = 20

// Scan checks a plain list of domain names, one per line (blank lines and
// lines starting with # are skipped, a trailing comment is allowed), and
// calls emit for every look-alike. source names the input in errors. A
// line that is not a domain name is counted and described, never fatal;
// the returned error is only for failing to read r.
func (d *Detector) Scan(r io.Reader, source string, emit func(Find)) (ScanStats, error) {
	var st ScanStats
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			st.Lines++
			d.scanLine(line, source, &st, emit)
		}
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("%s:%d: %w", source, st.Lines+1, err)
		}
	}
}

func (d *Detector) scanLine(line, source string, st *ScanStats, emit func(Find)) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	if reason := badName(line); reason != "" {
		st.Bad++
		if len(st.Errors) < maxScanErrors {
			shown := line
			if len(shown) > 80 {
				shown = shown[:80] + "..."
			}
			st.Errors = append(st.Errors, fmt.Errorf("%s:%d: %s: %q", source, st.Lines, reason, shown))
		}
		return
	}
	st.Domains++
	if f, ok := d.Check(line); ok {
		st.Finds++
		emit(f)
	}
}

// badName says why s is not a domain name, or "" when it is one. Names may
// be Unicode (IDN) and may carry the underscores of service labels.
func badName(s string) string {
	if len(strings.TrimSuffix(s, ".")) > 253 {
		return "name longer than 253 bytes"
	}
	if !utf8.ValidString(s) {
		return "not UTF-8"
	}
	label := 0
	for i, r := range s {
		switch {
		case r == '.':
			if label == 0 && i != len(s)-1 {
				return "empty label"
			}
			label = 0
			continue
		case r == '-' || r == '_' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
		default:
			return fmt.Sprintf("character %q is not allowed in a domain name", r)
		}
		label++
		if label > 63 {
			return "label longer than 63 characters"
		}
	}
	if !strings.Contains(strings.TrimSuffix(s, "."), ".") {
		return "not a domain name (no dot)"
	}
	return ""
}
