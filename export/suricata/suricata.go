// Package suricata writes umbra indicators as Suricata detection content:
// string datasets with the rules that consult them (DNS queries, TLS SNI,
// HTTP hosts, user-agents, certificate fingerprints, JA3/JA4, file names),
// file-hash lists for filemd5/filesha1/filesha256, and an IP reputation
// list with its category file for addresses and prefixes.
//
// Everything lands in one directory beside one .rules file; the rules
// load their lists by relative name, which Suricata resolves against the
// rule file's directory.
package suricata

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Options name the files and rules Write produces.
type Options struct {
	// Prefix starts every file and dataset name; "umbra" when empty.
	Prefix string
	// FirstSID is the first rule id; 1700000 (in the 1000000-1999999
	// range reserved for local rules) when zero.
	FirstSID int
	// Category is the IP reputation category id (1-59); 1 when zero.
	Category int
	// Description goes into the reputation category and rule messages.
	Description string
	// SubdomainMatch writes domains whose indicator covers subdomains into
	// a dotprefix/"match subdomain" dataset, which needs Suricata 8.0.7 or
	// later. Off, such domains are matched exactly, like the others.
	SubdomainMatch bool
}

// Skip is an indicator that was not written, and why.
type Skip struct {
	Indicator indicator.Indicator
	Reason    string
}

// Summary tells what Write produced.
type Summary struct {
	Written int            // indicators written to some list
	Rules   int            // rules in the .rules file
	Files   []string       // file names written, rules file first
	ByList  map[string]int // entries per list file
	Skipped []Skip
}

// stringSet is a string dataset and the sticky buffers that consult it.
type stringSet struct {
	name    string // suffix of the dataset and file name
	t       indicator.Type
	buffers []buffer
	what    string // for rule messages
}

type buffer struct{ proto, keyword string }

var stringSets = []stringSet{
	{"domains", indicator.Domain, []buffer{{"dns", "dns.query"}, {"tls", "tls.sni"}, {"http", "http.host"}}, "listed domain"},
	{"user-agents", indicator.UserAgent, []buffer{{"http", "http.user_agent"}}, "listed user-agent"},
	{"file-names", indicator.FileName, []buffer{{"http", "file.name"}}, "listed file name"},
	{"cert-sha1", indicator.CertSHA1, []buffer{{"tls", "tls.cert_fingerprint"}}, "listed certificate"},
	{"ja3", indicator.JA3, []buffer{{"tls", "ja3.hash"}}, "listed JA3 client fingerprint"},
	{"ja3s", indicator.JA3S, []buffer{{"tls", "ja3s.hash"}}, "listed JA3S server fingerprint"},
	{"ja4", indicator.JA4, []buffer{{"tls", "ja4.hash"}}, "listed JA4 client fingerprint"},
}

// hashLists are the file-hash keywords and the hex lists they load.
var hashLists = []struct {
	t       indicator.Type
	keyword string
	ext     string
}{
	{indicator.MD5, "filemd5", "md5"},
	{indicator.SHA1, "filesha1", "sha1"},
	{indicator.SHA256, "filesha256", "sha256"},
}

// DatasetValue is how a value of type t is spelled in the buffer Suricata
// compares: certificate fingerprints as colon-separated lowercase hex
// (tls.cert_fingerprint), everything else as umbra normalises it.
func DatasetValue(t indicator.Type, v string) string {
	if t != indicator.CertSHA1 {
		return v
	}
	var b strings.Builder
	for i := 0; i+1 < len(v); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToLower(v[i : i+2]))
	}
	return b.String()
}

