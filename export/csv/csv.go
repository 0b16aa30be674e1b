// Package csv writes umbra indicators as a CSV table (indicator, type,
// sources, actors, description) for spreadsheets, ticketing systems and
// tools that take a plain list.
package csv

import (
	"encoding/csv"
	"io"
	"iter"
	"sort"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Header is the first row Write writes.
var Header = []string{"indicator", "type", "sources", "actors", "description"}

// Options control Write.
type Options struct {
	// Description fills the description column of every row.
	Description string
	// Raw turns off the spreadsheet-formula guard. By default a cell that
	// starts with '=', '+', '-', '@', tab or carriage return gets a leading
	// "'" so that a hostile indicator value (a user-agent "=HYPERLINK(...)")
	// is shown as text, not run, when the file is opened in a spreadsheet.
	Raw bool
}

// Write writes the header and one row per indicator. Sources are joined
// with ";", actors as "name (confidence)" joined with ";", both sorted.
// It returns the number of indicator rows written.
func Write(w io.Writer, inds iter.Seq[indicator.Indicator], opts Options) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return 0, err
	}
	n := 0
	row := make([]string, len(Header))
	for ind := range inds {
		srcs := append([]string(nil), ind.Sources...)
		sort.Strings(srcs)
		actors := make([]string, 0, len(ind.Actors))
		for _, a := range ind.Actors {
			actors = append(actors, a.Name+" ("+strconv.Itoa(a.Confidence)+")")
		}
		sort.Strings(actors)
		row[0], row[1], row[2], row[3], row[4] = ind.Value, ind.Type.String(), strings.Join(srcs, ";"), strings.Join(actors, ";"), opts.Description
		if !opts.Raw {
			for i := range row {
				row[i] = guard(row[i])
			}
		}
		if err := cw.Write(row); err != nil {
			return n, err
		}
		n++
	}
	cw.Flush()
	return n, cw.Error()
}

// guard defuses cells a spreadsheet would evaluate as a formula.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
