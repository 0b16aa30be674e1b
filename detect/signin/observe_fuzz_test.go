package signin

import (
	"net/netip"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// FuzzObserve feeds the detector event sequences decoded from the fuzzer's
// bytes, 6 bytes an event: kind, user, address, name, time step (minutes,
// signed, so out of order too) and result. With small caps it checks that
// state stays within them, that nothing panics, and that every finding is
// about a sign-in that was fed.
func FuzzObserve(f *testing.F) {
	f.Add([]byte{0, 1, 1, 7, 0, 1, 1, 1, 200, 0, 10, 1, 1, 1, 9, 0, 10, 1})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 250, 250, 250, 250, 250, 250, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 130, 7, 128, 0, 0, 0, 40, 0, 127, 1})
	users := []string{"", "hana@x.example", "HANA@x.example", "bob@x.example", "carol@y.example"}
	names := []string{"", "www.google.com", "login.microsoftonline.com", "account.microsoftssonline.com",
		"accounts.google-acc.com", "login.microsoftonline.com.x.example", "outlook.offlce365.com", "wns.windows.com"}
	addrs := []netip.Addr{{}, netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.6"), netip.MustParseAddr("45.76.33.20"),
		netip.MustParseAddr("221.216.3.4"), netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("192.0.2.8"),
		netip.MustParseAddr("::ffff:81.2.69.142"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("185.220.101.7")}
	geo := testGeo(f)
	la := testLookalike(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		hosts := Hosts{}
		hosts.Add("bob@x.example", netip.MustParseAddr("10.0.0.6"))
		d := New(Config{Intel: erinIntel, Netblocks: DefaultNetblocks(), Lookalike: la, Hosts: hosts, Geo: geo,
			Window: 2 * time.Hour, Reorder: 10 * time.Minute, HostTTL: 5 * time.Hour, MaxUsers: 3, MaxHosts: 2})
		now := t0
		fed := map[string]bool{}
		var ev event.Event
		for ; len(b) >= 6; b = b[6:] {
			now = now.Add(time.Duration(int8(b[4])) * time.Minute)
			ev.Reset()
			ev.Time, ev.SrcIP = now, addrs[int(b[2])%len(addrs)]
			switch b[0] % 4 {
			case 0:
				ev.Kind, ev.User = event.KindSignIn, users[int(b[1])%len(users)]
				ev.Result = [...]string{"success", "failure", ""}[int(b[5])%3]
				fed[now.String()+normUser(ev.User)] = true
			case 1:
				ev.Kind, ev.Domain = event.KindDNS, names[int(b[3])%len(names)]
			case 2:
				ev.Kind, ev.Host = event.KindHTTP, names[int(b[3])%len(names)]+":8080"
			default:
				ev.Kind, ev.SNI = event.KindTLS, names[int(b[3])%len(names)]
			}
			for _, f := range d.Observe(&ev) {
				if !fed[f.Time.String()+f.User] {
					t.Fatalf("finding for a sign-in never fed: %+v", f)
				}
				if f.Confidence < 1 || f.Confidence > 100 || len(f.Evidence) == 0 {
					t.Fatalf("bad finding %+v", f)
				}
			}
			if len(d.users) > 3 || len(d.visits) > 2 {
				t.Fatalf("caps exceeded: %d users, %d hosts", len(d.users), len(d.visits))
			}
			for _, u := range d.users {
				if len(u.recent) > maxRecentPerUser || len(u.hosts) > maxLearnedPerUser || len(u.known) > maxKnownSources {
					t.Fatalf("per-user caps exceeded: %+v", u)
				}
			}
		}
	})
}
