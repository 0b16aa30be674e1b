package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// The conformance tests replay the OASIS pattern-validator and
// stix2-matcher test suites, extracted to JSON under
// ../shared/data/stix2-patterns, against this package.

type validatorFile struct {
	Cases []struct {
		Test   string `json:"test"`
		Params struct {
			Input  string `json:"test_input"`
			Output string `json:"test_output"`
		} `json:"params"`
		Expect string `json:"expect"`
	} `json:"parametrized_cases"`
}

var antlrColumn = regexp.MustCompile(`line 1:(\d+)`)

func TestValidatorConformance(t *testing.T) {
	path := corpus.Path(t, "stix2-patterns", "pattern-validator", "v21", "test_validator.cases.json")
	var vf validatorFile
	readJSON(t, path, &vf)
	agree, positions := 0, 0
	for _, c := range vf.Cases {
		_, err := Validate(c.Params.Input)
		want := c.Expect == "true"
		switch {
		case want && err != nil:
			t.Errorf("%s: %q: want valid, got %v", c.Test, c.Params.Input, err)
			continue
		case !want && err == nil:
			t.Errorf("%s: %q: want invalid (%s), got valid", c.Test, c.Params.Input, c.Params.Output)
			continue
		}
		agree++
		if want {
			continue
		}
		pe, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: error %v carries no position", c.Params.Input, err)
			continue
		}
		// Where the reference names an ANTLR column (characters from the
		// start of the line; these inputs are ASCII) we point at the same
		// place.
		if m := antlrColumn.FindStringSubmatch(c.Params.Output); m != nil {
			col, _ := strconv.Atoi(m[1])
			if pe.Offset != col {
				t.Errorf("%q: error at offset %d, reference says column %d (%s); ours: %v", c.Params.Input, pe.Offset, col, c.Params.Output, err)
				continue
			}
		}
		positions++
	}
	t.Logf("pattern-validator v21: %d/%d cases agree (%d invalid ones with a matching position)", agree, len(vf.Cases), positions)
	if agree != len(vf.Cases) {
		t.Fail()
	}
}

