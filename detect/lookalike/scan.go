package lookalike

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
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
	var long []byte // a line longer than the buffer, gathered
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, b...)
			continue
		}
		if long != nil {
			b, long = append(long, b...), nil
		}
		if len(b) > 0 {
			st.Lines++
			// The line is read in place, not copied: Check keeps no
			// reference to a name it rejects, and scanLine copies the
			// name of a find before emit sees it.
			d.scanLine(unsafe.String(&b[0], len(b)), source, &st, emit)
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
		f.Domain = strings.Clone(f.Domain)
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
	for i := 0; i < len(s); i++ {
		// Dots, and ASCII letters, digits, '-' and '_' from a table;
		// anything else takes the general path, badNameFrom.
		c := s[i]
		if c == '.' {
			if label == 0 && i != len(s)-1 {
				return "empty label"
			}
			label = 0
			continue
		}
		if c >= utf8.RuneSelf || !asciiNameByte[c] {
			return badNameFrom(s, i, label)
		}
		label++
		if label > 63 {
			return "label longer than 63 characters"
		}
	}
	return checkDots(s)
}

// asciiNameByte marks the ASCII bytes a label may hold.
var asciiNameByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return t
}()

// badNameFrom continues badName at byte start, label bytes into the
// current label, rune by rune.
func badNameFrom(s string, start, label int) string {
	for i, r := range s[start:] {
		i += start
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
	return checkDots(s)
}

func checkDots(s string) string {
	if !strings.Contains(strings.TrimSuffix(s, "."), ".") {
		return "not a domain name (no dot)"
	}
	return ""
}
