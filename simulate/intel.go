package simulate

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
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
func writeIntel(out string, infra []Infra) (initial, later int, err error) {
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
	later, err = write("later.csv", false, laterReference)
	return initial, later, err
}
