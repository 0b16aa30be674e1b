package simulate

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
)

// Reference URLs of the two simulated feeds (documentation-only host).
const (
	initialReference = "https://intel.example/umbra-simulate/initial-report"
	laterReference   = "https://intel.example/umbra-simulate/follow-up"
)

// writeIntel writes intel/initial.csv (what is known when the scenario is
// first hunted) and intel/later.csv (published afterwards, for the
// retro-hunt), in the Burning Umbrella CSV layout: the same header, type
// words and CRLF line ends as 401TRG's files.
func writeIntel(out string, infra []Infra, published time.Time) (initial, later int, err error) {
	write := func(name string, first bool, ref string) (int, error) {
		path := filepath.Join(out, "intel", name)
		f, err := os.Create(path)
		if err != nil {
			return 0, fmt.Errorf("simulate: %v", err)
		}
		w := bufio.NewWriter(f)
		w.WriteString("Indicator,Type,Description,Reference\r\n")
		n := 0
		for _, in := range infra {
			if in.Initial != first {
				continue
			}
			fmt.Fprintf(w, "%s,%s,%s,%s\r\n", in.Value, in.Type, in.Purpose, ref)
			n++
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return 0, fmt.Errorf("simulate: %s: %v", path, err)
		}
		return n, f.Close()
	}
	if initial, err = write("initial.csv", true, initialReference); err != nil {
		return 0, 0, err
	}
	if later, err = write("later.csv", false, laterReference); err != nil {
		return 0, 0, err
	}
	if err := writeSTIX(filepath.Join(out, "intel", "initial.stix.json"), infra, true, initialReference, published); err != nil {
		return 0, 0, err
	}
	err = writeSTIX(filepath.Join(out, "intel", "later.stix.json"), infra, false, laterReference, published.AddDate(0, 0, 30))
	return initial, later, err
}

// writeSTIX writes the same indicators as a STIX 2.1 bundle. The bundle
// is assembled here rather than with stix.Writer, which gives each bundle
// a fresh random id, so that the file is the same for the same scenario.
func writeSTIX(path string, infra []Infra, first bool, ref string, at time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("simulate: %v", err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "{\"type\":\"bundle\",\"id\":%q,\"objects\":[", stix.DeterministicID("bundle", ref))
	n := 0
	for _, in := range infra {
		if in.Initial != first {
			continue
		}
		typ, ok := indicator.ParseTypeWord(in.Type)
		if !ok {
			f.Close()
			return fmt.Errorf("simulate: %s: type word %q", path, in.Type)
		}
		typ, v, err := indicator.Coerce(typ, in.Value)
		if err != nil {
			f.Close()
			return fmt.Errorf("simulate: %s: %s %q: %v", path, in.Type, in.Value, err)
		}
		o, err := indicator.ToSTIX(indicator.Record{Type: typ, Value: v, Description: in.Purpose, References: []string{ref},
			Source: "umbra simulate"}, indicator.STIXOptions{Time: at})
		if err != nil {
			f.Close()
			return fmt.Errorf("simulate: %s: %s: %v", path, v, err)
		}
		if n > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n")
		w.Write(o.Raw)
		n++
	}
	w.WriteString("\n]}\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("simulate: %s: %v", path, err)
	}
	return f.Close()
}
