package simulate

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// actKind is a step of the intrusion as the network sees it.
type actKind uint8

const (
	actLure       actKind = iota // an HR user opens a résumé link
	actPhishVisit                // a user opens a look-alike login page
	actPhishPost                 // and submits the password (compromised users)
	actDownload                  // patient zero fetches the signed implant
	actC2Idle                    // the implant asks for its C2 name; it resolves to 127.0.0.1
	actC2TLS                     // a beacon over 443
	actC2HTTP                    // a beacon over 80
	actC2Raw53                   // a session over TCP 53 that is not DNS
	actScan                      // one probe of the internal scan
	actOperator                  // an RDP session from the operators' own netblock
)

// action is one scheduled malicious step.
type action struct {
	t    int64 // microseconds since the epoch
	kind actKind
	host int    // the internal host involved
	i    int    // which lure, phishing domain, C2 server, scan target or operator IP
	port uint16 // scan port
	dst  netip.Addr
}

// signinPlan is a cloud sign-in the attackers make with stolen passwords.
type signinPlan struct {
	t       int64
	host    int // whose account
	ip      netip.Addr
	google  bool
	success bool
}

// plan is the intrusion's timeline, fixed before any telemetry is written
// so that the Zeek logs, the sign-in logs and the truth agree.
type plan struct {
	acts    []action
	signins []signinPlan
}

// The phases of the intrusion as fractions of the scenario: lures at 15%,
// phishing from 20%, the implant at 30%, the scan at 50%, operator
// sessions from 55%. Small scenarios squeeze them together; nothing
// starts in the first day so detectors see a clean baseline.
func newPlan(opts Options, org *Org, att *attacker) *plan {
	r := rand.New(rand.NewPCG(opts.Seed, 0x706c616e)) // "plan"
	att.setCerts(opts.Start)
	startUS := opts.Start.UnixMicro()
	dayUS := int64(24 * time.Hour / time.Microsecond)
	spanUS := int64(opts.Days) * dayUS
	at := func(frac float64) int64 { return startUS + int64(frac*float64(spanUS)) }
	// workHour moves t to a weekday-ish office hour (09:00-17:00 UTC) on
	// its day, when users read mail.
	workHour := func(t int64) int64 {
		day := (t - startUS) / dayUS
		return startUS + day*dayUS + int64(9+r.IntN(8))*3600e6 + r.Int64N(3600e6)
	}
	// beijingHour: operators work 09:00-18:00 China time, 01:00-10:00 UTC.
	beijingHour := func(day int64) int64 {
		return startUS + day*dayUS + int64(1+r.IntN(8))*3600e6 + r.Int64N(3600e6)
	}
	p := &plan{}
	add := func(a action) { p.acts = append(p.acts, a) }

	lureT := workHour(at(0.15))
	for n, h := range org.HR {
		t := lureT + int64(n)*int64(25+r.IntN(40))*60e6
		add(action{t: t, kind: actLure, host: h, i: n % len(att.lurePaths)})
	}
	phishT := workHour(at(0.2))
	// HR gets the Office 365 look-alikes; the others alternate between
	// Microsoft and Google, each cycling through its look-alikes.
	var o365N, googleN int
	for n, h := range org.Phished {
		t := phishT + int64(n)*int64(10+r.IntN(50))*60e6
		google := n >= len(org.HR) && (n-len(org.HR))%2 == 0
		var i int
		if google {
			i = len(att.phishO365) + googleN%len(att.phishGoogle)
			googleN++
		} else {
			i = o365N % len(att.phishO365)
			o365N++
		}
		add(action{t: t, kind: actPhishVisit, host: h, i: i})
		for _, c := range org.Compromised {
			if c == h {
				add(action{t: t + int64(20+r.IntN(60))*1e6, kind: actPhishPost, host: h, i: i})
				// The stolen password is tried from attacker VPSs within
				// hours: a failure or two, then success; once, straight
				// from the operators' own netblock.
				st := t + int64(1+r.IntN(5))*3600e6
				for k := 0; k < 2; k++ {
					p.signins = append(p.signins, signinPlan{t: st + int64(k)*90e6, host: h, ip: att.signinIPs[k%2], google: google, success: false})
				}
				p.signins = append(p.signins, signinPlan{t: st + 400e6, host: h, ip: att.signinIPs[0], google: google, success: true})
				p.signins = append(p.signins, signinPlan{t: beijingHour((st-startUS)/dayUS + 1), host: h, ip: att.operatorIPs[1], google: google, success: true})
			}
		}
	}
	dropT := workHour(at(0.3))
	add(action{t: dropT, kind: actDownload, host: org.Patient0})

	// C2: every day from the download on, the implant asks for
	// <tag>.<root> every ten minutes; during the operators' working
	// windows the name resolves to the C2 server and the implant beacons
	// every two minutes. Each C2 root serves a third of the time, in turn.
	endUS := startUS + spanUS
	for t := dropT + 5*60e6; t < endUS; {
		day := (t - startUS) / dayUS
		c := int(day % int64(len(att.c2)))
		dayStart := startUS + day*dayUS
		winStart := dayStart + int64(1+r.IntN(4))*3600e6
		winEnd := winStart + int64(2+r.IntN(4))*3600e6
		for ; t < dayStart+dayUS && t < endUS; t += int64(9*60+r.IntN(120)) * 1e6 {
			if t >= winStart && t < winEnd {
				continue
			}
			add(action{t: t, kind: actC2Idle, host: org.Patient0, i: c})
		}
		for bt := max(winStart, dropT+10*60e6); bt < winEnd && bt < endUS; bt += int64(100+r.IntN(40)) * 1e6 {
			kind := actC2TLS
			switch u := r.IntN(10); {
			case att.c2[c].selfSigned && u < 5:
				kind = actC2Raw53
			case !att.c2[c].selfSigned && u < 3:
				kind = actC2HTTP
			}
			add(action{t: bt, kind: kind, host: org.Patient0, i: c})
		}
	}

	// The internal scan: the subnets of the servers and the first
	// workstations, every port the report lists.
	scanT := workHour(at(0.5))
	live := map[netip.Addr]int{}
	for i, h := range org.Hosts {
		live[h.Addr] = i
	}
	t := scanT
	for _, third := range []byte{0, 1, 2, 10} {
		for last := 1; last < 255; last++ {
			dst := netip.AddrFrom4([4]byte{10, 20, third, byte(last)})
			if dst == org.Hosts[org.Patient0].Addr {
				continue
			}
			for _, port := range scanPorts {
				t += int64(3000 + r.IntN(9000))
				h, ok := live[dst]
				if !ok {
					h = -1
				}
				add(action{t: t, kind: actScan, host: org.Patient0, i: h, port: port, dst: dst})
			}
		}
	}

	// Operator sessions straight from Beijing to the jump host.
	jump := org.byRole(RoleJumpHost)[0]
	for k := range att.operatorIPs {
		day := int64(at(0.55)-startUS)/dayUS + int64(k)
		if day >= int64(opts.Days) {
			day = int64(opts.Days) - 1
		}
		add(action{t: beijingHour(day), kind: actOperator, host: jump, i: k})
	}
	slices.SortStableFunc(p.acts, func(a, b action) int { return cmpInt64(a.t, b.t) })
	slices.SortStableFunc(p.signins, func(a, b signinPlan) int { return cmpInt64(a.t, b.t) })
	return p
}

