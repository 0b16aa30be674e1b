package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
)

//go:embed report.html.tmpl
var reportTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"defangText": indicator.DefangText,
	"tlpLabel":   tlpLabel,
	"tlpShort":   func(t stix.TLP) string { return strings.ToUpper(t.String()) },
	"tlpClass":   func(t stix.TLP) string { return "tlp-" + strings.ReplaceAll(t.String(), "+", "-") },
	"tlpNote":    tlpNote,
	"tlpColor":   tlpColor,
	// A CSS string holding "TLP:..." reads as a URL to html/template,
	// which would blank it; the label is ours, not input.
	"tlpCSS":    func(t stix.TLP) template.CSS { return cssString(tlpLabel(t)) },
	"cssString": cssString,
	"inc":       func(i int) int { return i + 1 },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"join":      strings.Join,
	"weightPx":  func(w float64) int { return int(60*min(max(w, 0), 1) + 0.5) },
	"addf":      func(a, b float64) float64 { return round1(a + b) },
	"subf":      func(a, b float64) float64 { return round1(a - b) },
	"heat":      heat,
	"rarity":    rarity,
	"nodeClass": nodeClass,
	"dwell":     days,
	"year": func(s string) string {
		if len(s) >= 4 {
			return s[:4]
		}
		return s
	},
}).Parse(reportTemplate))

// WriteHTML writes r as one self-contained HTML document: inline CSS and
// SVG, no script, nothing fetched, every value escaped and every
// indicator defanged.
func WriteHTML(w io.Writer, r *Report) error {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, r); err != nil {
		return fmt.Errorf("report: rendering: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func tlpLabel(t stix.TLP) string { return "TLP:" + strings.ToUpper(t.String()) }

// tlpNote is the TLP 2.0 definition of who may receive the report.
func tlpNote(t stix.TLP) string {
	switch t {
	case stix.TLPClear:
		return "Recipients can spread this to the world; there is no limit on disclosure."
	case stix.TLPGreen:
		return "Limited disclosure: recipients can spread this within their community, but not via publicly accessible channels."
	case stix.TLPAmber:
		return "Limited disclosure: recipients can only spread this on a need-to-know basis within their organisation and its clients."
	case stix.TLPAmberStrict:
		return "Limited disclosure: recipients can only spread this on a need-to-know basis within their organisation."
	}
	return "For the eyes and ears of individual recipients only, no further disclosure."
}

// cssString quotes s as a CSS string for a page margin box. Every byte
// that could end the string, the rule or the style element is written as
// a CSS escape, so any actor name is safe there.
func cssString(s string) template.CSS {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' || r == '.' || r == ',' || r == '-' || r == ':' || r == '_' {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "\\%06x ", r) // the space ends the escape
	}
	b.WriteByte('"')
	return template.CSS(b.String())
}

// tlpColor is the TLP 2.0 colour of a level's label (on black).
func tlpColor(t stix.TLP) template.CSS {
	switch t {
	case stix.TLPClear:
		return "#ffffff"
	case stix.TLPGreen:
		return "#33ff00"
	case stix.TLPAmber, stix.TLPAmberStrict:
		return "#ffc000"
	}
	return "#ff2b2b"
}

// heat shades a technique cell by how many sources report it.
func heat(n int) template.CSS {
	switch {
	case n <= 0:
		return "#ffffff"
	case n == 1:
		return "#c6dbef"
	case n == 2:
		return "#6baed6"
	}
	return "#2171b5"
}

// rarity shades the "groups using it" cell: rare techniques are hot.
func rarity(distinct float64) template.CSS {
	switch {
	case distinct < 0:
		return "#f3f6f9"
	case distinct >= 0.9:
		return "#fc9272"
	case distinct >= 0.6:
		return "#fcbba1"
	case distinct >= 0.3:
		return "#fee0d2"
	}
	return "#ffffff"
}

func nodeClass(kind string) string {
	switch {
	case kind == "host":
		return "n-host"
	case kind == "actor":
		return "n-actor"
	}
	return "n-infra"
}
