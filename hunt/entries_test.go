package hunt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// A hunt tests each segment's distinct values against the snapshot and
// builds only the rows holding an accepted one. It must find exactly what
// decoding and matching every stored event finds, for every kind of
// indicator, including URLs rebuilt from Host and URI, subdomains, CIDR
// blocks, wildcard certificate names, a certificate's CN, SMTP and sign-in
// e-mail addresses and upper-case observables.
func TestHuntRowFilterEqualsFullMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(pool []string) string { return pool[rng.IntN(len(pool))] }
	hex := func(n int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = digits[rng.IntN(16)]
		}
		return string(b)
	}
	pool := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	domains := pool(300, func(i int) string {
		return fmt.Sprintf("h%d.zone%d.example%d.com", i, i%37, i%5)
	})
	addrs := pool(400, func(i int) string {
		if i%10 == 0 {
			return fmt.Sprintf("2001:db8:%x::%x", i%7, i)
		}
		return fmt.Sprintf("198.%d.%d.%d", 18+i%2, i%50, i%251)
	})
	md5s, sha1s, sha256s := pool(100, func(int) string { return hex(32) }), pool(100, func(int) string { return hex(40) }), pool(100, func(int) string { return hex(64) })
	uris := pool(50, func(i int) string { return fmt.Sprintf("/p%d/x.php?id=%d", i%13, i) })
	users := pool(40, func(i int) string { return fmt.Sprintf("user%d@corp%d.example", i, i%3) })
	agents := pool(20, func(i int) string { return fmt.Sprintf("Agent/%d.0", i) })
	names := pool(30, func(i int) string { return fmt.Sprintf("file%d.exe", i) })
	serials := pool(30, func(i int) string { return fmt.Sprintf("%02X%s", i, strings.ToUpper(hex(14))) })

	dir := t.TempDir()
	mem, err := memory.OpenOptions(dir, memory.Options{SegmentEvents: 500})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	t0 := time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)
	var e event.Event
	var httpURLs, signinURLs []string // as rebuilt from Host and URI, and as logged
	for i := range 5000 {
		e.Reset()
		e.Time = t0.Add(time.Duration(i) * time.Minute)
		e.Sensor, e.UID = "zeek", fmt.Sprintf("C%d", i)
		e.SrcIP, e.DstIP = netip.MustParseAddr(pick(addrs)), netip.MustParseAddr(pick(addrs))
		e.SrcPort, e.DstPort, e.Proto = uint16(40000+i%2000), 443, 6
		switch i % 7 {
		case 0:
			e.Kind = event.KindConn
		case 1:
			e.Kind, e.Domain = event.KindDNS, pick(domains)
			if i%3 == 0 {
				e.Domain = strings.ToUpper(e.Domain)
			}
			e.Answers = append(e.Answers, netip.MustParseAddr(pick(addrs)))
		case 2:
			e.Kind, e.Host, e.URI, e.UserAgent = event.KindHTTP, pick(domains), pick(uris), pick(agents)
			if i%4 == 0 {
				e.Host += ":8080"
			}
			e.Cookies = append(e.Cookies, fmt.Sprintf("sess%d", i%9))
			httpURLs = append(httpURLs, "http://"+e.Host+e.URI)
		case 3:
			e.Kind, e.SNI, e.JA3, e.JA4 = event.KindTLS, pick(domains), pick(md5s), fmt.Sprintf("t13d%04d_abc", i%40)
			e.CertNames = append(e.CertNames, "*."+strings.SplitN(pick(domains), ".", 2)[1])
			e.CertSubject = "CN=" + pick(domains) + ",O=Example"
			e.CertSerial, e.CertSHA1 = pick(serials), pick(sha1s)
		case 4:
			e.Kind, e.MD5, e.SHA1, e.SHA256, e.FileName = event.KindFile, pick(md5s), pick(sha1s), pick(sha256s), pick(names)
		case 5:
			e.Kind = event.KindSMTP
			e.Emails = append(e.Emails, pick(users), pick(users))
		case 6:
			e.Kind, e.User, e.Result = event.KindSignIn, pick(users), "success"
			e.URL = "http://" + pick(domains) + pick(uris)
			signinURLs = append(signinURLs, e.URL)
		}
		if err := mem.Append(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := mem.Flush(); err != nil {
		t.Fatal(err)
	}

	// Indicators: a sample of every kind of value, parents of names (for
	// subdomain matching), blocks around addresses, URLs that only a
	// rebuilt Host+URI can match, and values that occur nowhere.
	var inds []indicator.Indicator
	add := func(typ indicator.Type, v string, sub bool) {
		inds = append(inds, indicator.Indicator{Type: typ, Value: v, Subdomains: sub,
			IDs: []string{fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", len(inds))}})
	}
	for i := 0; i < len(domains); i += 23 {
		add(indicator.Domain, domains[i], false)
		add(indicator.Domain, strings.SplitN(domains[(i+5)%len(domains)], ".", 2)[1], true)
	}
	for i := 0; i < len(addrs); i += 31 {
		a := netip.MustParseAddr(addrs[i])
		if a.Is4() {
			add(indicator.IPv4, a.String(), false)
			add(indicator.CIDR, netip.PrefixFrom(a, 28).Masked().String(), false)
		} else {
			add(indicator.IPv6, a.String(), false)
		}
	}
	add(indicator.URL, httpURLs[3], false)
	add(indicator.URL, strings.SplitN(httpURLs[8], "?", 2)[0], false) // the path without its query
	add(indicator.URL, strings.ToUpper(httpURLs[13][:12])+httpURLs[13][12:], false)
	add(indicator.URL, signinURLs[5], false)
	add(indicator.MD5, md5s[5], false)
	add(indicator.JA3, md5s[7], false)
	add(indicator.SHA1, sha1s[6], false)
	add(indicator.CertSHA1, sha1s[8], false)
	add(indicator.SHA256, sha256s[9], false)
	add(indicator.Email, users[4], false)
	add(indicator.Email, users[11], false)
	add(indicator.UserAgent, agents[3], false)
	add(indicator.FileName, names[2], false)
	add(indicator.Cookie, "sess4", false)
	add(indicator.JA4, "t13d0012_abc", false)
	add(indicator.CertSerial, strings.ToLower(serials[5]), false)
	add(indicator.Domain, "nowhere.invalid", true)
	add(indicator.IPv4, "203.0.113.99", false)
	snap, rejects := match.Build(inds, nil)
	if len(rejects) != 0 {
		t.Fatalf("snapshot rejects %+v", rejects)
	}

	ctx := context.Background()
	hits, hs, err := Run(ctx, mem, snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The reference: every stored event decoded and matched.
	var want []string
	var buf []match.Hit
	all, err := mem.Scan(ctx, memory.Filter{Workers: 1}, func(ev *event.Event) error {
		buf = snap.MatchAppend(buf[:0], ev)
		for _, h := range buf {
			a := snap.Alert(ev, h)
			want = append(want, a.UID+" "+a.Where+" "+a.Matched+" "+a.Indicator)
		}
		return nil
	})
	if err != nil || all.Events != 5000 {
		t.Fatalf("reference scan: %d events, %v", all.Events, err)
	}
	got := make([]string, len(hits))
	for i, h := range hits {
		got[i] = h.UID + " " + h.Where + " " + h.Matched + " " + h.Indicator
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("hunt found %d hits, a full match %d:\nhunt: %v\nfull: %v", len(got), len(want), got, want)
	}
	// Each kind of indicator must have been hit, or the comparison
	// proves little.
	wheres := map[string]bool{}
	for _, h := range hits {
		wheres[h.Where] = true
	}
	for _, w := range []string{"dns.query", "http.host", "http.url", "tls.sni", "tls.san", "tls.cn", "tls.fingerprint", "tls.serial",
		"tls.ja3", "tls.ja4", "files.md5", "files.sha1", "files.sha256", "files.name", "smtp.mailfrom", "smtp.rcptto",
		"signin.user", "signin.url", "http.user_agent", "http.cookie", "conn.id.resp_h", "dns.answers"} {
		if !wheres[w] {
			t.Errorf("no hit at %s: the test data does not exercise it (hits at %v)", w, wheres)
		}
	}
	if hs.Events >= all.Events {
		t.Errorf("the hunt built %d of %d events: the row filter skipped nothing", hs.Events, all.Events)
	}
	t.Logf("%d hits; built %d of %d rows", len(hits), hs.Events, hs.Decoded)
}
