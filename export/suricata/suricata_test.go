package suricata

import (
	"bytes"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sample() []indicator.Indicator {
	return []indicator.Indicator{
		{Type: indicator.IPv4, Value: "221.216.5.6", Actors: []indicator.Actor{{Name: "APT17", Confidence: 70}}},
		{Type: indicator.IPv6, Value: "2001:db8::1"},
		{Type: indicator.CIDR, Value: "221.216.0.0/13"},
		{Type: indicator.Domain, Value: "update.example.com"},
		{Type: indicator.Domain, Value: "c2.example.net"},
		{Type: indicator.Domain, Value: "update.example.com"}, // duplicate
		{Type: indicator.UserAgent, Value: "Mozilla/4.0 (compatible; MSIE 8.0; Win32)"},
		{Type: indicator.FileName, Value: "loader.dll"},
		{Type: indicator.CertSHA1, Value: "2c322ae2b7fe91391345e070b63668978bb1c9da"},
		{Type: indicator.JA3, Value: "e7d705a3286e19ea42f587b344ee6865"},
		{Type: indicator.MD5, Value: "e19c1283c925b3206685ff522acfe3e6"},
		{Type: indicator.SHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{Type: indicator.URL, Value: "http://c2.example.net/gate.php"},
		{Type: indicator.Email, Value: "registrant@example.org"},
	}
}

func write(t *testing.T) (string, Summary) {
	t.Helper()
	dir := t.TempDir()
	sum, err := Write(dir, slices.Values(sample()), Options{Description: "Burning Umbrella; test"})
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func TestGolden(t *testing.T) {
	dir, sum := write(t)
	var buf bytes.Buffer
	for _, f := range sum.Files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("==> " + f + " <==\n")
		buf.Write(b)
	}
	golden := filepath.Join("testdata", "small.golden")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("output differs from %s (run with -update to accept):\n%s", golden, buf.Bytes())
	}
}

// rule is a parsed Suricata rule: header and ordered options.
type rule struct {
	action, proto string
	opts          [][2]string // keyword, value
}

var headerRE = regexp.MustCompile(`^(alert) (\S+) (\S+) (\S+) (->|<>) (\S+) (\S+) \((.*)\)$`)

// parseRules reads rules the way Suricata splits them: header, then
// options separated by ';' outside quoted strings and escapes.
func parseRules(t *testing.T, data []byte) []rule {
	t.Helper()
	var out []rule
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		m := headerRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d: not a rule: %q", n+1, line)
		}
		r := rule{action: m[1], proto: m[2]}
		body := m[8]
		var cur strings.Builder
		inQuote, esc := false, false
		for i := 0; i < len(body); i++ {
			c := body[i]
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inQuote = !inQuote
			case c == ';' && !inQuote:
				opt := strings.TrimSpace(cur.String())
				cur.Reset()
				k, v, _ := strings.Cut(opt, ":")
				r.opts = append(r.opts, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
				continue
			}
			cur.WriteByte(c)
		}
		if inQuote || strings.TrimSpace(cur.String()) != "" {
			t.Fatalf("line %d: unterminated option %q", n+1, cur.String())
		}
		out = append(out, r)
	}
	return out
}

func (r rule) get(k string) (string, bool) {
	for _, o := range r.opts {
		if o[0] == k {
			return o[1], true
		}
	}
	return "", false
}

// datasetRE is the dataset keyword as suricata-verify's dataset tests
// write it: operation, name, then "key value" settings.
var datasetRE = regexp.MustCompile(`^(isset|isnotset|set),([A-Za-z0-9_-]+)((?:,\s*[a-z_]+ [^,]+)+)$`)

// referenceVocabulary collects the dataset settings, iprep form and file
// keywords that suricata-verify's tests use, so our rules are checked
// against what Suricata demonstrably accepts.
func referenceVocabulary(t *testing.T) (settings map[string]bool, buffers map[string]bool) {
	settings, buffers = map[string]bool{}, map[string]bool{}
	root := corpus.Path(t, "suricata-verify", "tests")
	for _, d := range []string{"datasets-04-http-dns", "datasets-match-subdomain", "filemd5", "issue-4280-iprep"} {
		files, _ := filepath.Glob(filepath.Join(root, d, "*.rules"))
		if len(files) == 0 {
			t.Fatalf("%s: no rules", d)
		}
		for _, f := range files {
			data, _ := os.ReadFile(f)
			for _, r := range parseRules(t, data) {
				for i, o := range r.opts {
					if o[0] == "dataset" {
						m := datasetRE.FindStringSubmatch(o[1])
						if m == nil {
							t.Fatalf("%s: reference dataset %q does not match the checker", f, o[1])
						}
						for _, kv := range strings.Split(m[3], ",")[1:] {
							k, _, _ := strings.Cut(strings.TrimSpace(kv), " ")
							settings[k] = true
						}
						buffers[r.opts[i-1][0]] = true
					}
				}
			}
		}
	}
	return settings, buffers
}

