package zeek

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
	"github.com/umbra-cti/umbra/telemetry/zeek/zeektest"
)

// readAll decodes a whole stream, returning good events and bad-record
// errors separately; it fails the test on any other error.
func readAll(t testing.TB, r source.Decoder) ([]event.Event, []*source.RecordError) {
	t.Helper()
	var good []event.Event
	var bad []*source.RecordError
	var e event.Event
	for {
		err := r.Next(&e)
		if err == io.EOF {
			return good, bad
		}
		var re *source.RecordError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		if err != nil {
			t.Fatalf("fatal error: %v", err)
		}
		good = append(good, e.Clone())
	}
}

func readFile(t *testing.T, path string) ([]event.Event, []*source.RecordError) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readAll(t, NewReader(f, path))
}

func one(t *testing.T, path string) []event.Event {
	t.Helper()
	good, bad := readFile(t, path)
	for _, b := range bad {
		t.Errorf("unexpected bad record: %v", b)
	}
	return good
}

var ip = netip.MustParseAddr

func TestConn(t *testing.T) {
	evs := one(t, "testdata/conn.log")
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	e := evs[0]
	want := event.Event{
		Time: time.Unix(1527163800, 0).UTC(), Sensor: "zeek", UID: "CconnG1", Kind: event.KindConn,
		Proto: 6, SrcIP: ip("10.1.1.5"), DstIP: ip("198.51.100.20"), SrcPort: 49152, DstPort: 443,
		CommunityID: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", OrigBytes: 1024, RespBytes: 65536,
	}
	e.Answers, e.ALPN, e.CertNames, e.Emails, e.Cookies = nil, nil, nil, nil, nil
	if !equalEvent(e, want) {
		t.Errorf("conn event\n got %+v\nwant %+v", e, want)
	}
	if evs[1].Proto != 17 || evs[1].OrigBytes != 0 || evs[1].CommunityID != "" {
		t.Errorf("unset fields: %+v", evs[1])
	}
	if evs[2].Proto != 58 || evs[2].SrcIP != ip("fe80::1") {
		t.Errorf("ICMPv6: proto %d src %v, want 58 fe80::1", evs[2].Proto, evs[2].SrcIP)
	}
}

func equalEvent(a, b event.Event) bool {
	return a.Time.Equal(b.Time) && a.Sensor == b.Sensor && a.UID == b.UID && a.Kind == b.Kind &&
		a.Proto == b.Proto && a.SrcIP == b.SrcIP && a.DstIP == b.DstIP && a.SrcPort == b.SrcPort &&
		a.DstPort == b.DstPort && a.CommunityID == b.CommunityID && a.OrigBytes == b.OrigBytes &&
		a.RespBytes == b.RespBytes
}

func TestDNS(t *testing.T) {
	evs := one(t, "testdata/dns.log")
	if len(evs) != 5 {
		t.Fatalf("got %d events, want 5", len(evs))
	}
	if evs[0].Domain != "update.kr-anti.example" ||
		!slices.Equal(evs[0].Answers, []netip.Addr{ip("203.0.113.7"), ip("203.0.113.8")}) {
		t.Errorf("event 0: domain %q answers %v", evs[0].Domain, evs[0].Answers)
	}
	if want := time.Unix(1527163200, 250000000); !evs[0].Time.Equal(want) {
		t.Errorf("time %v, want %v", evs[0].Time, want)
	}
	if !slices.Equal(evs[1].Answers, []netip.Addr{ip("2001:db8:1::7")}) || evs[1].SrcIP != ip("2001:db8::5") {
		t.Errorf("event 1: %v %v", evs[1].SrcIP, evs[1].Answers)
	}
	if evs[2].Domain != "tab\tin,name.example" || len(evs[2].Answers) != 0 {
		t.Errorf("escaped query %q answers %v", evs[2].Domain, evs[2].Answers)
	}
	if len(evs[3].Answers) != 0 || evs[4].Domain != "" {
		t.Errorf("(empty)/unset: %v %q", evs[3].Answers, evs[4].Domain)
	}
}

