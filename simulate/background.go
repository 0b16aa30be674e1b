package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// background writes one ordinary session of host hi starting at ts.
func (g *gen) background(hi int, ts int64) {
	h := &g.org.Hosts[hi]
	switch h.Role {
	case RoleWorkstation:
		g.workstationSession(hi, ts)
	case RoleBuildServer:
		g.buildServerSession(hi, ts)
	default:
		// Servers mostly fetch updates and talk to the domain controllers.
		if g.r.IntN(2) == 0 {
			g.webVisit(h, ts, g.r.IntN(5)) // the popular Microsoft names
		} else {
			g.internal(h.Addr, g.pick(g.servers.dc), ts, 389, "ldap", 17)
		}
	}
}

func (g *gen) pick(idx []int) netip.Addr { return g.org.Hosts[idx[g.r.IntN(len(idx))]].Addr }

func (g *gen) workstationSession(hi int, ts int64) {
	h := &g.org.Hosts[hi]
	switch u := g.r.IntN(100); {
	case u < 72:
		g.webVisit(h, ts, int(g.zipf.Uint64()))
	case u < 82:
		// File shares by name, so the resolver sees internal names too.
		fs := g.servers.fs[g.r.IntN(len(g.servers.fs))]
		if g.r.IntN(4) == 0 {
			srv := &g.org.Hosts[fs]
			g.dnsLookup(ts, h.Addr, srv.Name, []netip.Addr{srv.Addr}, 1200, false)
			ts += 2000
		}
		g.internal(h.Addr, g.org.Hosts[fs].Addr, ts, 445, "smb,gssapi", 6)
	case u < 87:
		g.internal(h.Addr, g.pick(g.servers.dc), ts, 88, "krb", 17)
	case u < 91:
		if h.Dept == "eng" || h.Dept == "qa" {
			g.internal(h.Addr, g.pick(g.servers.p4), ts, 1666, "", 6)
		} else {
			g.internal(h.Addr, g.pick(g.servers.fs), ts, 445, "smb,gssapi", 6)
		}
	case u < 93:
		if h.Dept == "it" {
			all := append(append(append([]int{}, g.servers.build...), g.servers.fs...), g.servers.sign...)
			g.internal(h.Addr, g.pick(all), ts, 3389, "rdp", 6)
		} else {
			g.webVisit(h, ts, int(g.zipf.Uint64()))
		}
	case u < 98:
		g.plainHTTP(h, ts, -1)
	default:
		// A lookup without a connection: prefetch and telemetry, and the
		// NXDOMAIN noise of every Windows network (WPAD, suffix search).
		if g.r.IntN(5) == 0 {
			name := noiseNames[g.r.IntN(len(noiseNames))] + ".corp." + g.org.Domain
			g.dnsLookup(ts, h.Addr, name, nil, 0, true)
			return
		}
		d := int(g.zipf.Uint64())
		g.dnsLookup(ts, h.Addr, popularDomains[d].name, []netip.Addr{g.domainIPs[d]}, 300, false)
	}
}

// buildServerSession: the build farm pulls code and packages, uploads
// builds to Steam, and sends binaries to the code-signing server.
func (g *gen) buildServerSession(hi int, ts int64) {
	h := &g.org.Hosts[hi]
	switch u := g.r.IntN(10); {
	case u < 2:
		g.internal(h.Addr, g.pick(g.servers.p4), ts, 1666, "", 6)
	case u < 3:
		g.internal(h.Addr, g.pick(g.servers.sign), ts, 443, "ssl", 6)
	case u < 4:
		g.internal(h.Addr, g.pick(g.servers.fs), ts, 445, "smb,gssapi", 6)
	default:
		g.webVisit(h, ts, buildDomains[g.r.IntN(len(buildDomains))])
	}
}

