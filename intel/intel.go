// Package intel imports threat intelligence into the knowledge store. It
// detects the format of each input (STIX 2.0/2.1 bundles including
// ATT&CK, MISP galaxy clusters, and the list and event formats of its
// sub-packages), converts it to STIX objects and stores them in one
// transaction per input.
package intel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/umbra-cti/umbra/intel/csv"
	"github.com/umbra-cti/umbra/intel/galaxy"
	"github.com/umbra-cti/umbra/intel/maltrail"
	"github.com/umbra-cti/umbra/intel/openioc"
	"github.com/umbra-cti/umbra/intel/taxii"
	"github.com/umbra-cti/umbra/intel/zeekintel"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Format names accepted by --format.
const (
	FormatAuto   = ""
	FormatSTIX   = "stix"
	FormatGalaxy = "galaxy"
)

// Options say what an input is and where it came from.
type Options struct {
	Format   string
	Source   string   // provenance; detected when empty
	TLP      stix.TLP // marking for objects that carry none
	Progress func(objects int)
	// Actor attributes every imported indicator to this actor or umbrella
	// (an `indicates` relationship) with Confidence.
	Actor      string
	Confidence int
	// Report, when set, creates a STIX report of this title holding what
	// the input imported.
	Report string
}

// Result reports one import.
type Result struct {
	Path     string                  `json:"path"`
	Format   string                  `json:"format"`
	Source   string                  `json:"source"`
	Summary  knowledge.ImportSummary `json:"summary"`
	ByType   map[string]int          `json:"by_type"`
	Rejected []string                `json:"rejected,omitempty"` // one line per bad record: file, position, reason
	Notes    []string                `json:"notes,omitempty"`
}

// ErrRejected is wrapped by Import when some records were bad: the good
// ones were stored, and Result.Rejected lists the others.
var ErrRejected = errors.New("some records were rejected")

