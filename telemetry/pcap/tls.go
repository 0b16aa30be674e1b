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
		_, e.JA3 = rd.hello.JA3()
		e.JA4 = rd.hello.JA4(tlshello.TransportTCP)
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
		_, f.tls.ev.JA3S = rd.server.JA3S()
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

// certificates fills the TLS event with the leaf, emits it, and then one
// x509 event per certificate of the chain.
func (rd *Reader) certificates(f *flow, certs [][]byte) {
	parsed := make([]*x509.Certificate, len(certs))
	for i, der := range certs {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			rd.skip(ReasonCertificate, "certificate %d of %d: %v", i+1, len(certs), err)
			continue
		}
		parsed[i] = cert
	}
	if len(parsed) > 0 && parsed[0] != nil {
		fillCert(&f.tls.ev, parsed[0], certs[0])
	}
	rd.flushTLS(f)
	for i, cert := range parsed {
		if cert == nil {
			continue
		}
		x := rd.emit(event.KindX509)
		f.setFlow(x, rd.seed)
		fillCert(x, cert, certs[i])
	}
}

func fillCert(e *event.Event, cert *x509.Certificate, der []byte) {
	s1 := sha1.Sum(der)
	s256 := sha256.Sum256(der)
	e.CertSHA1 = hex.EncodeToString(s1[:])
	e.CertSHA256 = hex.EncodeToString(s256[:])
	e.CertSerial = strings.ToUpper(cert.SerialNumber.Text(16))
	e.CertSubject = distinguishedName(cert.RawSubject)
	e.CertIssuer = distinguishedName(cert.RawIssuer)
	e.CertNames = append(e.CertNames[:0], cert.DNSNames...)
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