func TestTLSAndX509(t *testing.T) {
	evs := one(t, "testdata/ssl.log")
	e := evs[0]
	if e.Kind != event.KindTLS || e.SNI != "login.micros0ft-update.example" ||
		e.CertSHA256 != "a3f1c9e0b6d54e2f9a7c1b3d5e7f90112233445566778899aabbccddeeff0011" ||
		e.JA3 != "e7d705a3286e19ea42f587b344ee6865" || e.JA3S != "ec74a5c51106f0419184d0dd08fb05bc" ||
		e.JA4 != "t13d1516h2_8daaf6152771_02713d6af862" || !slices.Equal(e.ALPN, []string{"h2"}) ||
		e.CertSubject != "CN=login.micros0ft-update.example" || e.CertIssuer != "CN=R3,O=Let's Encrypt,C=US" {
		t.Errorf("ssl event: %+v", e)
	}
	if evs[1].SNI != "" || evs[1].CertSHA256 != "" || len(evs[1].ALPN) != 0 {
		t.Errorf("unset ssl fields leaked: %+v", evs[1])
	}
	x := one(t, "testdata/x509.log")[0]
	if x.Kind != event.KindX509 || x.UID != "FxA1" || x.CertSerial != "0BF6A4D3C2" ||
		x.CertSHA256 != "a3f1c9e0b6d54e2f9a7c1b3d5e7f90112233445566778899aabbccddeeff0011" ||
		x.CertSubject != `CN=login.micros0ft-update.example,O=Example\, Inc.` ||
		!slices.Equal(x.CertNames, []string{"login.micros0ft-update.example", "www.micros0ft-update.example"}) {
		t.Errorf("x509 event: %+v", x)
	}
	// Zeek 6's x509.log has no file id: the fingerprint names the record.
	z6 := "#separator \\x09\n#path\tx509\n#fields\tts\tfingerprint\tcertificate.serial\n#types\ttime\tstring\tstring\n" +
		"1527163300.100000\tA3F1C9E0B6D54E2F9A7C1B3D5E7F90112233445566778899AABBCCDDEEFF0011\t0BF6A4D3C2\n"
	evs6, bad := readAll(t, NewReader(strings.NewReader(z6), "x509.log"))
	if len(bad) > 0 || len(evs6) != 1 || evs6[0].UID != "a3f1c9e0b6d54e2f9a7c1b3d5e7f90112233445566778899aabbccddeeff0011" {
		t.Errorf("Zeek 6 x509 record: %+v, bad %v", evs6, bad)
	}
}

func TestHTTPFilesSMTPNoticeWeird(t *testing.T) {
	h := one(t, "testdata/http.log")
	if h[0].URL != "http://dl.example.org:8080/stage2/payload.bin?id=7" || h[0].Host != "dl.example.org:8080" ||
		h[0].UserAgent != "Mozilla/4.0 (compatible; MSIE 8.0)" || h[0].Proto != 6 ||
		!slices.Equal(h[0].Cookies, []string{"SESSID", "tracking", "theme"}) {
		t.Errorf("http 0: %+v", h[0])
	}
	if h[1].URL != "http://proxied.example.com/x" || h[1].User != "bob" {
		t.Errorf("http 1 (absolute URI): URL %q user %q", h[1].URL, h[1].User)
	}

	f := one(t, "testdata/files.log")[0]
	if f.Kind != event.KindFile || f.MD5 != "d41d8cd98f00b204e9800998ecf8427e" ||
		f.SHA1 != "da39a3ee5e6b4b0d3255bfef95601890afd80709" ||
		f.SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" ||
		f.FileName != "payload.bin" || f.UID != "ChttpC1" || f.SrcIP != ip("192.0.2.80") {
		t.Errorf("files: %+v", f)
	}
	fo := one(t, "testdata/files_old.log")[0]
	if fo.SrcIP != ip("192.0.2.90") || fo.DstIP != ip("10.1.1.21") || fo.UID != "ChttpC9" {
		t.Errorf("old files: src %v dst %v uid %q", fo.SrcIP, fo.DstIP, fo.UID)
	}

	s := one(t, "testdata/smtp.log")[0]
	wantMail := []string{"hr@go0gle-docs.example", "alice@victim.example", "bob@victim.example", "hr@go0gle-docs.example", "alice@victim.example"}
	if s.Kind != event.KindSMTP || !slices.Equal(s.Emails, wantMail) {
		t.Errorf("smtp emails %q, want %q", s.Emails, wantMail)
	}

	n := one(t, "testdata/notice.log")[0]
	if n.Kind != event.KindNotice || n.SrcIP != ip("10.1.1.66") || n.DstIP != ip("10.1.1.1") || n.DstPort != 22 {
		t.Errorf("notice: %+v", n)
	}
	w := one(t, "testdata/weird.log")[0]
	if w.Kind != event.KindWeird || w.UID != "CweirdF1" || w.DstPort != 80 {
		t.Errorf("weird: %+v", w)
	}
}

