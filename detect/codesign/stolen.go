package codesign

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// MatchKind says which certificate property matched a stolen-certificate
// entry.
type MatchKind string

// The properties a stolen-certificate entry can name.
const (
	MatchSerial MatchKind = "serial"
	MatchSHA1   MatchKind = "sha1"
	MatchSHA256 MatchKind = "sha256"
)

// StolenCert is one known-stolen (or known-abused) code-signing
// certificate: the serial or thumbprint a report published and where it
// came from, e.g. Source "Burning Umbrella Area 6".
type StolenCert struct {
	Kind      MatchKind `json:"kind"`
	Value     string    `json:"value"` // as the source wrote it (trimmed; serials uppercased)
	Source    string    `json:"source"`
	Reference string    `json:"reference,omitempty"`
}

// StolenSet is the list of stolen certificates a scan checks every signer
// and chain certificate against. The zero value is an empty set; it is not
// safe for concurrent Add, but is safe for concurrent matching once built.
type StolenSet struct {
	entries map[MatchKind]map[string][]StolenCert
}

// Len returns the number of distinct values in the set.
func (s *StolenSet) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, m := range s.entries {
		n += len(m)
	}
	return n
}

// Add records a stolen certificate. Serials are compared as numbers, so
// "0F66842B..." and "F66842B..." (and colon-separated forms) are the same;
// thumbprints are compared case-insensitively.
func (s *StolenSet) Add(kind MatchKind, value, source, reference string) error {
	var norm string
	var err error
	switch kind {
	case MatchSerial:
		norm, err = normalizeSerial(value)
	case MatchSHA1:
		norm, err = normalizeThumbprint(value, 40)
	case MatchSHA256:
		norm, err = normalizeThumbprint(value, 64)
	default:
		err = fmt.Errorf("unknown match kind %q", kind)
	}
	if err != nil {
		return err
	}
	if s.entries == nil {
		s.entries = make(map[MatchKind]map[string][]StolenCert)
	}
	if s.entries[kind] == nil {
		s.entries[kind] = make(map[string][]StolenCert)
	}
	for _, e := range s.entries[kind][norm] {
		if e.Source == source {
			return nil // reports repeat rows; one entry per source is enough
		}
	}
	shown := strings.TrimSpace(value)
	if kind == MatchSerial {
		shown = strings.ToUpper(shown)
	}
	s.entries[kind][norm] = append(s.entries[kind][norm], StolenCert{Kind: kind, Value: shown, Source: source, Reference: reference})
	return nil
}

// Match returns every entry that names c by serial or thumbprint.
func (s *StolenSet) Match(c Certificate) []StolenCert {
	if s == nil || len(s.entries) == 0 {
		return nil
	}
	var out []StolenCert
	if serial, err := normalizeSerial(c.Serial); err == nil {
		out = append(out, s.entries[MatchSerial][serial]...)
	}
	out = append(out, s.entries[MatchSHA1][strings.ToLower(c.SHA1)]...)
	out = append(out, s.entries[MatchSHA256][strings.ToLower(c.SHA256)]...)
	return out
}

// normalizeSerial strips separators, an 0x prefix and leading zeros so
// serials written by different tools compare equal.
func normalizeSerial(v string) (string, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	s = strings.TrimPrefix(s, "0X")
	s = strings.NewReplacer(":", "", " ", "", "-", "").Replace(s)
	if s == "" {
		return "", fmt.Errorf("empty serial")
	}
	for _, r := range s {
		if !isHex(r) {
			return "", fmt.Errorf("serial %q: %q is not a hex digit", v, r)
		}
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		s = "0"
	}
	return s, nil
}

func normalizeThumbprint(v string, digits int) (string, error) {
	s := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(v)))
	if len(s) != digits {
		return "", fmt.Errorf("thumbprint %q: %d hex digits, want %d", v, len(s), digits)
	}
	for _, r := range s {
		if !isHex(r) {
			return "", fmt.Errorf("thumbprint %q: %q is not a hex digit", v, r)
		}
	}
	return s, nil
}

func isHex(r rune) bool {
	return ('0' <= r && r <= '9') || ('a' <= r && r <= 'f') || ('A' <= r && r <= 'F')
}

// LoadStats says what one Load call kept and what it could not use.
type LoadStats struct {
	Added   int     // rows accepted (a repeated row is accepted once more but stored once)
	Ignored int     // rows of other indicator types (domains, hashes, ...)
	Errors  []error // bad rows, each naming file and line
}

// Load reads stolen certificates from r, named name in errors and used as
// the default source. Two formats are accepted:
//
//   - the 401TRG Burning Umbrella indicator CSV (header
//     "Indicator,Type,Description,Reference"): rows of type
//     "CODE SIGN CERT SERIAL" are serials; other types are counted as
//     ignored, because the report's "CERT SHA1" rows are TLS certificates;
//   - a plain list, one value per line, '#' comments, each value optionally
//     prefixed "serial:", "sha1:" or "sha256:" (without a prefix it is a
//     serial).
//
// Bad rows are reported in LoadStats.Errors and skipped; good rows are kept.
func (s *StolenSet) Load(r io.Reader, name string) LoadStats {
	br := bufio.NewReader(r)
	head, _ := br.Peek(64)
	if strings.HasPrefix(strings.TrimPrefix(string(head), "\ufeff"), "Indicator,Type,") {
		return s.loadCSV(br, name)
	}
	var st LoadStats
	source := filepath.Base(name)
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		v := strings.TrimSpace(sc.Text())
		if v == "" || strings.HasPrefix(v, "#") {
			continue
		}
		kind := MatchSerial
		if k, rest, ok := strings.Cut(v, ":"); ok {
			switch MatchKind(strings.ToLower(k)) {
			case MatchSerial, MatchSHA1, MatchSHA256:
				kind, v = MatchKind(strings.ToLower(k)), rest
			}
		}
		if err := s.Add(kind, v, source, ""); err != nil {
			st.Errors = append(st.Errors, fmt.Errorf("%s:%d: %v", name, line, err))
			continue
		}
		st.Added++
	}
	if err := sc.Err(); err != nil {
		st.Errors = append(st.Errors, fmt.Errorf("%s: %v", name, err))
	}
	return st
}

func (s *StolenSet) loadCSV(r io.Reader, name string) LoadStats {
	var st LoadStats
	source := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A ParseError has consumed the bad record, so reading goes
			// on; any other error (I/O) would repeat forever.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				st.Errors = append(st.Errors, fmt.Errorf("%s:%d: %v", name, pe.Line, pe.Err))
				continue
			}
			st.Errors = append(st.Errors, fmt.Errorf("%s: %v", name, err))
			break
		}
		line, _ := cr.FieldPos(0)
		if first {
			continue // header
		}
		if len(rec) < 2 {
			st.Errors = append(st.Errors, fmt.Errorf("%s:%d: %d fields, want at least 2", name, line, len(rec)))
			continue
		}
		if strings.TrimSpace(rec[1]) != "CODE SIGN CERT SERIAL" {
			st.Ignored++
			continue
		}
		ref := ""
		if len(rec) > 3 {
			ref = strings.TrimSpace(rec[3])
		}
		if err := s.Add(MatchSerial, rec[0], source, ref); err != nil {
			st.Errors = append(st.Errors, fmt.Errorf("%s:%d: field 1: %v", name, line, err))
			continue
		}
		st.Added++
	}
	return st
}