// The spec's own examples and the inspector's patterns must all parse.
func TestValidatorExamplesParse(t *testing.T) {
	dir := corpus.Path(t, "stix2-patterns", "pattern-validator", "v21")
	data, err := os.ReadFile(filepath.Join(dir, "spec_examples.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		n++
		if _, err := Validate(line); err != nil {
			t.Errorf("spec example %q: %v", line, err)
		}
	}
	var insp struct {
		Cases []struct {
			Params struct {
				Pattern string `json:"pattern"`
			} `json:"params"`
		} `json:"parametrized_cases"`
	}
	readJSON(t, filepath.Join(dir, "test_inspector.cases.json"), &insp)
	for _, c := range insp.Cases {
		n++
		if _, err := Validate(c.Params.Pattern); err != nil {
			t.Errorf("inspector pattern %q: %v", c.Params.Pattern, err)
		}
	}
	t.Logf("pattern-validator v21: %d spec and inspector patterns checked", n)
}

type matcherCase struct {
	Test        string          `json:"test"`
	Params      json.RawMessage `json:"params"`
	Expect      string          `json:"expect"`
	ObsVar      *string         `json:"observations_var"`
	AssertLines []string        `json:"assert_lines"`
}

type matcherFile struct {
	ModuleData map[string]json.RawMessage `json:"module_data"`
	Cases      []matcherCase              `json:"cases"`
}

func TestMatcherConformance(t *testing.T) {
	dir := corpus.Path(t, "stix2-patterns", "pattern-matcher", "v21")
	files, err := filepath.Glob(filepath.Join(dir, "*.cases.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no matcher cases in %s", dir)
	}
	total, agree := 0, 0
	for _, f := range files {
		var mf matcherFile
		readJSON(t, f, &mf)
		name := strings.TrimSuffix(filepath.Base(f), ".cases.json")
		for i, c := range mf.Cases {
			total++
			if err := runMatcherCase(mf, c); err != nil {
				t.Errorf("%s case %d (%s): %v", name, i, c.Test, err)
				continue
			}
			agree++
		}
	}
	t.Logf("pattern-matcher v21: %d/%d cases agree", agree, total)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// outcome runs one pattern and classifies it like the Python tests do.
type outcome struct {
	parseErr, matchErr error
	matched            []int
}

func (o outcome) String() string {
	switch {
	case o.parseErr != nil:
		return "parse error: " + o.parseErr.Error()
	case o.matchErr != nil:
		return "match error: " + o.matchErr.Error()
	case o.matched != nil:
		return fmt.Sprintf("match %v", o.matched)
	}
	return "no match"
}

func run(pattern string, obs []Observation) outcome {
	p, err := Parse(pattern)
	if err != nil {
		return outcome{parseErr: err}
	}
	m, err := p.Matches(obs)
	return outcome{matchErr: err, matched: m}
}

// check compares an outcome with the case's expectation; which exception
// the Python test expects tells whether parsing or matching must fail.
func check(c matcherCase, pattern string, o outcome) error {
	asserts := strings.Join(c.AssertLines, "\n")
	ok := false
	switch c.Expect {
	case "true":
		ok = o.parseErr == nil && o.matchErr == nil && o.matched != nil
	case "false":
		ok = o.parseErr == nil && o.matchErr == nil && o.matched == nil
	case "error":
		switch {
		case strings.Contains(asserts, "ParseException"):
			ok = o.parseErr != nil
		case strings.Contains(asserts, "MatcherException"):
			ok = o.parseErr == nil && o.matchErr != nil
		}
	default:
		return fmt.Errorf("unknown expectation %q", c.Expect)
	}
	if !ok {
		return fmt.Errorf("%q: want %s, got %v", pattern, c.Expect, o)
	}
	return nil
}

func observationsVar(mf matcherFile, name string) ([]Observation, error) {
	raw, ok := mf.ModuleData[name]
	if !ok {
		return nil, fmt.Errorf("no module data %q", name)
	}
	return ReadObservations(bytes.NewReader(raw))
}

var joinCall = regexp.MustCompile(`^'(.*)'\.join\(\('(.*)' for _ in range\((\d+)\)\)\)$`)

func runMatcherCase(mf matcherFile, c matcherCase) error {
	var params map[string]json.RawMessage
	if err := json.Unmarshal(c.Params, &params); err != nil {
		return err
	}
	var pattern string
	if raw, ok := params["pattern"]; ok {
		if err := json.Unmarshal(raw, &pattern); err != nil {
			// {"$call": "' AND '.join(('[…]' for _ in range(10)))"}
			var call struct {
				Call string `json:"$call"`
			}
			if err := json.Unmarshal(raw, &call); err != nil {
				return err
			}
			m := joinCall.FindStringSubmatch(call.Call)
			if m == nil {
				return fmt.Errorf("cannot rebuild pattern from %q", call.Call)
			}
			n, _ := strconv.Atoi(m[3])
			parts := make([]string, n)
			for i := range parts {
				parts[i] = m[2]
			}
			pattern = strings.Join(parts, m[1])
		}
	}
	switch c.Test {
	case "test_overlap":
		return checkOverlap(params)
	case "test_intervals_within_match", "test_intervals_within_nomatch":
		return checkIntervalsWithin(params, c.Test == "test_intervals_within_match")
	case "test_within_match", "test_within_nomatch":
		return checkWithinData(mf, c, params)
	case "test_combinatorial_explosion_match", "test_combinatorial_explosion_nomatch":
		return check(c, pattern, run(pattern, combinatorialObservations()))
	}
	obs, err := observationsVar(mf, *c.ObsVar)
	if err != nil {
		return err
	}
	if pattern == "$expr" {
		return runGenerated(mf, c, obs)
	}
	o := run(pattern, obs)
	switch c.Test {
	case "test_matching_sdos":
		return checkMatchingIDs(params, pattern, obs, o)
	case "test_match_referenced_sco_only":
		if o.parseErr != nil || o.matchErr != nil || o.matched != nil {
			return fmt.Errorf("%q: want no match, got %v", pattern, o)
		}
		return nil
	case "test_multy_sdo_match":
		if o.matched == nil || len(o.matched) != 1 || obs[o.matched[0]].ID != "observed-data--1209f166-bba6-4307-a566-60e3a6c39cd2" {
			return fmt.Errorf("%q: want only observed-data--1209f166…, got %v", pattern, o)
		}
		return nil
	case "test_multy_repeat_match":
		if len(o.matched) != 2 {
			return fmt.Errorf("%q: want two observations, got %v", pattern, o)
		}
		return nil
	}
	return check(c, pattern, o)
}

func checkMatchingIDs(params map[string]json.RawMessage, pattern string, obs []Observation, o outcome) error {
	var want []string
	var one string
	if err := json.Unmarshal(params["expected_ids"], &one); err == nil {
		want = []string{one}
	} else if err := json.Unmarshal(params["expected_ids"], &want); err != nil {
		return err
	}
	var got []string
	for _, i := range o.matched {
		got = append(got, obs[i].ID)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return fmt.Errorf("%q: matched %v, want %v (%v)", pattern, got, want, o)
	}
	return nil
}

// runGenerated expands the cases whose patterns the Python tests build in
// code from the module data.
func runGenerated(mf matcherFile, c matcherCase, obs []Observation) error {
	var patterns []string
	if strings.HasPrefix(c.Test, "test_unicode_normalization_") {
		ddots := obs[0].Objects["test--da9516c0-c4b5-4788-a1d8-c68dce578a38"].(map[string]any)["ddots"].(map[string]any)
		keys := make([]string, 0, len(ddots))
		for k := range ddots {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// Each test pairs a property of ddots with a value: its own
		// (same) or another's, as test_unicode_normalization.py does.
		kind := strings.TrimPrefix(c.Test, "test_unicode_normalization_")
		gen, known := map[string]struct {
			op, operand string
			pairs       string // "all", "same" or "other"
		}{
			"like_match": {"LIKE", "'%s'", "all"}, "regex_match": {"MATCHES", "'^%s$'", "all"},
			"ne_match": {"!=", "'%s'", "other"}, "ne_nomatch": {"!=", "'%s'", "same"},
			"eq_match": {"=", "'%s'", "same"}, "eq_nomatch": {"=", "'%s'", "other"},
			"set_match": {"IN", "('%s')", "same"}, "set_nomatch": {"IN", "('%s')", "other"},
		}[kind]
		if !known {
			return fmt.Errorf("unknown generated test %s", c.Test)
		}
		for _, k := range keys {
			for _, k2 := range keys {
				if gen.pairs == "all" || (k == k2) == (gen.pairs == "same") {
					patterns = append(patterns, fmt.Sprintf("[test:ddots.%s %s %s]", k, gen.op, fmt.Sprintf(gen.operand, ddots[k2])))
				}
			}
		}
	} else if c.Test == "test_ts_json_error" {
		bad := obs[0].Objects["event--5ca25429-833b-4589-8350-e810db273d44"].(map[string]any)["bad_ts"].([]any)
		for i := range bad {
			patterns = append(patterns, fmt.Sprintf("[event:bad_ts[%d] = t'1996-07-11T09:17:10Z']", i))
		}
	}
	if len(patterns) == 0 {
		return fmt.Errorf("no patterns generated for %s", c.Test)
	}
	for _, p := range patterns {
		if err := check(c, p, run(p, obs)); err != nil {
			return err
		}
	}
	return nil
}

// combinatorialObservations rebuilds test_complex.py's generated data:
// twenty observations a second apart, person ages 0 to 19.
func combinatorialObservations() []Observation {
	var obs []Observation
	base := time.Date(2004, 10, 11, 21, 44, 58, 0, time.UTC)
	for i := range 20 {
		at := base.Add(time.Duration(i) * time.Second)
		obs = append(obs, Observation{
			FirstObserved: at, LastObserved: at, NumberObserved: 1,
			Objects: map[string]any{"a0": map[string]any{"type": "person", "name": "alice", "age": json.Number(strconv.Itoa(i % 20))}},
		})
	}
	return obs
}

func ints(raw json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, err
	}
	return n.Int64()
}

func unixAt(n int64) time.Time { return time.Unix(n, 0).UTC() }

func checkOverlap(params map[string]json.RawMessage) error {
	var v [4]int64
	for i, k := range []string{"min1", "max1", "min2", "max2"} {
		n, err := ints(params[k])
		if err != nil {
			return err
		}
		v[i] = n
	}
	var want struct {
		Name string `json:"$name"`
	}
	if err := json.Unmarshal(params["expected_overlap"], &want); err != nil {
		return err
	}
	names := map[overlapKind]string{overlapNone: "_OVERLAP_NONE", overlapYes: "_OVERLAP",
		overlapTouchInner: "_OVERLAP_TOUCH_INNER", overlapTouchOuter: "_OVERLAP_TOUCH_OUTER", overlapTouchPoint: "_OVERLAP_TOUCH_POINT"}
	got := names[overlap(unixAt(v[0]), unixAt(v[1]), unixAt(v[2]), unixAt(v[3]))]
	if got != want.Name {
		return fmt.Errorf("overlap%v = %s, want %s", v, got, want.Name)
	}
	return nil
}

func checkIntervalsWithin(params map[string]json.RawMessage, want bool) error {
	var raw [][2]int64
	if err := json.Unmarshal(params["intervals"], &raw); err != nil {
		return err
	}
	d, err := ints(params["duration"])
	if err != nil {
		return err
	}
	var ivs []interval
	for _, r := range raw {
		ivs = append(ivs, interval{unixAt(r[0]), unixAt(r[1])})
	}
	if got := intervalsWithin(ivs, time.Duration(d)*time.Second); got != want {
		return fmt.Errorf("intervalsWithin(%v, %ds) = %v, want %v", raw, d, got, want)
	}
	return nil
}

// checkWithinData replays test_within_*: the first two observations get
// the given intervals and the pattern asks for alice and bob within the
// duration.
func checkWithinData(mf matcherFile, c matcherCase, params map[string]json.RawMessage) error {
	obs, err := observationsVar(mf, "_observations")
	if err != nil {
		return err
	}
	for i, k := range []string{"interval1", "interval2"} {
		var iv [2]string
		if err := json.Unmarshal(params[k], &iv); err != nil {
			return err
		}
		if obs[i].FirstObserved, err = parseTimestamp(iv[0]); err != nil {
			return err
		}
		if obs[i].LastObserved, err = parseTimestamp(iv[1]); err != nil {
			return err
		}
	}
	d, err := ints(params["duration"])
	if err != nil {
		return err
	}
	pattern := fmt.Sprintf("([person:name='alice'] AND [person:name='bob']) WITHIN %d SECONDS", d)
	return check(c, pattern, run(pattern, obs))
}

// TestInspectorComparisons replays the validator's inspector cases that
// list each pattern's comparisons by object type.
func TestInspectorComparisons(t *testing.T) {
	path := corpus.Path(t, "stix2-patterns", "pattern-validator", "v21", "test_inspector.cases.json")
	var insp struct {
		Cases []struct {
			Test   string `json:"test"`
			Params struct {
				Pattern  string                          `json:"pattern"`
				Expected map[string][][3]json.RawMessage `json:"expected_comparisons"`
			} `json:"params"`
		} `json:"parametrized_cases"`
	}
	readJSON(t, path, &insp)
	n := 0
	for _, c := range insp.Cases {
		if c.Test != "test_comparisons" {
			continue
		}
		n++
		p, err := Parse(c.Params.Pattern)
		if err != nil {
			t.Fatalf("%q: %v", c.Params.Pattern, err)
		}
		got := map[string][]string{}
		for _, cmp := range p.Comparisons() {
			got[cmp.ObjectType] = append(got[cmp.ObjectType], cmp.Path+" "+cmp.Operator+" "+cmp.Value)
		}
		want := map[string][]string{}
		for typ, list := range c.Params.Expected {
			for _, e := range list {
				var steps []any
				var op, val string
				if err := json.Unmarshal(e[0], &steps); err != nil {
					t.Fatal(err)
				}
				json.Unmarshal(e[1], &op)
				json.Unmarshal(e[2], &val)
				want[typ] = append(want[typ], inspectorPath(steps)+" "+op+" "+val)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: comparisons %v, want %v", c.Params.Pattern, got, want)
		}
	}
	if n == 0 {
		t.Fatal("no test_comparisons cases")
	}
	t.Logf("pattern-validator v21 inspector: %d comparison cases checked", n)
}

// inspectorPath renders the inspector's path list in pattern syntax.
func inspectorPath(steps []any) string {
	var b strings.Builder
	for i, s := range steps {
		switch v := s.(type) {
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainIdent(v) {
				b.WriteString(v)
			} else {
				b.WriteString(quote(v))
			}
		case float64:
			b.WriteString("[" + strconv.Itoa(int(v)) + "]")
		case map[string]any: // {"$name": "INDEX_STAR"}
			b.WriteString("[*]")
		}
	}
	return b.String()
}