func TestMalformedTSV(t *testing.T) {
	good, bad := readFile(t, "testdata/malformed_conn.log")
	var uids []string
	for _, e := range good {
		uids = append(uids, e.UID)
	}
	if !slices.Equal(uids, []string{"CgoodH1", "CgoodH8"}) {
		t.Errorf("good records %v, want CgoodH1 CgoodH8", uids)
	}
	want := []struct {
		line   int64
		reason string
	}{
		{10, `field 3 (id.orig_h): bad IP "10.2.0.300"`},
		{11, `field 4 (id.orig_p): bad port "70000"`},
		{12, `field 1 (ts): bad time "not-a-time"`},
		{13, "4 fields, the header declares 9"},
		{14, "10 fields, the header declares 9"},
		{15, `field 8 (orig_bytes): bad count "-12"`},
	}
	if len(bad) != len(want) {
		t.Fatalf("got %d bad records %v, want %d", len(bad), bad, len(want))
	}
	for i, w := range want {
		if bad[i].Line != w.line || !strings.Contains(bad[i].Reason, w.reason) {
			t.Errorf("bad %d: line %d %q, want line %d containing %q", i, bad[i].Line, bad[i].Reason, w.line, w.reason)
		}
		if !strings.HasPrefix(bad[i].Error(), "testdata/malformed_conn.log:") {
			t.Errorf("error %q does not name the file", bad[i].Error())
		}
	}
}

func TestJSON(t *testing.T) {
	good, bad := readFile(t, "testdata/mixed.json.log")
	if len(good) != 6 {
		t.Fatalf("got %d good events, want 6", len(good))
	}
	s := good[0]
	if s.Kind != event.KindTLS || s.UID != "CjsonJ1" || s.SrcIP != ip("10.1.1.9") || s.DstPort != 443 ||
		s.SNI != "café.example" || s.JA3 != "e7d705a3286e19ea42f587b344ee6865" ||
		s.CertSHA256 != "a3f1c9e0b6d54e2f9a7c1b3d5e7f90112233445566778899aabbccddeeff0011" ||
		s.CertSubject != `CN=x\, y` || !s.Time.Equal(time.Date(2018, 5, 24, 12, 1, 40, 500000000, time.UTC)) {
		t.Errorf("nested ssl: %+v", s)
	}
	d := good[1]
	if d.Kind != event.KindDNS || d.Domain != "update.kr-anti.example" || !slices.Equal(d.Answers, []netip.Addr{ip("203.0.113.7")}) ||
		d.Proto != 17 || !d.Time.Equal(time.Unix(1527163200, 250000000)) {
		t.Errorf("dns: %+v", d)
	}
	h := good[2]
	if h.URL != "http://dl.example.org:8080/stage2/payload.bin?id=7" || !slices.Equal(h.Cookies, []string{"SESSID", "theme"}) {
		t.Errorf("http: %+v", h)
	}
	if good[3].Kind != event.KindGeneric {
		t.Errorf("loaded_scripts kind %v, want generic", good[3].Kind)
	}
	if good[4].CommunityID != "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" || good[4].RespBytes != 65536 {
		t.Errorf("conn: %+v", good[4])
	}
	if good[5].UID != "CjsonJ8" {
		t.Errorf("record after the bad ones: %q", good[5].UID)
	}
	if len(bad) != 2 || bad[0].Line != 6 || bad[1].Line != 7 || !strings.Contains(bad[1].Reason, "after the object") {
		t.Errorf("bad records %v, want lines 6 and 7", bad)
	}
}

