// Package zeekintel writes umbra indicators as a Zeek Intel framework
// input file, the tab-separated table that Intel::read_files loads, so a
// Zeek sensor raises intel.log entries for umbra's indicators.
package zeekintel

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
	intelzeek "github.com/umbra-cti/umbra/intel/zeekintel"
)

// Header is the #fields line Zeek's input framework needs to map columns
// to the Intel::Item record.
const Header = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"

// Meta is the provenance written into every row's meta fields.
type Meta struct {
	// Source fills meta.source, which Zeek requires; "umbra" when empty.
	Source string
	// Description starts every row's meta.desc; the indicator's own
	// sources and actors follow it.
	Description string
}

// Skip is an indicator that was not written, and why.
type Skip struct {
	Indicator indicator.Indicator
	Reason    string
}

// Summary tells what Write did with its input.
type Summary struct {
	Written int
	ByType  map[string]int // rows per Zeek indicator type
	Skipped []Skip
}

// URLValue is a URL as Zeek's HTTP analyser spells the requests it sees
// (HTTP::build_url): host, a port other than 80, and the path with its
// query, without scheme or fragment.
func URLValue(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Host == "" {
		return "", fmt.Errorf("URL %q has no host", raw)
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && p != "80" {
		host += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		path += "?" + u.RawQuery
	}
	return host + path, nil
}

// Write writes the header and one row per indicator Zeek can match.
// Indicators of other types, or whose value would break the table (a tab,
// a newline, a leading '#', Zeek's unset marker "-"), are not written and
// are listed in the Summary.
func Write(w io.Writer, inds iter.Seq[indicator.Indicator], m Meta) (Summary, error) {
	sum := Summary{ByType: map[string]int{}}
	bw := bufio.NewWriter(w)
	bw.WriteString(Header)
	bw.WriteByte('\n')
	source := metaField(m.Source)
	if source == "-" {
		source = "umbra"
	}
	for ind := range inds {
		// Certificate fingerprints become CERT_HASH: Zeek's stock seen script
		// looks up the SHA-1 fingerprint, so SHA-256 rows load but only match
		// where a site script hashes certificates with SHA-256.
		typ, ok := intelzeek.IntelType(ind.Type)
		if !ok {
			sum.Skipped = append(sum.Skipped, Skip{ind, "Zeek's Intel framework has no " + ind.Type.String() + " type"})
			continue
		}
		v := ind.Value
		if ind.Type == indicator.URL {
			var err error
			if v, err = URLValue(v); err != nil {
				sum.Skipped = append(sum.Skipped, Skip{ind, err.Error()})
				continue
			}
		}
		if reason := badValue(v); reason != "" {
			sum.Skipped = append(sum.Skipped, Skip{ind, reason})
			continue
		}
		bw.WriteString(v)
		bw.WriteByte('\t')
		bw.WriteString(typ)
		bw.WriteByte('\t')
		bw.WriteString(source)
		bw.WriteByte('\t')
		bw.WriteString(metaField(description(m.Description, ind)))
		if _, err := bw.WriteString("\n"); err != nil {
			return sum, err
		}
		sum.Written++
		sum.ByType[typ]++
	}
	return sum, bw.Flush()
}

// badValue says why v cannot be an indicator column, or "".
func badValue(v string) string {
	switch {
	case v == "":
		return "empty value"
	case strings.ContainsAny(v, "\t\r\n"):
		return "value contains a tab or line break"
	case v[0] == '#':
		return "value starts with '#', which Zeek reads as a comment line"
	case v == "-" || v == "(empty)":
		return "value is Zeek's unset or empty marker"
	}
	return ""
}

// description joins the export's description with the indicator's
// sources and actors.
func description(base string, ind indicator.Indicator) string {
	var parts []string
	if base != "" {
		parts = append(parts, base)
	}
	if len(ind.Sources) > 0 {
		s := append([]string(nil), ind.Sources...)
		sort.Strings(s)
		parts = append(parts, "sources: "+strings.Join(s, ", "))
	}
	if len(ind.Actors) > 0 {
		a := make([]string, 0, len(ind.Actors))
		for _, ac := range ind.Actors {
			a = append(a, ac.Name+" ("+strconv.Itoa(ac.Confidence)+")")
		}
		sort.Strings(a)
		parts = append(parts, "actors: "+strings.Join(a, ", "))
	}
	return strings.Join(parts, "; ")
}

// metaField makes s safe for one column: tabs and line breaks become
// spaces, and an empty value becomes Zeek's unset marker "-".
func metaField(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', '\v', '\f':
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" || s == "(empty)" {
		return "-"
	}
	return s
}