// Import reads path ("-" for standard input) and stores what it holds in
// st. A file that cannot be read to the end stores nothing.
func Import(ctx context.Context, st knowledge.Store, path string, opt Options) (Result, error) {
	res := Result{Path: path, ByType: map[string]int{}}
	if strings.HasPrefix(path, taxii.Scheme) {
		res.Format, res.Source = FormatTAXII, opt.Source
		if err := importTAXII(ctx, st, path, opt, &res); err != nil {
			return res, err
		}
		if len(res.Rejected) > 0 {
			return res, fmt.Errorf("%s: %d rejected: %w", res.Path, len(res.Rejected), ErrRejected)
		}
		return res, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		// A folder is a MISP feed (manifest.json plus event files).
		if opt.Format != FormatAuto && opt.Format != FormatMISP {
			return res, fmt.Errorf("%s is a directory; only MISP feeds are read from directories", path)
		}
		res.Format, res.Source = FormatMISP, opt.Source
		if res.Source == "" {
			res.Source = filepath.Base(path)
		}
		info := knowledge.ImportInfo{Source: res.Source, Path: path, TLP: opt.TLP, Progress: opt.Progress}
		if err := importMISP(ctx, st, path, info, opt, &res); err != nil {
			return res, err
		}
		if len(res.Rejected) > 0 {
			return res, fmt.Errorf("%s: %d rejected: %w", path, len(res.Rejected), ErrRejected)
		}
		return res, nil
	}
	var in io.Reader
	if path == "-" {
		in = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return res, err
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReaderSize(in, 1<<16)
	head, _ := br.Peek(64 << 10)
	format := opt.Format
	if format == FormatAuto {
		format = Detect(head)
		if format == "" {
			return res, fmt.Errorf("%s: cannot tell the format; use --format", path)
		}
	}
	res.Format = format
	res.Source = opt.Source
	if res.Source == "" {
		res.Source = detectSource(format, head, path)
	}
	info := knowledge.ImportInfo{Source: res.Source, Path: path, TLP: opt.TLP, Progress: opt.Progress}
	var err error
	switch format {
	case FormatSTIX:
		err = importSTIX(ctx, st, br, info, opt, &res)
	case FormatGalaxy:
		err = importGalaxy(ctx, st, br, info, &res)
	case FormatMISP:
		err = importMISP(ctx, st, path, info, opt, &res)
	default:
		read, ok := listReader(format)
		if ok {
			err = importList(ctx, st, br, read, info, opt, &res)
			break
		}
		return res, fmt.Errorf("%s: unknown format %q", path, format)
	}
	if err != nil {
		return res, err
	}
	if len(res.Rejected) > 0 {
		return res, fmt.Errorf("%s: %d rejected: %w", path, len(res.Rejected), ErrRejected)
	}
	return res, nil
}

// Detect names the format of an input from its first bytes, or "".
func Detect(head []byte) string {
	h := bytes.TrimSpace(head)
	if len(h) == 0 {
		return ""
	}
	if h[0] == '{' || h[0] == '[' {
		if galaxy.Detect(h) {
			return FormatGalaxy
		}
		if bytes.Contains(h, []byte(`"Event"`)) || bytes.Contains(h, []byte(`"Attribute"`)) {
			return FormatMISP
		}
		if bytes.Contains(h, []byte(`"type"`)) && (bytes.Contains(h, []byte(`"bundle"`)) || bytes.Contains(h, []byte(`--`))) {
			return FormatSTIX
		}
	}
	switch {
	case zeekintel.Sniff(head):
		return FormatZeek
	case openioc.Sniff(head):
		return FormatOpenIOC
	case maltrail.Sniff(head):
		return FormatMaltrail
	case csv.Sniff(head):
		return FormatCSV
	}
	if utf8.Valid(h) {
		return FormatPlain
	}
	return ""
}

func detectSource(format string, head []byte, path string) string {
	switch format {
	case FormatGalaxy:
		return galaxy.Source
	case FormatSTIX:
		if bytes.Contains(head, []byte(`"mitre-attack"`)) {
			return "mitre-attack"
		}
	}
	if path == "-" {
		return "stdin"
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func importSTIX(ctx context.Context, st knowledge.Store, r io.Reader, info knowledge.ImportInfo, opt Options, res *Result) error {
	var attr attribution
	if err := attr.resolve(ctx, st, opt); err != nil {
		return err
	}
	rd := stix.NewReader(r)
	var ids []string
	sum, err := st.Import(ctx, info, func(put func(stix.Object) error) error {
		for {
			o, err := rd.Next()
			if err == io.EOF {
				return attr.link(put, info.Source, stamp(info.Path), ids, []string{info.TLP.MarkingID()})
			}
			var oe *stix.ObjectError
			if errors.As(err, &oe) {
				res.Rejected = append(res.Rejected, fmt.Sprintf("%s: %v", info.Path, oe))
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", info.Path, err)
			}
			if o.SpecVersion == "" && !stix.IsSCO(o.Type) {
				// STIX 2.0 (ATT&CK's bundles): the same objects, minus the
				// spec_version that 2.1 requires on each.
				if o, err = upgrade(o); err != nil {
					res.Rejected = append(res.Rejected, fmt.Sprintf("%s: %s: %v", info.Path, o.ID, err))
					continue
				}
			}
			res.ByType[o.Type]++
			if o.Type == "indicator" && attr.wanted() {
				ids = append(ids, o.ID)
			}
			if err := put(o); err != nil {
				return err
			}
		}
	})
	res.Summary = sum
	return err
}

// upgrade turns a STIX 2.0 object into 2.1: it adds spec_version and drops
// empty lists, which 2.0 producers (ATT&CK among them) write and 2.1 forbids.
func upgrade(o stix.Object) (stix.Object, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(o.Raw, &m); err != nil {
		return o, err
	}
	for k, v := range m {
		if string(bytes.TrimSpace(v)) == "[]" {
			delete(m, k)
		}
	}
	m["spec_version"] = json.RawMessage(`"2.1"`)
	raw, err := json.Marshal(m)
	if err != nil {
		return o, err
	}
	return stix.Parse(raw)
}

func importGalaxy(ctx context.Context, st knowledge.Store, r io.Reader, info knowledge.ImportInfo, res *Result) error {
	idx := galaxy.Index{}
	if info.Path != "-" {
		idx = galaxy.LoadIndex(filepath.Dir(info.Path))
	}
	var gs galaxy.Stats
	sum, err := st.Import(ctx, info, func(put func(stix.Object) error) error {
		var err error
		gs, err = galaxy.Read(r, info.Path, idx, func(o stix.Object) error {
			res.ByType[o.Type]++
			return put(o)
		})
		return err
	})
	res.Summary = sum
	res.Rejected = append(res.Rejected, gs.Errors...)
	if gs.Unresolved > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d related links point at clusters not in this folder and were left out", gs.Unresolved))
	}
	return err
}

// TypeCounts returns the per-type counts of a result, sorted by type.
func (r *Result) TypeCounts() []string {
	var out []string
	for t, n := range r.ByType {
		out = append(out, fmt.Sprintf("%s=%d", t, n))
	}
	sort.Strings(out)
	return out
}
