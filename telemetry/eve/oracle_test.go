package eve

// The first EVE decoder, on encoding/json and structs, kept as the oracle
// that the in-place decoder is compared with (TestAgainstOracle).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// oracleDecode decodes one EVE line the slow, obvious way.
func oracleDecode(line []byte, e *event.Event) error {
	var rec record
	if err := json.Unmarshal(line, &rec); err != nil {
		return err
	}
	e.Reset()
	return rec.fill(e)
}

// record is the part of an EVE record that umbra uses. Field names follow
// Suricata's EVE format documentation (docs.suricata.io, "Eve JSON Format").
type record struct {
	Timestamp   string          `json:"timestamp"`
	FlowID      json.Number     `json:"flow_id"`
	EventType   string          `json:"event_type"`
	SrcIP       string          `json:"src_ip"`
	SrcPort     json.Number     `json:"src_port"`
	DestIP      string          `json:"dest_ip"`
	DestPort    json.Number     `json:"dest_port"`
	Proto       json.RawMessage `json:"proto"` // a name ("TCP") or a number
	CommunityID string          `json:"community_id"`

	Flow     *flow     `json:"flow"`
	Netflow  *flow     `json:"netflow"`
	DNS      *dns      `json:"dns"`
	TLS      *tls      `json:"tls"`
	HTTP     *http     `json:"http"`
	FileInfo *fileInfo `json:"fileinfo"`
	SMTP     *smtp     `json:"smtp"`
	Email    *email    `json:"email"`
	QUIC     *tls      `json:"quic"`
}

type flow struct {
	BytesToServer uint64 `json:"bytes_toserver"`
	BytesToClient uint64 `json:"bytes_toclient"`
	Bytes         uint64 `json:"bytes"` // netflow records count one direction
}

// dns covers the three EVE DNS layouts: v1 (one record per query or
// answer: type, rrname, rrtype, rdata), v2 (one answer record with
// answers[] and grouped{}) and v3 (queries[], answers[], grouped{}).
type dns struct {
	Version int                        `json:"version"`
	Type    string                     `json:"type"`
	RRName  string                     `json:"rrname"`
	RRType  string                     `json:"rrtype"`
	RData   string                     `json:"rdata"`
	Queries []dnsQuery                 `json:"queries"`
	Answers []dnsRR                    `json:"answers"`
	Grouped map[string]json.RawMessage `json:"grouped"`
}

type dnsQuery struct {
	RRName string `json:"rrname"`
}

type dnsRR struct {
	RRName string          `json:"rrname"`
	RRType string          `json:"rrtype"`
	RData  json.RawMessage `json:"rdata"` // a string, or an object for some types
}

type tls struct {
	SNI         string   `json:"sni"`
	Subject     string   `json:"subject"`
	IssuerDN    string   `json:"issuerdn"`
	Serial      string   `json:"serial"`
	Fingerprint string   `json:"fingerprint"`
	SubjectAlt  []string `json:"subjectaltname"`
	JA3         *ja3     `json:"ja3"`
	JA3S        *ja3     `json:"ja3s"`
	JA4         string   `json:"ja4"`
}

type ja3 struct {
	Hash string `json:"hash"`
}

type http struct {
	Hostname       string   `json:"hostname"`
	URL            string   `json:"url"`
	UserAgent      string   `json:"http_user_agent"`
	RequestHeaders []header `json:"request_headers"`
}

type header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type fileInfo struct {
	Filename string `json:"filename"`
	MD5      string `json:"md5"`
	SHA1     string `json:"sha1"`
	SHA256   string `json:"sha256"`
}

type smtp struct {
	MailFrom string   `json:"mail_from"`
	RcptTo   []string `json:"rcpt_to"`
}

type email struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	CC   []string `json:"cc"`
}