// buildDomains are the indices of the names a build farm talks to.
var buildDomains = func() []int {
	want := map[string]bool{"github.com": true, "api.github.com": true, "codeload.github.com": true, "objects.githubusercontent.com": true,
		"raw.githubusercontent.com": true, "api.nuget.org": true, "registry.npmjs.org": true, "pypi.org": true, "files.pythonhosted.org": true,
		"registry-1.docker.io": true, "auth.docker.io": true, "partner.steamgames.com": true, "partner.steam-api.com": true,
		"download.unity3d.com": true, "cdn1.unrealengine.com": true, "dev.azure.com": true, "vstsagentpackage.azureedge.net": true}
	var out []int
	for i, d := range popularDomains {
		if want[d.name] {
			out = append(out, i)
		}
	}
	return out
}()

// internal writes a connection between two hosts of the studio.
func (g *gen) internal(src, dst netip.Addr, ts int64, port uint16, service string, proto uint8) {
	if proto == 17 {
		c := connRec{ts: ts, uid: g.uid('C'), src: src, dst: dst, sport: g.ephemeralPort(), dport: port, proto: 17,
			service: service, durUS: int64(200 + g.r.IntN(5000)), origBytes: uint64(200 + g.r.IntN(1200)),
			respBytes: uint64(200 + g.r.IntN(1500)), state: "SF", history: "Dd", origPkts: 1, respPkts: 1}
		g.writeConn(&c)
		return
	}
	dur := int64(g.r.ExpFloat64() * 30e6)
	ob := uint64(g.r.ExpFloat64() * 20000)
	rb := uint64(g.r.ExpFloat64() * 400000)
	if port == 3389 {
		dur *= 40
		ob *= 20
		rb *= 10
	}
	c := g.tcpConn(ts, src, dst, port, service, dur, ob, rb)
	g.writeConn(&c)
}

// webVisit: an optional DNS lookup (the rest are cached), then TLS or, for
// the plain-HTTP names, an HTTP request.
func (g *gen) webVisit(h *Host, ts int64, d int) {
	dom := &popularDomains[d]
	ip := g.domainIPs[d]
	if g.r.IntN(3) == 0 {
		g.dnsLookup(ts, h.Addr, dom.name, []netip.Addr{ip}, ttlOf(dom.provider), false)
		ts += int64(1000 + g.r.IntN(40000))
	}
	if dom.http {
		g.plainHTTP(h, ts, d)
		return
	}
	p := tlsParams{ts: ts, src: h.Addr, dst: ip, dport: 443, sni: dom.name, prof: h.browser,
		durUS: int64(g.r.ExpFloat64() * 20e6), ob: uint64(600 + g.r.ExpFloat64()*3000), rb: uint64(2000 + g.r.ExpFloat64()*60000)}
	// A quarter of the servers still negotiate TLS 1.2, whose certificates
	// Zeek can see; TLS 1.3 hides them.
	if tls12Domain(dom.name) {
		p.tls12 = true
		p.cert, p.chain = &g.leafCerts[d], &g.chainCerts[d]
		if !g.certLogged[d] {
			g.certLogged[d] = true
			p.logCerts = true
		}
	}
	g.tlsSession(&p)
}

func tls12Domain(name string) bool {
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return h%4 == 0
}

func ttlOf(provider uint8) int {
	switch providers[provider].name {
	case "Akamai", "Fastly", "Cloudflare", "Amazon":
		return 60
	case "Microsoft", "Google":
		return 300
	}
	return 3600
}

// domainCerts returns the leaf and intermediate certificates a popular
// domain presents; their fingerprints are stable per name.
func domainCerts(d int, startUS int64) (leaf, chain certificate) {
	dom := &popularDomains[d]
	p := &providers[dom.provider]
	fp := sha256.Sum256([]byte("umbra-simulate leaf " + dom.name))
	leaf = certificate{sha256: hex.EncodeToString(fp[:]), serial: hexUpper(fp[:16]), subject: "CN=" + dom.name,
		issuer: p.issuer, notBefore: startUS - int64(fp[20])*86400e6, san: dom.name}
	leaf.notAft = leaf.notBefore + 397*86400e6
	cfp := sha256.Sum256([]byte("umbra-simulate intermediate " + p.issuer))
	chain = certificate{sha256: hex.EncodeToString(cfp[:]), serial: hexUpper(cfp[:16]), subject: p.issuer,
		issuer: rootOf(p.issuer), notBefore: startUS - 900*86400e6, notAft: startUS + 2000*86400e6, ca: true}
	return leaf, chain
}