func TestPathFromName(t *testing.T) {
	for name, want := range map[string]string{
		"conn.2018-03-24-10-00-00.log.gz":    "conn",
		"/logs/dns.15:00:00-16:00:00.log.gz": "dns",
		"ssl.log":                            "ssl",
		"x509":                               "x509",
	} {
		if got := PathFromName(name); got != want {
			t.Errorf("PathFromName(%q) = %q, want %q", name, got, want)
		}
	}
	if k := kindOfName("conn_top.log"); k != event.KindConn {
		t.Errorf("kindOfName(conn_top.log) = %v", k)
	}
	if k := kindOfName("ORIGINALdns.log"); k != event.KindUnknown {
		t.Errorf("kindOfName(ORIGINALdns.log) = %v", k)
	}
}

// TestHeaderlessRotated decodes a rotated, headerless conn log: the file
// name alone says which columns to expect.
func TestHeaderlessRotated(t *testing.T) {
	line := "1517336042.090842\tCi85EB2YjUI9a2eql6\t10.55.182.100\t14291\t10.233.233.5\t80\ttcp\t-\t3.000158\t0\t0\tS0\tT\tT\t0\tS\t2\t104\t0\t0\t(empty)\n"
	r := NewReader(strings.NewReader(line+line), filepath.Join("x", "conn.2018-03-24-10-00-00.log.gz"))
	good, bad := readAll(t, r)
	if len(good) != 2 || len(bad) != 0 || good[0].DstIP != ip("10.233.233.5") {
		t.Fatalf("good %d bad %v", len(good), bad)
	}
	r = NewReader(strings.NewReader(line), "mystery.log")
	if good, bad := readAll(t, r); len(good) != 0 || len(bad) != 1 {
		t.Errorf("unknown headerless: good %d bad %d, want 0 and 1", len(good), len(bad))
	}
}

func TestLongLine(t *testing.T) {
	hdr := "#separator \\x09\n#path\tconn\n#fields\tts\tuid\n#types\ttime\tstring\n"
	long := "1.0\t" + strings.Repeat("x", source.MaxLineBytes+10) + "\n"
	r := NewReader(strings.NewReader(hdr+long+"2.0\tCok\n"), "long.log")
	good, bad := readAll(t, r)
	if len(bad) != 1 || bad[0].Line != 5 || !strings.Contains(bad[0].Reason, "longer than") {
		t.Errorf("bad %v, want one too-long line 5", bad)
	}
	if len(good) != 1 || good[0].UID != "Cok" {
		t.Errorf("good %v, want the line after the long one", good)
	}
	// A line longer than the buffer but within the limit is decoded whole.
	mid := "3.0\t" + strings.Repeat("y", 300<<10) + "\n"
	good, bad = readAll(t, NewReader(strings.NewReader(hdr+mid), "mid.log"))
	if len(bad) != 0 || len(good) != 1 || len(good[0].UID) != 300<<10 {
		t.Errorf("mid line: good %d bad %v", len(good), bad)
	}
}

