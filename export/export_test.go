package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/misp"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

// loaded returns a store holding the KB and Burning Umbrella Area 6,
// attributed to the umbrella and marked amber.
func loaded(t *testing.T) *sqlite.Store {
	t.Helper()
	area6 := corpus.Path(t, "401trg-burning-umbrella", "20180503_Burning_Umbrella_Area_6_indicators.csv")
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if _, err := kb.Ensure(ctx, st, st); err != nil {
		t.Fatal(err)
	}
	if _, err := intel.Import(ctx, st, area6, intel.Options{Source: "401trg", Actor: "Winnti umbrella", Confidence: 70, TLP: stix.TLPAmber}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestZeekIntelExportRows(t *testing.T) {
	st := loaded(t)
	var buf bytes.Buffer
	res, err := Write(context.Background(), st, &buf, "", Options{Format: "zeek-intel", Actor: "winnti umbrella", TLPMax: stix.TLPRed})
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Scan()
	if sc.Text() != "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc" {
		t.Fatalf("header %q", sc.Text())
	}
	rows := 0
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 || !strings.HasPrefix(f[1], "Intel::") || !strings.Contains(f[3], "Winnti umbrella") {
			t.Fatalf("bad row %q", sc.Text())
		}
		rows++
	}
	// Area 6's cert serials have no Zeek type; everything else is written.
	if rows != res.Written || rows == 0 || len(res.Skipped) != 21 || !strings.Contains(res.Skipped[0], "cert-serial") {
		t.Fatalf("rows %d written %d skipped %d %v", rows, res.Written, len(res.Skipped), res.Skipped[:1])
	}
}

func TestTLPLimitsEveryFormat(t *testing.T) {
	st := loaded(t)
	for _, f := range []string{"csv", "zeek-intel", "misp", "stix"} {
		var buf bytes.Buffer
		res, err := Write(context.Background(), st, &buf, "", Options{Format: f, TLPMax: stix.TLPGreen})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(buf.Bytes(), []byte("winnti-umbrella")) || bytes.Contains(buf.Bytes(), []byte("112127474DE010DA49D31D0EE8193EAC2D0E")) {
			t.Errorf("%s: amber indicator exported to a green audience (%d written)", f, res.Written)
		}
	}
}

func TestMISPExportRoundTrips(t *testing.T) {
	st := loaded(t)
	var buf bytes.Buffer
	res, err := Write(context.Background(), st, &buf, "", Options{Format: "misp", Actor: "Winnti umbrella", TLPMax: stix.TLPRed})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "event.json")
	os.WriteFile(p, buf.Bytes(), 0o644)
	events, skipped, err := misp.ReadPath(p)
	if err != nil || len(skipped) > 0 || len(events) != 1 {
		t.Fatalf("%v %v %d", err, skipped, len(events))
	}
	inds, rejected := misp.Indicators(events, "x")
	// Certificate serials (21 in Area 6) travel as x509 objects' serial-number
	// and come back like everything else.
	if len(rejected) > 0 || len(inds) != res.Written {
		t.Fatalf("re-import: %d indicators (%d written), rejected %v", len(inds), res.Written, rejected)
	}
	var ev map[string]map[string]any
	json.Unmarshal(buf.Bytes(), &ev)
	if tags := ev["Event"]["Tag"]; !strings.Contains(strings.ToLower(toJSON(tags)), "tlp:amber") {
		t.Fatalf("event not marked with its content's TLP: %v", tags)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestNavigatorLayer(t *testing.T) {
	st := loaded(t)
	var buf bytes.Buffer
	if _, err := Write(context.Background(), st, &buf, "", Options{Format: "navigator", TLPMax: stix.TLPRed}); err == nil {
		t.Fatal("a layer without --actor was accepted")
	}
	res, err := Write(context.Background(), st, &buf, "", Options{Format: "navigator", Actor: "winnti umbrella", TLPMax: stix.TLPRed})
	if err != nil {
		t.Fatal(err)
	}
	var layer struct {
		Techniques []struct {
			TechniqueID string `json:"techniqueID"`
			Score       int    `json:"score"`
		} `json:"techniques"`
	}
	if err := json.Unmarshal(buf.Bytes(), &layer); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tq := range layer.Techniques {
		found = found || tq.TechniqueID == "T1553.002" && tq.Score >= 1
	}
	if !found || res.Written != len(layer.Techniques) {
		t.Fatalf("T1553.002 missing from %d techniques", len(layer.Techniques))
	}
}

func TestAllowListedValuesAreReportedNotExported(t *testing.T) {
	st := loaded(t)
	allow := allowlist.Default()
	var buf bytes.Buffer
	all, _ := Write(context.Background(), st, &buf, "", Options{Format: "csv", TLPMax: stix.TLPRed})
	var first string
	for _, line := range strings.Split(buf.String(), "\n") {
		if f := strings.Split(line, ","); len(f) > 1 && f[1] == "domain" {
			first = f[0]
			break
		}
	}
	if err := allow.Add(first, allowlist.ListUser); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	res, err := Write(context.Background(), st, &buf, "", Options{Format: "csv", TLPMax: stix.TLPRed, Allow: allow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != all.Written-1 || strings.Contains(buf.String(), first+",") || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "allow-listed (user)") {
		t.Fatalf("written %d of %d, skipped %v", res.Written, all.Written, res.Skipped)
	}
}