// Write writes the lists, the rules and a suricata.yaml fragment for the
// reputation files into dir, creating it if needed. Indicator types
// Suricata cannot match in this scheme (URLs, e-mail addresses, phones,
// cookies, ASNs, certificate serials, SHA-512, SHA-256 certificate
// fingerprints) are listed in the Summary.
func Write(dir string, inds iter.Seq[indicator.Indicator], opts Options) (Summary, error) {
	if opts.Prefix == "" {
		opts.Prefix = "umbra"
	}
	if opts.FirstSID == 0 {
		opts.FirstSID = 1700000
	}
	if opts.Category == 0 {
		opts.Category = 1
	}
	if opts.Category < 1 || opts.Category > 59 {
		return Summary{}, fmt.Errorf("reputation category %d: Suricata allows 1 to 59", opts.Category)
	}
	if !validName(opts.Prefix) {
		return Summary{}, fmt.Errorf("prefix %q: use letters, digits, '-' and '_'", opts.Prefix)
	}
	sum := Summary{ByList: map[string]int{}}
	byType := map[indicator.Type][]string{}
	seen := map[indicator.Type]map[string]bool{}
	rep := map[string]int{} // address or prefix -> score
	var repOrder []string
	var suffixes []string
	seenSuffix := map[string]bool{}
	for ind := range inds {
		if opts.SubdomainMatch && ind.Type == indicator.Domain && ind.Subdomains && ind.Value != "" {
			if !seenSuffix[ind.Value] {
				seenSuffix[ind.Value] = true
				suffixes = append(suffixes, ind.Value)
			}
			sum.Written++
			continue
		}
		switch ind.Type {
		case indicator.IPv4, indicator.IPv6, indicator.CIDR:
			if strings.ContainsAny(ind.Value, ",\n\r\t ") || ind.Value == "" {
				sum.Skipped = append(sum.Skipped, Skip{ind, "not an address or prefix"})
				continue
			}
			if _, ok := rep[ind.Value]; !ok {
				repOrder = append(repOrder, ind.Value)
			}
			rep[ind.Value] = max(rep[ind.Value], score(ind))
			sum.Written++
			continue
		}
		if !supported(ind.Type) {
			sum.Skipped = append(sum.Skipped, Skip{ind, "no Suricata list for " + ind.Type.String()})
			continue
		}
		if ind.Value == "" {
			sum.Skipped = append(sum.Skipped, Skip{ind, "empty value"})
			continue
		}
		if isHashList(ind.Type) && !isHex(ind.Value) {
			sum.Skipped = append(sum.Skipped, Skip{ind, "hash is not hexadecimal"})
			continue
		}
		if seen[ind.Type] == nil {
			seen[ind.Type] = map[string]bool{}
		}
		if !seen[ind.Type][ind.Value] {
			seen[ind.Type][ind.Value] = true
			byType[ind.Type] = append(byType[ind.Type], ind.Value)
		}
		sum.Written++
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, err
	}
	rulesName := opts.Prefix + ".rules"
	sum.Files = append(sum.Files, rulesName)
	var rules []string
	sid := opts.FirstSID
	msg := func(s string) string {
		m := "umbra: " + s
		if opts.Description != "" {
			m += " (" + opts.Description + ")"
		}
		return ruleString(m)
	}
	for _, set := range stringSets {
		vals := byType[set.t]
		if len(vals) == 0 {
			continue
		}
		name := opts.Prefix + "-" + set.name
		file := name + ".lst"
		lines := make([]string, len(vals))
		for i, v := range vals {
			lines[i] = base64.StdEncoding.EncodeToString([]byte(DatasetValue(set.t, v)))
		}
		if err := writeLines(filepath.Join(dir, file), lines); err != nil {
			return sum, err
		}
		sum.Files = append(sum.Files, file)
		sum.ByList[file] = len(lines)
		for _, b := range set.buffers {
			rules = append(rules, fmt.Sprintf(`alert %s any any -> any any (msg:"%s"; %s; dataset:isset,%s,type string,load %s; classtype:trojan-activity; sid:%d; rev:1;)`,
				b.proto, msg(b.keyword+" matches a "+set.what), b.keyword, name, file, sid))
			sid++
		}
	}
	if len(suffixes) > 0 {
		name := opts.Prefix + "-domain-suffixes"
		file := name + ".lst"
		lines := make([]string, len(suffixes))
		for i, v := range suffixes {
			// dotprefix turns the query "www.evil.com" into ".www.evil.com",
			// which "match subdomain" finds under ".evil.com" (and the apex
			// ".evil.com" itself).
			lines[i] = base64.StdEncoding.EncodeToString([]byte("." + v))
		}
		if err := writeLines(filepath.Join(dir, file), lines); err != nil {
			return sum, err
		}
		sum.Files = append(sum.Files, file)
		sum.ByList[file] = len(lines)
		for _, b := range stringSets[0].buffers {
			rules = append(rules, fmt.Sprintf(`alert %s any any -> any any (msg:"%s"; %s; dotprefix; dataset:isset,%s,type string,match subdomain,load %s; classtype:trojan-activity; sid:%d; rev:1;)`,
				b.proto, msg(b.keyword+" is in a listed domain"), b.keyword, name, file, sid))
			sid++
		}
	}
	for _, h := range hashLists {
		vals := byType[h.t]
		if len(vals) == 0 {
			continue
		}
		file := opts.Prefix + "." + h.ext
		if err := writeLines(filepath.Join(dir, file), vals); err != nil {
			return sum, err
		}
		sum.Files = append(sum.Files, file)
		sum.ByList[file] = len(vals)
		rules = append(rules, fmt.Sprintf(`alert http any any -> any any (msg:"%s"; %s:%s; classtype:trojan-activity; sid:%d; rev:1;)`,
			msg("file with a listed "+strings.ToUpper(h.ext)+" hash"), h.keyword, file, sid))
		sid++
	}
	if len(repOrder) > 0 {
		short := opts.Prefix
		catFile := opts.Prefix + "-categories.txt"
		repFile := opts.Prefix + ".iprep"
		desc := opts.Description
		if desc == "" {
			desc = "umbra threat intelligence"
		}
		if err := writeLines(filepath.Join(dir, catFile), []string{fmt.Sprintf("%d,%s,%s", opts.Category, short, listField(desc))}); err != nil {
			return sum, err
		}
		lines := make([]string, len(repOrder))
		for i, a := range repOrder {
			lines[i] = fmt.Sprintf("%s,%d,%d", a, opts.Category, rep[a])
		}
		if err := writeLines(filepath.Join(dir, repFile), lines); err != nil {
			return sum, err
		}
		yaml := []string{
			"# Add to suricata.yaml so Suricata loads umbra's IP reputation list.",
			"# Paths are relative to this directory; make them absolute if Suricata runs elsewhere.",
			"reputation-categories-file: " + catFile,
			"default-reputation-path: .",
			"reputation-files:",
			"  - " + repFile,
		}
		yamlFile := opts.Prefix + "-reputation.yaml"
		if err := writeLines(filepath.Join(dir, yamlFile), yaml); err != nil {
			return sum, err
		}
		sum.Files = append(sum.Files, catFile, repFile, yamlFile)
		sum.ByList[repFile] = len(lines)
		rules = append(rules, fmt.Sprintf(`alert ip any any -> any any (msg:"%s"; iprep:any,%s,>,0; classtype:trojan-activity; sid:%d; rev:1;)`,
			msg("address on the reputation list"), short, sid))
	}
	sum.Rules = len(rules)
	header := []string{
		"# umbra indicators for Suricata. The lists are loaded by relative name: keep them in",
		"# the directory of this file (or in default-rule-path). The iprep rule also needs",
		"# the settings in " + opts.Prefix + "-reputation.yaml; ja4.hash needs a Suricata built with JA4.",
	}
	if err := writeLines(filepath.Join(dir, rulesName), append(header, rules...)); err != nil {
		return sum, err
	}
	return sum, nil
}

// score is the reputation score of an address: the highest confidence of
// the actors behind it, or 100 when no actor is named. Suricata rules test
// it with iprep ... >,0, so any listed address fires.
func score(ind indicator.Indicator) int {
	if len(ind.Actors) == 0 {
		return 100
	}
	s := 1
	for _, a := range ind.Actors {
		s = max(s, min(a.Confidence, 127))
	}
	return s
}

func supported(t indicator.Type) bool {
	for _, s := range stringSets {
		if s.t == t {
			return true
		}
	}
	return isHashList(t)
}

func isHashList(t indicator.Type) bool {
	for _, h := range hashLists {
		if h.t == t {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// ruleString makes s safe inside a quoted rule option: Suricata ends the
// option at an unescaped ';' or '"', so those and '\' are escaped.
func ruleString(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `;`, `\;`).Replace(s)
}

// listField makes s safe as a field of a comma-separated list line.
func listField(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ", ",", " ").Replace(s)
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
