package simulate

import (
	"encoding/hex"
	"net/netip"
	"strconv"
)

// malicious writes the records of one step of the intrusion and a truth
// line for every record that carries an indicator of it.
func (g *gen) malicious(a *action) {
	g.truthPending = true
	defer func() { g.truthPending = false }()
	h := &g.org.Hosts[a.host]
	att := g.att
	switch a.kind {
	case actLure:
		ts := a.t
		uid := g.dnsLookup(ts, h.Addr, att.lureDomain, []netip.Addr{att.lureIP}, 600, false)
		g.writeTruth(uid, "dns", "resume-lure", att.lureDomain, ts)
		ts += 40000
		path := att.lurePaths[a.i]
		p := httpParams{ts: ts, src: h.Addr, dst: att.lureIP, method: "GET", host: att.lureDomain, uri: path,
			ua: h.browser.userAgent, status: 200, statusMsg: "OK", respLen: 48213, mime: "application/msword"}
		name := path[len("/resume/"):]
		if hasPrefix(path, "/resume/view.php") {
			p.respLen, p.mime = 5120, "text/html"
			name = ""
		}
		p.file = fakeFile(g.uid('F'), name, p.mime, p.respLen)
		uid = g.httpSession(&p)
		url := "http://" + att.lureDomain + path
		g.writeTruth(uid, "conn", "resume-lure", att.lureIP.String(), ts)
		g.writeTruth(uid, "http", "resume-lure", url, ts)
		g.writeTruth(uid, "files", "resume-lure", url, ts)

	case actPhishVisit, actPhishPost:
		domain := g.phishDomain(a.i)
		ip := att.phishIPs[a.i%len(att.phishIPs)]
		ts := a.t
		google := a.i >= len(att.phishO365)
		if a.kind == actPhishPost {
			// The look-alike posts the password to its own plain-HTTP
			// collector, so the network sees the form submission.
			uri := "/common/login.srf"
			if google {
				uri = "/signin/v2/challenge/pwd"
			}
			p := httpParams{ts: ts, src: h.Addr, dst: ip, method: "POST", host: domain, uri: uri,
				referrer: "https://" + domain + "/", ua: h.browser.userAgent, reqLen: uint64(180 + len(h.User)),
				status: 302, statusMsg: "Found"}
			uid := g.httpSession(&p)
			g.writeTruth(uid, "conn", "phishing", ip.String(), ts)
			g.writeTruth(uid, "http", "phishing", domain, ts)
			return
		}
		uid := g.dnsLookup(ts, h.Addr, domain, []netip.Addr{ip}, 300, false)
		g.writeTruth(uid, "dns", "phishing", domain, ts)
		ts += 30000
		// The link in the mail is plain http and redirects to https.
		uri := "/owa/?login_hint=" + h.User
		if google {
			uri = "/ServiceLogin?service=mail&continue=https%3A%2F%2Fmail.google.com%2Fmail%2F"
		}
		p := httpParams{ts: ts, src: h.Addr, dst: ip, method: "GET", host: domain, uri: uri, ua: h.browser.userAgent,
			status: 301, statusMsg: "Moved Permanently"}
		uid = g.httpSession(&p)
		g.writeTruth(uid, "conn", "phishing", ip.String(), ts)
		g.writeTruth(uid, "http", "phishing", domain, ts)
		ts += 150000
		cert := g.phishCert(domain)
		tp := tlsParams{ts: ts, src: h.Addr, dst: ip, dport: 443, sni: domain, prof: h.browser, tls12: true,
			cert: &cert, logCerts: true, durUS: 35e6, ob: 4200, rb: 91000}
		uid = g.tlsSession(&tp)
		g.writeTruth(uid, "conn", "phishing", ip.String(), ts)
		g.writeTruth(uid, "ssl", "phishing", domain, ts)
		g.writeTruth(cert.sha256, "x509", "phishing", domain, ts)

	case actDownload:
		ts := a.t
		uid := g.dnsLookup(ts, h.Addr, att.dropDomain, []netip.Addr{att.dropIP}, 300, false)
		g.writeTruth(uid, "dns", "signed-malware", att.dropDomain, ts)
		ts += 25000
		imp := g.pes[2]
		p := httpParams{ts: ts, src: h.Addr, dst: att.dropIP, method: "GET", host: att.dropDomain,
			uri: "/patch/" + imp.name, ua: h.browser.userAgent, status: 200, statusMsg: "OK",
			respLen: uint64(len(imp.data)), mime: "application/x-dosexec",
			file: &fileRec{fuid: g.uid('F'), name: imp.name, mime: "application/x-dosexec", md5: imp.md5, sha1: imp.sha1,
				sha256: imp.sha256, size: uint64(len(imp.data))}}
		uid = g.httpSession(&p)
		g.writeTruth(uid, "conn", "signed-malware", att.dropIP.String(), ts)
		g.writeTruth(uid, "http", "signed-malware", att.dropDomain, ts)
		g.writeTruth(uid, "files", "signed-malware", imp.md5, ts)

	case actC2Idle:
		c := &att.c2[a.i]
		// The per-target name and, now and then, the bare root: both
		// park on 127.0.0.1 while the operators are away.
		name := g.org.Tag + "." + c.root
		if g.r.IntN(4) == 0 {
			name = c.root
		}
		uid := g.dnsLookup(a.t, h.Addr, name, []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, 60, false)
		g.writeTruth(uid, "dns", "c2", name, a.t)

	case actC2TLS, actC2HTTP, actC2Raw53:
		c := &att.c2[a.i]
		name := g.org.Tag + "." + c.root
		ts := a.t
		if g.r.IntN(3) == 0 {
			uid := g.dnsLookup(ts, h.Addr, name, []netip.Addr{c.ip}, 60, false)
			g.writeTruth(uid, "dns", "c2", name, ts)
			ts += 20000
		}
		switch a.kind {
		case actC2TLS:
			tp := tlsParams{ts: ts, src: h.Addr, dst: c.ip, dport: 443, sni: name, prof: profImplant, tls12: true,
				cert: &c.cert, durUS: int64(1e6 + g.r.IntN(20e6)), ob: uint64(400 + g.r.IntN(3000)), rb: uint64(300 + g.r.IntN(9000))}
			if !g.c2CertLogged[a.i] {
				g.c2CertLogged[a.i] = true
				tp.logCerts = true
				g.writeTruth(c.cert.sha256, "x509", "c2", c.cert.sha256, ts)
			}
			uid := g.tlsSession(&tp)
			g.writeTruth(uid, "conn", "c2", c.ip.String(), ts)
			g.writeTruth(uid, "ssl", "c2", name, ts)
		case actC2HTTP:
			var id [6]byte
			for i := range id {
				id[i] = byte(g.r.Uint32())
			}
			p := httpParams{ts: ts, src: h.Addr, dst: c.ip, method: "POST", host: name,
				uri: "/search?q=" + hex.EncodeToString(id[:]) + "&ie=" + strconv.Itoa(g.r.IntN(100)),
				ua:  profImplant.userAgent, reqLen: uint64(64 + g.r.IntN(900)), status: 200, statusMsg: "OK",
				respLen: uint64(g.r.IntN(2000))}
			uid := g.httpSession(&p)
			g.writeTruth(uid, "conn", "c2", c.ip.String(), ts)
			g.writeTruth(uid, "http", "c2", name, ts)
		default:
			// Port 53 over TCP with a private protocol: no DNS service.
			cr := g.tcpConn(ts, h.Addr, c.ip, 53, "", int64(2e6+g.r.IntN(60e6)), uint64(200+g.r.IntN(4000)), uint64(200+g.r.IntN(20000)))
			g.writeConn(&cr)
			g.writeTruth(cr.uid, "conn", "c2", c.ip.String(), ts)
		}

	case actScan:
		cr := connRec{ts: a.t, uid: g.uid('C'), src: h.Addr, dst: a.dst, sport: g.ephemeralPort(), dport: a.port, proto: 6,
			origPkts: 1}
		switch {
		case a.i < 0:
			cr.state, cr.history = "S0", "S"
		case scanOpen(g.org.Hosts[a.i].Role, a.port):
			cr.state, cr.history, cr.durUS, cr.origPkts, cr.respPkts = "RSTO", "ShAR", int64(300+g.r.IntN(3000)), 3, 1
		default:
			cr.state, cr.history, cr.respPkts = "REJ", "Sr", 1
		}
		g.writeConn(&cr)
		g.writeTruth(cr.uid, "conn", "scan", h.Addr.String()+" -> "+a.dst.String()+":"+strconv.Itoa(int(a.port)), a.t)

	case actOperator:
		ip := att.operatorIPs[a.i]
		dur := int64(20+g.r.IntN(70))*60e6 + g.r.Int64N(60e6)
		cr := connRec{ts: a.t, uid: g.uid('C'), src: ip, dst: h.Addr, sport: uint16(49152 + g.r.IntN(16384)), dport: 3389, proto: 6,
			service: "rdp", durUS: dur, origBytes: uint64(dur/1e6) * 900, respBytes: uint64(dur/1e6) * 24000, state: "SF",
			history: "ShADadFf"}
		cr.origPkts, cr.respPkts = cr.origBytes/200, cr.respBytes/1300
		g.writeConn(&cr)
		g.writeTruth(cr.uid, "conn", "operator-session", ip.String(), a.t)
	}
}

// scanOpen says which scanned ports answer on a host of a role.
func scanOpen(r Role, port uint16) bool {
	switch port {
	case 445:
		return true
	case 139:
		return r == RoleWorkstation || r == RoleFileServer || r == RoleDomainController
	case 80, 8080:
		return r == RoleBuildServer || r == RoleSigningServer
	}
	return false
}

func (g *gen) phishDomain(i int) string {
	if i < len(g.att.phishO365) {
		return g.att.phishO365[i]
	}
	return g.att.phishGoogle[i-len(g.att.phishO365)]
}

// phishCert is the Let's Encrypt certificate of a phishing site.
func (g *gen) phishCert(domain string) certificate {
	fp := hashOf("umbra-simulate phishing certificate " + domain)
	return certificate{sha256: fp, serial: hexUpperString(fp[:32]), subject: "CN=" + domain,
		issuer: "CN=R3,O=Let's Encrypt,C=US", notBefore: g.startUS - 3*86400e6, notAft: g.startUS + 87*86400e6, san: domain}
}

func hashOf(s string) string {
	_, _, h := hashes([]byte(s))
	return h
}

func hexUpperString(h string) string {
	b, _ := hex.DecodeString(h)
	return hexUpper(b)
}
