package pcap

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/tlshello"
)

// parseTLS consumes one TLS record from direction d and handles the
// handshake messages it completes.
func (rd *Reader) parseTLS(f *flow, d int8) (int, bool) {
	s := &f.dir[d]
	typ, _, payload, n, err := tlshello.ReadRecord(s.buf)
	if errors.Is(err, tlshello.ErrIncomplete) {
		return 0, false
	}
	if err != nil {
		rd.skip(ReasonTLS, "TLS %s:%d: %v", s.addr, s.port, err)
		s.state = stDone
		return 0, false
	}
	if typ != tlshello.RecordHandshake {
		// ChangeCipherSpec, alert or application data: the clear-text
		// handshake of this direction is over.
		s.state = stDone
		return n, false
	}
	s.hs = append(s.hs, payload...)
	for s.state != stDone {
		mt, body, m, err := tlshello.ReadHandshake(s.hs, maxHandshakeLen)
		if errors.Is(err, tlshello.ErrIncomplete) {
			break
		}
		if err != nil {
			rd.skip(ReasonTLS, "TLS %s:%d: %v", s.addr, s.port, err)
			s.state = stDone
			break
		}
		rd.handshake(f, d, mt, body)
		s.hs = s.hs[:copy(s.hs, s.hs[m:])]
	}
	return n, false
}

// handshake handles one complete handshake message.
func (rd *Reader) handshake(f *flow, d int8, typ uint8, body []byte) {
	s := &f.dir[d]
	switch typ {
	case tlshello.TypeClientHello:
		if err := tlshello.ParseClientHello(body, &rd.hello); err != nil {
			rd.skip(ReasonTLS, "TLS %s:%d: %v", s.addr, s.port, err)
			s.state = stDone
			return
		}
		f.client = d
		t := &f.tls
		if t.active {
			rd.flushTLS(f) // a second hello on the same connection
		}
		t.active, t.emitted = true, false
		e := &t.ev
		e.Reset()
		e.Kind, e.Sensor, e.Time = event.KindTLS, Sensor, rd.ts
		e.SNI = rd.hello.ServerName
		e.ALPN = append(e.ALPN, rd.hello.ALPN...)
		e.JA3, e.JA4 = rd.fingerprints.Fingerprints(&rd.hello, tlshello.TransportTCP)
		// Nothing after the ClientHello is readable or needed.
		s.state = stDone
	case tlshello.TypeServerHello:
		if err := tlshello.ParseServerHello(body, &rd.server); err != nil {
			rd.skip(ReasonTLS, "TLS %s:%d: %v", s.addr, s.port, err)
			s.state = stDone
			return
		}
		if f.client < 0 {
			f.client = 1 - d
		}
		rd.startTLS(f)
		f.tls.ev.JA3S = rd.server.JA3SHash()
		if v := rd.server.SupportedVersion; v == 0x0304 || v>>8 == 0x7f {
			// TLS 1.3: the certificate is encrypted.
			s.state = stDone
		}
	case tlshello.TypeCertificate:
		rd.startTLS(f)
		certs, err := tlshello.Certificates(body, rd.certs[:0])
		rd.certs = certs
		if err != nil {
			rd.skip(ReasonTLS, "TLS certificate from %s:%d: %v", s.addr, s.port, err)
		}
		rd.certificates(f, certs)
		s.state = stDone
	}
}

// startTLS makes sure the flow has a TLS event being gathered, for server
// messages seen without a ClientHello.
func (rd *Reader) startTLS(f *flow) {
	t := &f.tls
	if t.active {
		return
	}
	t.active, t.emitted = true, false
	t.ev.Reset()
	t.ev.Kind, t.ev.Sensor, t.ev.Time = event.KindTLS, Sensor, rd.ts
}

// certInfo is what umbra keeps of a certificate, cached by its SHA-256:
// the same few server certificates come back on every connection to a
// service, and parsing X.509 costs more than the rest of a packet's path.
type certInfo struct {
	sha1, sha256, serial, subject, issuer string
	names                                 []string
}

// maxCertCache bounds the certificate cache; it is emptied when full.
const maxCertCache = 4096

// certificate returns the cached description of der, parsing it once.
func (rd *Reader) certificate(der []byte) (*certInfo, error) {
	sum := sha256.Sum256(der)
	if c, ok := rd.certCache[sum]; ok {
		return c, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	s1 := sha1.Sum(der)
	c := &certInfo{
		sha1:    hex.EncodeToString(s1[:]),
		sha256:  hex.EncodeToString(sum[:]),
		serial:  strings.ToUpper(cert.SerialNumber.Text(16)),
		subject: distinguishedName(cert.RawSubject),
		issuer:  distinguishedName(cert.RawIssuer),
		names:   cert.DNSNames,
	}
	if rd.certCache == nil || len(rd.certCache) >= maxCertCache {
		rd.certCache = make(map[[sha256.Size]byte]*certInfo)
	}
	rd.certCache[sum] = c
	return c, nil
}

// certificates fills the TLS event with the leaf, emits it, and then one
// x509 event per certificate of the chain.
func (rd *Reader) certificates(f *flow, certs [][]byte) {
	infos := rd.infos[:0]
	for i, der := range certs {
		c, err := rd.certificate(der)
		if err != nil {
			rd.skip(ReasonCertificate, "certificate %d of %d: %v", i+1, len(certs), err)
		}
		infos = append(infos, c)
	}
	rd.infos = infos
	if len(infos) > 0 && infos[0] != nil {
		fillCert(&f.tls.ev, infos[0])
	}
	rd.flushTLS(f)
	for _, c := range infos {
		if c == nil {
			continue
		}
		x := rd.emit(event.KindX509)
		f.setFlow(x, rd.seed)
		fillCert(x, c)
	}
}

func fillCert(e *event.Event, c *certInfo) {
	e.CertSHA1, e.CertSHA256, e.CertSerial = c.sha1, c.sha256, c.serial
	e.CertSubject, e.CertIssuer = c.subject, c.issuer
	e.CertNames = append(e.CertNames[:0], c.names...)
}

// distinguishedName prints a raw X.501 name in RFC 2253 form
// ("CN=host,O=Org,C=US"), the form Zeek's x509.log uses, keeping the
// attributes the certificate has in the order it has them.
func distinguishedName(raw []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdn); err != nil || len(rest) > 0 {
		return ""
	}
	return rdn.String()
}

// flushTLS emits the flow's TLS event if it has one not yet emitted.
func (rd *Reader) flushTLS(f *flow) {
	t := &f.tls
	if !t.active || t.emitted {
		return
	}
	t.emitted, t.active = true, false
	e := rd.emit(event.KindTLS)
	copyEvent(e, &t.ev)
	f.setFlow(e, rd.seed)
}