func TestStats(t *testing.T) {
	f, err := os.Open("testdata/malformed_conn.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f, "m.log")
	readAll(t, r)
	st := r.Stats()
	if st.Records != 2 || st.Bad != 6 || len(st.Errors) != 6 || st.Errors[0].Line != 10 {
		t.Errorf("stats %+v", st)
	}
}

// TestTruncatedGzip: the records before the cut are decoded, then the read
// error ends the stream, naming the file and the line it stopped at.
func TestTruncatedGzip(t *testing.T) {
	raw, err := os.ReadFile("testdata/conn.log")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := 0; i < 200; i++ {
		zw.Write(raw)
	}
	zw.Close()
	cut := buf.Bytes()[:buf.Len()/2]
	s, err := source.OpenReader(bytes.NewReader(cut), "cut.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(s, "cut.log.gz")
	var e event.Event
	good := 0
	for {
		err = r.Next(&e)
		if err != nil {
			break
		}
		good++
	}
	if good == 0 || err == io.EOF || !strings.HasPrefix(err.Error(), "cut.log.gz:") {
		t.Errorf("after %d records: %v, want a read error naming cut.log.gz", good, err)
	}
	if err2 := r.Next(&e); err2 != err {
		t.Errorf("the error is not sticky: %v then %v", err, err2)
	}
}

// The decoders report their counts in the common form.
var _ source.StatsReporter = (*Reader)(nil)

// TestMultiByteSeparator: Zeek allows any separator string; "||" takes the
// general path, with a set separator of ";".
func TestMultiByteSeparator(t *testing.T) {
	log := "#separator \\x7c\\x7c\n#set_separator||;\n#empty_field||(empty)\n#unset_field||-\n#path||dns\n" +
		"#fields||ts||uid||id.orig_h||query||answers\n#types||time||string||addr||string||vector[string]\n" +
		"1.5||C1||10.0.0.1||a.example||192.0.2.1;b.example;192.0.2.2\n" +
		"2.5||C2||10.0.0.1||b.example\n"
	good, bad := readAll(t, NewReader(strings.NewReader(log), "sep.log"))
	if len(good) != 1 || good[0].Domain != "a.example" ||
		!slices.Equal(good[0].Answers, []netip.Addr{ip("192.0.2.1"), ip("192.0.2.2")}) {
		t.Errorf("good %+v", good)
	}
	if len(bad) != 1 || bad[0].Line != 9 || !strings.Contains(bad[0].Reason, "4 fields, the header declares 5") {
		t.Errorf("bad %v", bad)
	}
}

// TestKeptEventsStayIntact keeps every event of logs far longer than one
// block of records' own values (uids, community ids, query names) and
// checks each against a copy taken as it was decoded: a later record
// must never change an earlier one's strings.
func TestKeptEventsStayIntact(t *testing.T) {
	for i, write := range []func(io.Writer, int, uint64) error{zeektest.ConnLog, zeektest.DNSLog} {
		var buf bytes.Buffer
		if err := write(&buf, 5000, uint64(i+7)); err != nil {
			t.Fatal(err)
		}
		r := NewReader(bytes.NewReader(buf.Bytes()), "kept.log")
		var kept []event.Event
		var copies []string
		for {
			var e event.Event
			err := r.Next(&e)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			kept = append(kept, e)
			copies = append(copies, strings.Clone(e.UID+"|"+e.CommunityID+"|"+e.Domain))
		}
		if len(kept) != 5000 {
			t.Fatalf("log %d: %d events, want 5000", i, len(kept))
		}
		for j, e := range kept {
			if got := e.UID + "|" + e.CommunityID + "|" + e.Domain; got != copies[j] {
				t.Fatalf("log %d, event %d: now %q, was %q when decoded", i, j, got, copies[j])
			}
			if e.UID == "" || (i == 0) != (e.CommunityID != "") || (i == 1) != (e.Domain != "") {
				t.Fatalf("log %d, event %d: uid %q community id %q query %q", i, j, e.UID, e.CommunityID, e.Domain)
			}
		}
	}
}

// TestAddrCacheAgreesWithParse feeds the address cache values that share
// prefixes, differ only past the end of a shorter one, repeat, are not
// addresses, and a run of new addresses long enough to switch the cache
// off and on again: every answer must be parseAddr's.
func TestAddrCacheAgreesWithParse(t *testing.T) {
	var vals []string
	for _, v := range []string{"10.0.0.1", "10.0.0.12", "10.0.0.123", "10.0.0.1", "1.2.3.4", "1.2.3.45", "255.255.255.255",
		"1.2.3.5", "9.9.9.9", "9.9.9.8", "2001:db8::1", "010.0.0.1", "10.0.0.256", "-", "10.0.0.1\t", "fe80::1%eth0", "10.0.0.12",
		"2601:18c:8002:1a30:e5e2:5e6a:1f37:a7c0", "2601:18c:8002:1a30:e5e2:5e6a:1f37:a7c", "2601:18c:8002:1a30:e5e2:5e6a:1f37:a7c0",
		"2601:18c:8002:1a30:e5e2:5e6a:1f37:a7c1", "fe80::1234:5678:9abc:def0%eth0", "fe80::1234:5678:9abc:def0",
		"2001:db8:0:0:0:0:0:1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8:0:0:0:0:0:1x", "::ffff:192.168.100.200",
		"1111:2222:3333:4444:5555:6666:7777:88888", "2601:18c:8002:1a30:e5e2:5e6a:1f37:a7c0",
		"2001:db8:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:1\x00"} {
		vals = append(vals, v)
	}
	for i := range 6000 { // new addresses: the cache turns itself off
		vals = append(vals, fmt.Sprintf("172.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	for i := range 40000 { // then a few hosts again, and again new ones
		vals = append(vals, fmt.Sprintf("192.168.%d.%d", i%3, i%7), fmt.Sprintf("10.%d.%d.1", i>>8&255, i&255))
		vals = append(vals, fmt.Sprintf("2001:db8:%x::%x:%x", i%5, i%3, i%11), fmt.Sprintf("2001:db8:1234:5678:9abc:%x:%x:1", i>>8&255, i&255))
		// Long addresses alike in their first 32 bytes.
		vals = append(vals, fmt.Sprintf("2601:18c:8002:1a30:e5e2:5e6a:1f37:%x", i%4096))
	}
	r := NewReader(strings.NewReader(""), "x.log")
	for i, v := range vals {
		// The value sits in a line with more bytes behind it, as in a
		// real record, and those bytes change from call to call.
		line := []byte(v + "\t" + strings.Repeat(string(rune('0'+i%10)), 20))
		got, gerr := r.addr(line[:len(v)])
		want, werr := parseAddr([]byte(v))
		if got != want || (gerr == nil) != (werr == nil) {
			t.Fatalf("value %d %q: cache %v %v, parse %v %v", i, v, got, gerr, want, werr)
		}
	}
}

// TestNextResetsTheEvent: callers (ingest, the benchmarks) hand Next the
// same event again without clearing it, so nothing of one record may
// leak into the next, in TSV or JSON.
func TestNextResetsTheEvent(t *testing.T) {
	in := "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tanswers\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tvector[addr]\n" +
		"1.0\tC1\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\tevil.example\t192.0.2.1,192.0.2.2\n" +
		"2.0\tC2\t10.0.0.2\t5353\t10.0.0.53\t53\tudp\t-\t-\n" +
		`{"ts":3.0,"uid":"C3","id.orig_h":"10.0.0.3","id.orig_p":1,"id.resp_h":"10.0.0.4","id.resp_p":2,"proto":"tcp"}` + "\n"
	r := NewReader(strings.NewReader(in), "dns.log")
	var e event.Event
	for i, uid := range []string{"C1", "C2", "C3"} {
		if err := r.Next(&e); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if e.UID != uid {
			t.Fatalf("record %d: uid %q, want %q", i+1, e.UID, uid)
		}
		if i > 0 && (e.Domain != "" || len(e.Answers) != 0) {
			t.Fatalf("record %d kept the first one's query %q and answers %v", i+1, e.Domain, e.Answers)
		}
	}
}

// TestDecodeHeadAgreesWithColumnLoop: the first six columns of most logs
// (ts, uid, the 5-tuple's addresses and ports) are decoded without the
// column loop; a reader with that shortcut switched off must produce the
// same events and the same errors, on generated conn and dns logs and on
// lines with unset, empty, bad and IPv6 values in those columns.
func TestDecodeHeadAgreesWithColumnLoop(t *testing.T) {
	var logs []string
	for i, write := range []func(io.Writer, int, uint64) error{zeektest.ConnLog, zeektest.DNSLog} {
		var buf bytes.Buffer
		if err := write(&buf, 2000, uint64(i+7)); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, buf.String())
	}
	head := "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
	logs = append(logs, head+
		"1.5\tC1\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\n"+
		"-\t-\t-\t-\t-\t-\t-\n"+
		"(empty)\t(empty)\t(empty)\t(empty)\t(empty)\t(empty)\ttcp\n"+
		"x\tC2\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\n"+
		"1.5\tC3\t10.0.0.300\t1\t10.0.0.2\t2\ttcp\n"+
		"1.5\tC4\t10.0.0.1\t70000\t10.0.0.2\t2\ttcp\n"+
		"1.5\tC5\t2001:db8::1\t1\tfe80::1%eth0\t2\ttcp\n"+
		"1.5\tC6\t10.0.0.1\t1\t10.0.0.2\t\ttcp\n"+
		"1.5\tC\\x097\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\n")
	// The same lines after a column the event does not take, as a Zeek
	// cluster's workers write _node_name first.
	var node strings.Builder
	for _, line := range strings.SplitAfter(logs[len(logs)-1], "\n") {
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			line = "#fields\t_node_name\t" + line[len("#fields\t"):]
		case strings.HasPrefix(line, "#types\t"):
			line = "#types\tstring\t" + line[len("#types\t"):]
		case line != "" && line[0] != '#':
			line = "worker-1\t" + line
		}
		node.WriteString(line)
	}
	logs = append(logs, node.String())
	if root := corpus.Root(); root != "" {
		// Real logs of a cluster worker, _node_name first.
		for _, name := range []string{"conn.16:00:00-17:00:00.log.gz", "dns.16:00:00-17:00:00.log.gz"} {
			logs = append(logs, string(corpus.Gunzip(t, filepath.Join(root, "zeek-rita-testdata", "test_data", "proxy_rolling", name))))
		}
	}
	for n, log := range logs {
		fast := NewReader(strings.NewReader(log), "conn.log")
		slow := NewReader(strings.NewReader(log), "conn.log")
		slow.noHead = true
		var a, b event.Event
		for rec := 0; ; rec++ {
			errA, errB := fast.Next(&a), slow.Next(&b)
			if fmt.Sprint(errA) != fmt.Sprint(errB) {
				t.Fatalf("log %d record %d: error %v, without the shortcut %v", n, rec, errA, errB)
			}
			if errA == io.EOF {
				if rec < 9 {
					t.Fatalf("log %d: only %d records", n, rec)
				}
				break
			}
			if errA == nil && !reflect.DeepEqual(a, b) {
				t.Fatalf("log %d record %d:\n with the shortcut    %+v\n without the shortcut %+v", n, rec, a, b)
			}
		}
		if !fast.head || slow.head {
			t.Fatalf("log %d: shortcut used %v and %v", n, fast.head, slow.head)
		}
	}
}

// TestAnswersAgreeWithNetip: a dns.log record's Answers are the elements
// of its answers column that netip reads as addresses, in order, whether
// they came through the address cache (repeated AAAA and A answers) or
// not (CNAME targets, TXT data, zones), on generated logs and, when the
// corpus is present, RITA's real ones.
func TestAnswersAgreeWithNetip(t *testing.T) {
	var buf bytes.Buffer
	if err := zeektest.DNSLog(&buf, 5000, 3); err != nil {
		t.Fatal(err)
	}
	head := "#separator \\x09\n#set_separator\t,\n#path\tdns\n#fields\tts\tuid\tquery\tanswers\n#types\ttime\tstring\tstring\tvector[string]\n"
	var odd strings.Builder
	odd.WriteString(head)
	for i, answers := range []string{"1.2.3.4,example.com,2001:db8::1", "fe80::1%eth0,10.0.0.1", "1e100.net,8.8.8.8", "12 34,1.2.3", "::ffff:1.2.3.4",
		"2601:18c:8002:1a30:e5e2:5e6a:1f37:a7c0,2601:18c:8002:1a30:e5e2:5e6a:1f37:a7c0", "0.0.0.0,255.255.255.255,256.0.0.1", "-", "(empty)"} {
		fmt.Fprintf(&odd, "1.5\tC%d\texample.com\t%s\n", i, answers)
	}
	logs := []string{buf.String(), odd.String()}
	if root := corpus.Root(); root != "" {
		logs = append(logs, string(corpus.Gunzip(t, filepath.Join(root, "zeek-rita-testdata", "test_data", "proxy_rolling", "dns.16:00:00-17:00:00.log.gz"))))
	}
	for n, log := range logs {
		// The oracle: the answers column of each record, split by hand.
		var want [][]netip.Addr
		col := -1
		for _, line := range strings.Split(log, "\n") {
			if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
				col = slices.Index(strings.Split(f, "\t"), "answers")
				continue
			}
			if line == "" || line[0] == '#' {
				continue
			}
			var addrs []netip.Addr
			for _, v := range strings.Split(strings.Split(line, "\t")[col], ",") {
				if a, err := netip.ParseAddr(v); err == nil {
					addrs = append(addrs, a)
				}
			}
			want = append(want, addrs)
		}
		r := NewReader(strings.NewReader(log), "dns.log")
		var e event.Event
		for rec := 0; ; rec++ {
			err := r.Next(&e)
			if err == io.EOF {
				if rec != len(want) {
					t.Fatalf("log %d: %d records, the oracle %d", n, rec, len(want))
				}
				break
			}
			if err != nil {
				t.Fatalf("log %d record %d: %v", n, rec, err)
			}
			if !slices.Equal(e.Answers, want[rec]) {
				t.Fatalf("log %d record %d: answers %v, netip %v", n, rec, e.Answers, want[rec])
			}
		}
	}
}
