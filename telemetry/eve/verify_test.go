package eve

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// TestSuricataVerify rebuilds an EVE record from every "match:" block of
// the suricata-verify test.yaml files (the field values Suricata itself
// is tested to produce), decodes it, and checks that each field umbra maps
// arrived in the Event.
func TestSuricataVerify(t *testing.T) {
	root := corpus.Path(t, "suricata-verify", "tests")
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "test.yaml" {
			files = append(files, p)
		}
		return nil
	})
	checked := 0
	for _, file := range files {
		for i, m := range matchBlocks(t, file) {
			rec := map[string]any{}
			for k, v := range m {
				if strings.Contains(k, "__") { // suricata-verify's own operators (__len, __find)
					continue
				}
				setPath(rec, k, v)
			}
			if _, ok := rec["event_type"]; !ok {
				continue
			}
			line, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			var e event.Event
			r := NewReader(strings.NewReader(string(line)), file)
			if err := r.Next(&e); err != nil {
				t.Errorf("%s block %d: %v\n%s", file, i, err, line)
				continue
			}
			for k, v := range m {
				ok, known := check(&e, m, k, v)
				if !known {
					continue
				}
				checked++
				if !ok {
					t.Errorf("%s block %d: %s = %q not found in event %+v", file, i, k, v, e)
				}
			}
		}
	}
	t.Logf("checked %d fields from %d test.yaml files", checked, len(files))
	if checked < 60 {
		t.Errorf("checked only %d fields across %d files: the test.yaml parsing found too little", checked, len(files))
	}
}

var indexRE = regexp.MustCompile(`^(.*)\[(\d+)\]$`)

// check compares one expected EVE field with the event; known is false for
// fields umbra does not map.
func check(e *event.Event, m map[string]string, k, v string) (ok, known bool) {
	norm := func(s string) string {
		if a, err := netip.ParseAddr(s); err == nil {
			return a.String()
		}
		return s
	}
	switch k {
	case "src_ip":
		return e.SrcIP.String() == norm(v), true
	case "dest_ip":
		return e.DstIP.String() == norm(v), true
	case "src_port":
		return strconv.Itoa(int(e.SrcPort)) == v, true
	case "dest_port":
		return strconv.Itoa(int(e.DstPort)) == v, true
	case "community_id":
		return e.CommunityID == v, true
	case "event_type":
		want := map[string]event.Kind{"flow": event.KindConn, "dns": event.KindDNS, "tls": event.KindTLS,
			"http": event.KindHTTP, "fileinfo": event.KindFile, "alert": event.KindAlert, "anomaly": event.KindWeird}[v]
		if want == event.KindUnknown {
			want = event.KindGeneric
		}
		return e.Kind == want, true
	case "tls.sni":
		return e.SNI == v, true
	case "tls.subject":
		return e.CertSubject == v, true
	case "tls.issuerdn":
		return e.CertIssuer == v, true
	case "tls.ja3.hash":
		return e.JA3 == strings.ToLower(v), true
	case "tls.ja3s.hash":
		return e.JA3S == strings.ToLower(v), true
	case "tls.ja4":
		return e.JA4 == v, true
	case "tls.fingerprint":
		return e.CertSHA1 == strings.ToLower(strings.ReplaceAll(v, ":", "")), true
	case "tls.serial":
		return e.CertSerial == strings.TrimLeft(strings.ToUpper(strings.ReplaceAll(v, ":", "")), "0"), true
	case "http.hostname":
		return e.Host == v, true
	case "http.url":
		return e.URI == v, true
	case "http.http_user_agent":
		return e.UserAgent == v, true
	case "fileinfo.filename":
		return e.FileName == v, true
	case "fileinfo.md5":
		return e.MD5 == v, true
	case "fileinfo.sha1":
		return e.SHA1 == v, true
	case "fileinfo.sha256":
		return e.SHA256 == v, true
	case "dns.rrname", "dns.queries[0].rrname":
		return e.Domain == v, true
	}
	if sm := indexRE.FindStringSubmatch(k); sm != nil {
		switch {
		case sm[1] == "tls.subjectaltname":
			return slices.Contains(e.CertNames, v), true
		case sm[1] == "dns.grouped.A" || sm[1] == "dns.grouped.AAAA":
			return slices.Contains(e.Answers, netip.MustParseAddr(v)), true
		}
	}
	if strings.HasPrefix(k, "dns.answers[") && strings.HasSuffix(k, "].rdata") {
		typ := m[strings.TrimSuffix(k, "rdata")+"rrtype"]
		if typ == "A" || typ == "AAAA" {
			return slices.Contains(e.Answers, netip.MustParseAddr(v)), true
		}
	}
	return false, false
}

// matchBlocks extracts the key: value pairs of each "match:" block of a
// suricata-verify test.yaml: a deliberately small reader for the subset
// of YAML those files use (scalars, quoted scalars, folded continuations).
func matchBlocks(t *testing.T, path string) []map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []map[string]string
	var cur map[string]string
	matchIndent, entryIndent := -1, -1
	lastKey := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		raw := sc.Text()
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		if cur != nil && indent <= matchIndent {
			blocks = append(blocks, cur)
			cur, matchIndent, entryIndent = nil, -1, -1
		}
		if cur == nil {
			if text == "match:" {
				cur, matchIndent = map[string]string{}, indent
			}
			continue
		}
		if entryIndent < 0 {
			entryIndent = indent
		}
		if indent > entryIndent && lastKey != "" { // folded continuation
			cur[lastKey] += " " + text
			continue
		}
		k, v, ok := strings.Cut(text, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "[") || v == "" {
			lastKey = ""
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		cur[k], lastKey = v, k
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	return blocks
}

// setPath stores v at a dotted EVE path such as dns.answers[1].rdata,
// creating objects and arrays on the way. Integers and booleans become
// JSON numbers and booleans, as Suricata writes them.
func setPath(root map[string]any, path, v string) {
	var val any = v
	lastPart := path[strings.LastIndexByte(path, '.')+1:]
	stringField := slices.Contains([]string{"serial", "rdata", "rrname", "url", "hostname", "filename", "sni", "hash", "subject"}, lastPart)
	if n, err := strconv.ParseInt(v, 10, 64); !stringField && (err == nil && !strings.HasPrefix(v, "0") || v == "0") {
		val = n
	} else if v == "true" || v == "false" {
		val = v == "true"
	}
	parts := strings.Split(path, ".")
	var obj = root
	for i, p := range parts {
		last := i == len(parts)-1
		name, idx := p, -1
		if sm := indexRE.FindStringSubmatch(p); sm != nil {
			name = sm[1]
			idx, _ = strconv.Atoi(sm[2])
		}
		if idx < 0 {
			if last {
				obj[name] = val
				return
			}
			next, ok := obj[name].(map[string]any)
			if !ok {
				next = map[string]any{}
				obj[name] = next
			}
			obj = next
			continue
		}
		arr, _ := obj[name].([]any)
		for len(arr) <= idx {
			arr = append(arr, nil)
		}
		if last {
			arr[idx] = val
			obj[name] = arr
			return
		}
		next, ok := arr[idx].(map[string]any)
		if !ok {
			next = map[string]any{}
			arr[idx] = next
		}
		obj[name] = arr
		obj = next
	}
}