// scanPorts are the ports of the internal scan the report describes.
var scanPorts = []uint16{80, 139, 445, 6379, 8080, 10022, 30304}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// certificate is what x509.log shows of a server certificate.
type certificate struct {
	sha256, serial    string
	subject, issuer   string
	notBefore, notAft int64 // microseconds
	san               string
	ca                bool
}

// setCerts gives each C2 server its certificate: Let's Encrypt's R3 for
// most, a self-signed OpenSSL default for one.
func (a *attacker) setCerts(start time.Time) {
	for i := range a.c2 {
		c := &a.c2[i]
		fp := sha256.Sum256([]byte("umbra-simulate c2 certificate " + c.root))
		c.cert = certificate{sha256: hex.EncodeToString(fp[:]), serial: hexUpper(fp[:16])}
		if c.selfSigned {
			c.cert.subject = "CN=localhost,O=Internet Widgits Pty Ltd,ST=Some-State,C=AU"
			c.cert.issuer = c.cert.subject
			c.cert.notBefore = start.AddDate(0, -2, 0).UnixMicro()
			c.cert.notAft = start.AddDate(10, -2, 0).UnixMicro()
		} else {
			c.cert.subject = "CN=" + c.root
			c.cert.issuer = "CN=R3,O=Let's Encrypt,C=US"
			c.cert.notBefore = start.AddDate(0, 0, -20).UnixMicro()
			c.cert.notAft = start.AddDate(0, 0, 70).UnixMicro()
			c.cert.san = "lpg." + c.root + "," + c.root
		}
	}
}

func hexUpper(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	// Zeek prints every byte of the serial, leading zero nibble included
	// ("0953046D..." in real x509 logs).
	return string(out)
}

func hashes(b []byte) (md5hex, sha1hex, sha256hex string) {
	m := md5.Sum(b)
	s1 := sha1.Sum(b)
	s2 := sha256.Sum256(b)
	return hex.EncodeToString(m[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s2[:])
}