func TestRulesAgainstSuricataVerify(t *testing.T) {
	settings, refBuffers := referenceVocabulary(t)
	for _, k := range []string{"type", "load"} {
		if !settings[k] {
			t.Fatalf("reference rules lack dataset setting %q; checker is wrong", k)
		}
	}
	for _, b := range []string{"dns.query", "http.host"} {
		if !refBuffers[b] {
			t.Fatalf("reference rules lack buffer %s", b)
		}
	}
	dir, sum := write(t)
	data, err := os.ReadFile(filepath.Join(dir, "umbra.rules"))
	if err != nil {
		t.Fatal(err)
	}
	rules := parseRules(t, data)
	if len(rules) != sum.Rules || len(rules) == 0 {
		t.Fatalf("%d rules parsed, summary says %d", len(rules), sum.Rules)
	}
	// Buffers beyond the reference tests are Suricata sticky buffers
	// documented for these protocols.
	documented := map[string]string{"dns.query": "dns", "tls.sni": "tls", "http.host": "http", "http.user_agent": "http",
		"file.name": "http", "tls.cert_fingerprint": "tls", "ja3.hash": "tls", "ja3s.hash": "tls", "ja4.hash": "tls"}
	sids := map[int]bool{}
	datasets := map[string]string{} // name -> file
	for _, r := range rules {
		sidS, ok := r.get("sid")
		sid, err := strconv.Atoi(sidS)
		if !ok || err != nil || sids[sid] || sid < 1000000 || sid > 1999999 {
			t.Errorf("bad or duplicate sid %q", sidS)
		}
		sids[sid] = true
		if m, ok := r.get("msg"); !ok || !strings.HasPrefix(m, `"`) || !strings.HasSuffix(m, `"`) {
			t.Errorf("sid %d: msg %q not quoted", sid, m)
		}
		if _, ok := r.get("rev"); !ok {
			t.Errorf("sid %d: no rev", sid)
		}
		for i, o := range r.opts {
			switch o[0] {
			case "dataset":
				m := datasetRE.FindStringSubmatch(o[1])
				if m == nil || m[1] != "isset" {
					t.Fatalf("sid %d: dataset %q", sid, o[1])
				}
				kv := map[string]string{}
				for _, s := range strings.Split(m[3], ",")[1:] {
					k, v, _ := strings.Cut(strings.TrimSpace(s), " ")
					if !settings[k] {
						t.Errorf("sid %d: dataset setting %q is not used by any reference rule", sid, k)
					}
					kv[k] = v
				}
				if kv["type"] != "string" {
					t.Errorf("sid %d: dataset type %q", sid, kv["type"])
				}
				if f, ok := datasets[m[2]]; ok && f != kv["load"] {
					t.Errorf("dataset %s loaded from %s and %s", m[2], f, kv["load"])
				}
				datasets[m[2]] = kv["load"]
				buf := r.opts[i-1][0]
				if proto, ok := documented[buf]; !ok || proto != r.proto {
					t.Errorf("sid %d: dataset on %s in an %s rule", sid, buf, r.proto)
				}
			case "filemd5", "filesha1", "filesha256":
				checkHexList(t, filepath.Join(dir, o[1]), map[string]int{"filemd5": 32, "filesha1": 40, "filesha256": 64}[o[0]])
			case "iprep":
				p := strings.Split(o[1], ",")
				if len(p) != 4 || p[0] != "any" || p[2] != ">" {
					t.Errorf("sid %d: iprep %q not in the reference form any,<category>,>,<n>", sid, o[1])
				}
				checkReputation(t, dir, p[1])
			}
		}
	}
	// Every string dataset file decodes to the values given, one per line.
	want := map[string][]string{
		"umbra-domains.lst":     {"update.example.com", "c2.example.net"},
		"umbra-user-agents.lst": {"Mozilla/4.0 (compatible; MSIE 8.0; Win32)"},
		"umbra-file-names.lst":  {"loader.dll"},
		"umbra-cert-sha1.lst":   {"2c:32:2a:e2:b7:fe:91:39:13:45:e0:70:b6:36:68:97:8b:b1:c9:da"},
		"umbra-ja3.lst":         {"e7d705a3286e19ea42f587b344ee6865"},
	}
	if len(datasets) != len(want) {
		t.Errorf("datasets %v", datasets)
	}
	for name, file := range datasets {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("dataset %s: %v", name, err)
		}
		var got []string
		for _, l := range strings.Fields(string(data)) {
			b, err := base64.StdEncoding.DecodeString(l)
			if err != nil {
				t.Fatalf("%s: %q is not base64", file, l)
			}
			got = append(got, string(b))
		}
		if !slices.Equal(got, want[file]) {
			t.Errorf("%s holds %q, want %q", file, got, want[file])
		}
	}
	if len(sum.Skipped) != 2 {
		t.Errorf("URL and e-mail should be reported as skipped: %+v", sum.Skipped)
	}
}

var hexLine = regexp.MustCompile(`^[0-9a-f]+$`)