func (rec *record) fill(e *event.Event) error {
	e.Sensor = "suricata"
	if rec.Timestamp != "" {
		t, err := time.Parse(timeLayout, rec.Timestamp)
		if err != nil {
			if t, err = time.Parse(time.RFC3339Nano, rec.Timestamp); err != nil {
				return fmt.Errorf("bad timestamp %q", clip(rec.Timestamp))
			}
		}
		e.Time = t.UTC()
	}
	if rec.FlowID != "" {
		if _, err := strconv.ParseUint(string(rec.FlowID), 10, 64); err != nil {
			return fmt.Errorf("bad flow_id %q", clip(string(rec.FlowID)))
		}
		e.UID = string(rec.FlowID)
	}
	var err error
	if e.SrcIP, err = addr("src_ip", rec.SrcIP); err != nil {
		return err
	}
	if e.DstIP, err = addr("dest_ip", rec.DestIP); err != nil {
		return err
	}
	if e.SrcPort, err = port("src_port", rec.SrcPort); err != nil {
		return err
	}
	if e.DstPort, err = port("dest_port", rec.DestPort); err != nil {
		return err
	}
	e.Proto = protoNumber(strings.Trim(string(rec.Proto), `"`))
	e.CommunityID = rec.CommunityID

	switch rec.EventType {
	case "flow", "netflow":
		e.Kind = event.KindConn
	case "dns":
		e.Kind = event.KindDNS
	case "tls", "quic":
		e.Kind = event.KindTLS
	case "http":
		e.Kind = event.KindHTTP
	case "fileinfo":
		e.Kind = event.KindFile
	case "smtp":
		e.Kind = event.KindSMTP
	case "alert":
		e.Kind = event.KindAlert
	case "anomaly":
		e.Kind = event.KindWeird
	case "":
		return errors.New("no event_type")
	default:
		e.Kind = event.KindGeneric
	}

	if f := rec.Flow; f != nil {
		e.OrigBytes, e.RespBytes = f.BytesToServer, f.BytesToClient
	} else if f := rec.Netflow; f != nil {
		e.OrigBytes = f.Bytes
	}
	if d := rec.DNS; d != nil {
		if err := d.fill(e); err != nil {
			return err
		}
	}
	t := rec.TLS
	if t == nil {
		t = rec.QUIC // QUIC logs the TLS handshake's sni, ja3 and ja4 in the same shape
	}
	if t != nil {
		e.SNI = t.SNI
		e.CertSubject = t.Subject
		e.CertIssuer = t.IssuerDN
		e.CertSerial = serial(t.Serial)
		e.CertSHA1 = fingerprint(t.Fingerprint)
		e.CertNames = append(e.CertNames, t.SubjectAlt...)
		if t.JA3 != nil {
			e.JA3 = strings.ToLower(t.JA3.Hash)
		}
		if t.JA3S != nil {
			e.JA3S = strings.ToLower(t.JA3S.Hash)
		}
		e.JA4 = t.JA4
	}
	if h := rec.HTTP; h != nil {
		e.Host = h.Hostname
		e.URI = h.URL
		e.UserAgent = h.UserAgent
		switch {
		case strings.HasPrefix(h.URL, "http://") || strings.HasPrefix(h.URL, "https://"):
			e.URL = h.URL
		case h.Hostname != "" && h.URL != "":
			e.URL = "http://" + h.Hostname + h.URL
		}
		for _, hd := range h.RequestHeaders {
			if strings.EqualFold(hd.Name, "cookie") {
				e.Cookies = appendCookieNames(e.Cookies, hd.Value)
			}
		}
	}
	if f := rec.FileInfo; f != nil {
		e.FileName = f.Filename
		e.MD5 = strings.ToLower(f.MD5)
		e.SHA1 = strings.ToLower(f.SHA1)
		e.SHA256 = strings.ToLower(f.SHA256)
	}
	if s := rec.SMTP; s != nil {
		e.Emails = appendAddrs(e.Emails, s.MailFrom)
		e.Emails = appendAddrs(e.Emails, s.RcptTo...)
	}
	if m := rec.Email; m != nil {
		e.Emails = appendAddrs(e.Emails, m.From)
		e.Emails = appendAddrs(e.Emails, m.To...)
		e.Emails = appendAddrs(e.Emails, m.CC...)
	}
	return nil
}

func (d *dns) fill(e *event.Event) error {
	switch {
	case len(d.Queries) > 0: // v3
		e.Domain = d.Queries[0].RRName
	default: // v1 query or answer, v2 answer: the name asked or answered
		e.Domain = d.RRName
	}
	if d.RData != "" && (d.RRType == "A" || d.RRType == "AAAA") { // v1 answer
		if a, err := netip.ParseAddr(d.RData); err == nil {
			e.Answers = append(e.Answers, a)
		}
	}
	for _, rr := range d.Answers {
		if rr.RRType != "A" && rr.RRType != "AAAA" {
			continue
		}
		var s string
		if json.Unmarshal(rr.RData, &s) == nil {
			if a, err := netip.ParseAddr(s); err == nil {
				e.Answers = append(e.Answers, a)
			}
		}
	}
	if len(d.Answers) == 0 {
		// Suricata may log only the grouped form (answer formats "grouped").
		for _, typ := range []string{"A", "AAAA"} {
			var addrs []string
			if raw, ok := d.Grouped[typ]; ok && json.Unmarshal(raw, &addrs) == nil {
				for _, s := range addrs {
					if a, err := netip.ParseAddr(s); err == nil {
						e.Answers = append(e.Answers, a)
					}
				}
			}
		}
	}
	return nil
}

func addr(field, s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s: bad IP %q", field, clip(s))
	}
	return a, nil
}

func port(field string, n json.Number) (uint16, error) {
	if n == "" {
		return 0, nil
	}
	p, err := strconv.ParseUint(string(n), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%s: bad port %q", field, clip(string(n)))
	}
	return uint16(p), nil
}

// TestAgainstOracle decodes every fixture line and every record rebuilt
// from suricata-verify with both decoders and expects the same result.
func TestAgainstOracle(t *testing.T) {
	var lines [][]byte
	if b, err := os.ReadFile("testdata/eve.json"); err == nil {
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines = append(lines, l)
			}
		}
	}
	if root := corpus.Root(); root != "" {
		filepath.WalkDir(filepath.Join(root, "suricata-verify", "tests"), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.Name() != "test.yaml" {
				return nil
			}
			for _, m := range matchBlocks(t, p) {
				rec := map[string]any{}
				for k, v := range m {
					if !strings.Contains(k, "__") {
						setPath(rec, k, v)
					}
				}
				if b, err := json.Marshal(rec); err == nil {
					lines = append(lines, b)
				}
			}
			return nil
		})
	}
	r := NewReader(nil, "oracle")
	compared := 0
	for _, l := range lines {
		var fast, slow event.Event
		errFast := r.decode(&fast, l)
		errSlow := oracleDecode(l, &slow)
		if (errFast == nil) != (errSlow == nil) {
			t.Errorf("%s\n fast: %v\n slow: %v", l, errFast, errSlow)
			continue
		}
		if errFast != nil {
			continue
		}
		compared++
		if a, b := fmt.Sprintf("%+v", fast), fmt.Sprintf("%+v", slow); a != b {
			t.Errorf("%s\n fast %s\n slow %s", l, a, b)
		}
	}
	if compared < 20 {
		t.Errorf("compared only %d records", compared)
	}
	t.Logf("compared %d records", compared)
}
