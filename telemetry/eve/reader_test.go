package eve

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

func readAll(t testing.TB, r *Reader) ([]event.Event, []*source.RecordError) {
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
			t.Fatalf("fatal: %v", err)
		}
		good = append(good, e.Clone())
	}
}

var ip = netip.MustParseAddr

func TestFixture(t *testing.T) {
	f, err := os.Open("testdata/eve.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	good, bad := readAll(t, NewReader(f, "testdata/eve.json"))
	if len(good) != 17 {
		t.Fatalf("got %d good records, want 17", len(good))
	}

	fl := good[0]
	if fl.Kind != event.KindConn || fl.Sensor != "suricata" || fl.UID != "1717171717171717" || fl.Proto != 17 ||
		fl.SrcIP != ip("10.16.1.11") || fl.SrcPort != 41805 || fl.DstIP != ip("10.16.1.1") || fl.DstPort != 53 ||
		fl.OrigBytes != 80 || fl.RespBytes != 144 || fl.CommunityID != "1:Rb7S2jJ1XBZx2OMsCrfsmQ6hzJ0=" ||
		!fl.Time.Equal(time.Date(2018, 5, 24, 12, 0, 0, 100000000, time.UTC)) {
		t.Errorf("flow: %+v", fl)
	}

	dnsCases := []struct {
		i       int
		domain  string
		answers []netip.Addr
	}{
		{1, "www.suricata-ids.org", nil},
		{2, "www.suricata-ids.org", nil},
		{3, "suricata-ids.org", []netip.Addr{ip("192.0.78.24")}},
		{4, "www.suricata-ids.org", []netip.Addr{ip("192.0.78.24"), ip("192.0.78.25")}},
		{5, "update.kr-anti.example", []netip.Addr{ip("2001:db8::7")}},
		{6, "grouped-only.example", nil},
		{7, "grouped-only.example", []netip.Addr{ip("198.51.100.30")}},
	}
	for _, c := range dnsCases {
		e := good[c.i]
		if e.Kind != event.KindDNS || e.Domain != c.domain || !slices.Equal(e.Answers, c.answers) {
			t.Errorf("dns record %d: kind %v domain %q answers %v, want %q %v", c.i, e.Kind, e.Domain, e.Answers, c.domain, c.answers)
		}
	}

	tl := good[8]
	if tl.Kind != event.KindTLS || tl.SNI != "ipv4.google.com" || tl.CertSerial != "C7D4288B80E01E25" ||
		tl.CertSHA1 != "0639f95dfe8153c49df0ac803e2d4207e896de09" ||
		tl.CertSubject != "C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleServer, CN=SampleServer" ||
		tl.CertIssuer != "C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleCA, CN=SampleRoot" ||
		!slices.Equal(tl.CertNames, []string{"localhost", "sample.example"}) ||
		tl.JA3 != "e7d705a3286e19ea42f587b344ee6865" || tl.JA3S != "5d79edf64e03689ff559a54e9d9487bc" ||
		tl.JA4 != "t13d1516h2_8daaf6152771_02713d6af862" || tl.CommunityID != "1:IwiTNfuO7aCaamMijl+7/X9uLx0=" {
		t.Errorf("tls: %+v", tl)
	}

	h := good[9]
	if h.Kind != event.KindHTTP || h.Host != "download913.avast.com" || h.URI != "/cgi-bin/iavs4stats.cgi" ||
		h.URL != "http://download913.avast.com/cgi-bin/iavs4stats.cgi" || h.UserAgent != "Syncer/4.80 (av_pro-1169;f)" ||
		!slices.Equal(h.Cookies, []string{"SESSID", "lang"}) {
		t.Errorf("http: %+v", h)
	}

	fi := good[10]
	if fi.Kind != event.KindFile || fi.FileName != "/" || fi.MD5 != "2e0a4f1b6e1c0d5a9f8b7c6d5e4f3a2b" ||
		fi.SHA1 != "da39a3ee5e6b4b0d3255bfef95601890afd80709" ||
		fi.SHA256 != "b95aa84c9ac4948c8565202e016933644c592c366525b2790857615ca7e6f665" || fi.Host != "www.wireshark.org" {
		t.Errorf("fileinfo: %+v", fi)
	}

	al := good[11]
	if al.Kind != event.KindAlert || al.SNI != "evil.cloud" || al.DstIP != ip("198.51.100.20") {
		t.Errorf("alert: %+v", al)
	}

	sm := good[12]
	wantMail := []string{"hr@go0gle-docs.example", "alice@victim.example", "hr@go0gle-docs.example", "alice@victim.example", "bob@victim.example"}
	if sm.Kind != event.KindSMTP || !slices.Equal(sm.Emails, wantMail) {
		t.Errorf("smtp emails %q, want %q", sm.Emails, wantMail)
	}
	if an := good[13]; an.Kind != event.KindWeird || an.Proto != 58 {
		t.Errorf("anomaly: kind %v proto %d", an.Kind, an.Proto)
	}
	if st := good[14]; st.Kind != event.KindGeneric || st.SrcIP.IsValid() {
		t.Errorf("stats: %+v", st)
	}
	if q := good[15]; q.Kind != event.KindTLS || q.SNI != "quic.example" || q.Proto != 17 || q.JA4 == "" {
		t.Errorf("quic: %+v", q)
	}
	if nf := good[16]; nf.Kind != event.KindConn || nf.Proto != 47 || nf.OrigBytes != 300 || nf.UID != "6" {
		t.Errorf("netflow: %+v", nf)
	}

	wantBad := []struct {
		line   int64
		reason string
	}{
		{17, `src_ip: bad IP "10.1.1.300"`},
		{18, `src_port: bad port "70000"`},
		{19, "no event_type"},
		{20, `bad timestamp "yesterday"`},
		{21, "unexpected end of input"},
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("bad records %v, want %d", bad, len(wantBad))
	}
	for i, w := range wantBad {
		if bad[i].Line != w.line || !strings.Contains(bad[i].Reason, w.reason) ||
			!strings.HasPrefix(bad[i].Error(), "testdata/eve.json:") {
			t.Errorf("bad %d: %v, want line %d %q", i, bad[i], w.line, w.reason)
		}
	}
}

func TestSerial(t *testing.T) {
	for in, want := range map[string]string{
		"00:C7:D4:28:8B:80:E0:1E:25": "C7D4288B80E01E25",
		"0b:f6":                      "BF6",
		"00":                         "0",
		"":                           "",
	} {
		if got := serial(in); got != want {
			t.Errorf("serial(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzReader(f *testing.F) {
	if b, err := os.ReadFile("testdata/eve.json"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f.Add([]byte(l))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(strings.NewReader(string(b)), "fuzz")
		var e event.Event
		for {
			err := r.Next(&e)
			if err == io.EOF {
				return
			}
			var re *source.RecordError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}

// The decoders report their counts in the common form.
var _ source.StatsReporter = (*Reader)(nil)