func checkHexList(t *testing.T, path string, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(filepath.Join(corpus.Path(t, "suricata-verify", "tests", "filemd5"), "target.md5"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range append(strings.Fields(string(data)), strings.Fields(string(ref))...) {
		if !hexLine.MatchString(l) || (len(l) != n && len(l) != 32) {
			t.Errorf("%s: hash line %q", path, l)
		}
	}
}

var categoryLine = regexp.MustCompile(`^(\d+),([^,]+),(.+)$`)
var reputationLine = regexp.MustCompile(`^([0-9a-fA-F.:]+(?:/\d+)?),(\d+),(\d+)$`)

func checkReputation(t *testing.T, dir, short string) {
	t.Helper()
	ref := corpus.Path(t, "suricata-verify", "tests", "issue-4280-iprep")
	// The checker's line formats hold for the reference files first.
	for _, f := range []string{"scirius-categories.txt", "scirius-iprep.list"} {
		data, _ := os.ReadFile(filepath.Join(ref, f))
		re := categoryLine
		if strings.HasSuffix(f, ".list") {
			re = reputationLine
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if !strings.HasPrefix(l, "#") && !re.MatchString(l) {
				t.Fatalf("%s: reference line %q does not match the checker", f, l)
			}
		}
	}
	cats, err := os.ReadFile(filepath.Join(dir, "umbra-categories.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := categoryLine.FindStringSubmatch(strings.TrimSpace(string(cats)))
	if m == nil || m[2] != short {
		t.Fatalf("category file %q does not define %q", cats, short)
	}
	rep, _ := os.ReadFile(filepath.Join(dir, "umbra.iprep"))
	var addrs []string
	for _, l := range strings.Split(strings.TrimSpace(string(rep)), "\n") {
		r := reputationLine.FindStringSubmatch(l)
		if r == nil || r[2] != m[1] {
			t.Fatalf("reputation line %q", l)
		}
		if s, _ := strconv.Atoi(r[3]); s < 1 || s > 127 {
			t.Fatalf("score %d out of Suricata's range", s)
		}
		addrs = append(addrs, r[1])
	}
	sort.Strings(addrs)
	if !slices.Equal(addrs, []string{"2001:db8::1", "221.216.0.0/13", "221.216.5.6"}) {
		t.Fatalf("reputation addresses %q", addrs)
	}
	if !strings.Contains(string(rep), "221.216.5.6,1,70\n") {
		t.Fatalf("actor confidence not used as score: %q", rep)
	}
}

func TestOptionsValidated(t *testing.T) {
	for _, o := range []Options{{Category: 60}, {Prefix: "a b"}, {Prefix: "../x"}} {
		if _, err := Write(t.TempDir(), slices.Values(sample()), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	// A message with quotes and semicolons stays one option.
	dir := t.TempDir()
	if _, err := Write(dir, slices.Values(sample()[:1]), Options{Description: `say "hi"; sid:1;`}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "umbra.rules"))
	rules := parseRules(t, data)
	if len(rules) != 1 {
		t.Fatalf("%d rules", len(rules))
	}
	if s, _ := rules[0].get("sid"); s != "1700000" {
		t.Fatalf("description injected an option: sid %q in %s", s, data)
	}
}

func BenchmarkWrite(b *testing.B) {
	inds := make([]indicator.Indicator, 0, 20000)
	for i := range 10000 {
		inds = append(inds, indicator.Indicator{Type: indicator.Domain, Value: "h" + strconv.Itoa(i) + ".example.com"},
			indicator.Indicator{Type: indicator.IPv4, Value: "198.51." + strconv.Itoa(i/256%256) + "." + strconv.Itoa(i%256)})
	}
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Write(dir, slices.Values(inds), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// Domains that cover their subdomains use the dotprefix / match subdomain
// form of suricata-verify's datasets-match-subdomain test.
func TestSubdomainMatch(t *testing.T) {
	in := []indicator.Indicator{
		{Type: indicator.Domain, Value: "evil.com", Subdomains: true},
		{Type: indicator.Domain, Value: "exact.example"},
	}
	settings, _ := referenceVocabulary(t)
	if !settings["match"] {
		t.Fatal("reference rules lack the match setting")
	}
	for _, on := range []bool{false, true} {
		dir := t.TempDir()
		sum, err := Write(dir, slices.Values(in), Options{SubdomainMatch: on})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "umbra.rules"))
		rules := parseRules(t, data)
		suffixRules := 0
		for _, r := range rules {
			ds, _ := r.get("dataset")
			if !strings.Contains(ds, "match subdomain") {
				continue
			}
			suffixRules++
			if _, ok := r.get("dotprefix"); !ok {
				t.Errorf("subdomain dataset without dotprefix: %v", r.opts)
			}
		}
		if on != (suffixRules == 3) || sum.Written != 2 {
			t.Fatalf("SubdomainMatch=%v: %d suffix rules, summary %+v", on, suffixRules, sum)
		}
		if on {
			ref, _ := os.ReadFile(filepath.Join(corpus.Path(t, "suricata-verify", "tests", "datasets-match-subdomain"), "domains.lst"))
			got, _ := os.ReadFile(filepath.Join(dir, "umbra-domain-suffixes.lst"))
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(ref)) {
				t.Fatalf("suffix list %q, reference %q", got, ref)
			}
		}
	}
}