// plainHTTP: OCSP, CRLs, connectivity checks, update and game-content
// downloads — what still goes over port 80. d < 0 picks a plain-HTTP name.
func (g *gen) plainHTTP(h *Host, ts int64, d int) {
	if d < 0 {
		for {
			d = int(g.zipf.Uint64())
			if popularDomains[d].http {
				break
			}
			if g.r.IntN(4) == 0 {
				d = httpDomains[g.r.IntN(len(httpDomains))]
				break
			}
		}
	}
	dom := &popularDomains[d]
	p := httpParams{ts: ts, src: h.Addr, dst: g.domainIPs[d], method: "GET", host: dom.name, ua: h.browser.userAgent,
		status: 200, statusMsg: "OK"}
	switch name := dom.name; {
	case hasPrefix(name, "ocsp."):
		p.method, p.uri, p.reqLen, p.respLen, p.ua = "POST", "/", 83, 471, "Microsoft-CryptoAPI/10.0"
		p.file = fakeFile(g.uid('F'), "", "application/ocsp-response", 471)
	case hasPrefix(name, "crl"):
		p.uri, p.respLen, p.ua = "/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crl", uint64(700+g.r.IntN(20000)), "Microsoft-CryptoAPI/10.0"
		p.file = fakeFile(g.uid('F'), "", "application/pkix-crl", p.respLen)
	case name == "www.msftconnecttest.com":
		p.uri, p.respLen, p.ua = "/connecttest.txt", 22, "Microsoft NCSI"
	case name == "connectivitycheck.gstatic.com":
		p.uri, p.status, p.statusMsg = "/generate_204", 204, "No Content"
	default:
		// Content downloads: Windows Update, Steam and Epic depots.
		p.uri = "/depot/" + strconv.Itoa(200+g.r.IntN(2000000)) + "/chunk/" + g.uid('F')[1:]
		p.respLen = uint64(200000 + g.r.IntN(1000000))
		p.ua = "Valve/Steam HTTP Client 1.0"
		p.file = fakeFile(g.uid('F'), "", "application/octet-stream", p.respLen)
	}
	g.httpSession(&p)
}

var httpDomains = func() []int {
	var out []int
	for i, d := range popularDomains {
		if d.http {
			out = append(out, i)
		}
	}
	return out
}()

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// rootOf names the root CA above an intermediate, as the real chains go.
func rootOf(issuer string) string {
	switch {
	case strings.Contains(issuer, "DigiCert"), strings.Contains(issuer, "Microsoft"), strings.Contains(issuer, "Apple"):
		return "CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US"
	case strings.Contains(issuer, "Google"):
		return "CN=GTS Root R1,O=Google Trust Services LLC,C=US"
	case strings.Contains(issuer, "Amazon"):
		return "CN=Amazon Root CA 1,O=Amazon,C=US"
	case strings.Contains(issuer, "GlobalSign"):
		return "CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R3"
	case strings.Contains(issuer, "Sectigo"):
		return "CN=USERTrust ECC Certification Authority,O=The USERTRUST Network,L=Jersey City,ST=New Jersey,C=US"
	case strings.Contains(issuer, "Let's Encrypt"):
		return "CN=ISRG Root X1,O=Internet Security Research Group,C=US"
	}
	return issuer
}

// noiseNames are internal names Windows clients ask for that do not exist.
var noiseNames = []string{"wpad", "isatap", "login.microsoftonline.com", "printer-2f", "teams.microsoft.com"}
