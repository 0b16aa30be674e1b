package eve

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source/jsonscan"
)

// The decoder walks each record in place with jsonscan, keeping the dotted
// path of the current key ("tls.ja3.hash"; array elements add no index,
// "dns.answers.rdata") and converting only the paths in fields. Subtrees
// that hold no mapped path are skipped by the scanner without a lookup.

// field says what an EVE path means for the Event.
type field uint8

const (
	fSkip field = iota
	fTimestamp
	fFlowID
	fEventType
	fSrcIP
	fSrcPort
	fDestIP
	fDestPort
	fProto
	fCommunityID
	fBytesToServer
	fBytesToClient
	fNetflowBytes
	fDNSRRName    // v1 and v2: the name asked or answered
	fDNSRRType    // v1 answer record type
	fDNSRData     // v1 answer data
	fDNSQueryName // v3 queries[].rrname: the first one
	fDNSAnswerType
	fDNSAnswerData
	fDNSGrouped // grouped.A / grouped.AAAA addresses
	fSNI
	fSubject
	fIssuer
	fSerial
	fFingerprint
	fSAN
	fJA3
	fJA3S
	fJA4
	fHostname
	fURL
	fUserAgent
	fHeaderName
	fHeaderValue
	fFileName
	fMD5
	fSHA1
	fSHA256
	fEmail // smtp mail_from, rcpt_to; email from, to, cc
)

// fields maps EVE paths, as documented in Suricata's "Eve JSON Format".
var fields = func() map[string]field {
	m := map[string]field{
		"timestamp": fTimestamp, "flow_id": fFlowID, "event_type": fEventType,
		"src_ip": fSrcIP, "src_port": fSrcPort, "dest_ip": fDestIP, "dest_port": fDestPort,
		"proto": fProto, "community_id": fCommunityID,
		"flow.bytes_toserver": fBytesToServer, "flow.bytes_toclient": fBytesToClient, "netflow.bytes": fNetflowBytes,
		"dns.rrname": fDNSRRName, "dns.rrtype": fDNSRRType, "dns.rdata": fDNSRData,
		"dns.queries.rrname": fDNSQueryName, "dns.answers.rrtype": fDNSAnswerType, "dns.answers.rdata": fDNSAnswerData,
		"dns.grouped.A": fDNSGrouped, "dns.grouped.AAAA": fDNSGrouped,
		"http.hostname": fHostname, "http.url": fURL, "http.http_user_agent": fUserAgent,
		"http.request_headers.name": fHeaderName, "http.request_headers.value": fHeaderValue,
		"fileinfo.filename": fFileName, "fileinfo.md5": fMD5, "fileinfo.sha1": fSHA1, "fileinfo.sha256": fSHA256,
		"smtp.mail_from": fEmail, "smtp.rcpt_to": fEmail, "email.from": fEmail, "email.to": fEmail, "email.cc": fEmail,
	}
	// QUIC logs the TLS handshake's sni, ja3 and ja4 in the same shape.
	for _, p := range []string{"tls", "quic"} {
		m[p+".sni"] = fSNI
		m[p+".subject"] = fSubject
		m[p+".issuerdn"] = fIssuer
		m[p+".serial"] = fSerial
		m[p+".fingerprint"] = fFingerprint
		m[p+".subjectaltname"] = fSAN
		m[p+".ja3.hash"] = fJA3
		m[p+".ja3s.hash"] = fJA3S
		m[p+".ja4"] = fJA4
	}
	return m
}()

// containers are the objects worth descending into: the proper prefixes of
// the mapped paths.
var containers = func() map[string]bool {
	m := map[string]bool{}
	for p := range fields {
		for i := range p {
			if p[i] == '.' {
				m[p[:i]] = true
			}
		}
	}
	return m
}()

// recordState gathers the values that are checked or combined only once
// the whole record has been read.
type recordState struct {
	eventType, timestamp, flowID []byte
	srcPort, destPort, proto     []byte
	srcIP, destIP                []byte
	rrtype, rdata                []byte // dns v1 answer
	hasAnswers                   bool   // dns.answers present: grouped is a duplicate
	grouped                      []netip.Addr
	elemType, elemData           []byte // the current dns.answers element
	hdrName, hdrValue            []byte // the current http.request_headers element
	hasQuery                     bool
}

func (r *Reader) decode(e *event.Event, line []byte) error {
	e.Reset()
	e.Sensor = "suricata"
	grouped := r.rec.grouped[:0]
	r.rec = recordState{grouped: grouped}
	r.str = r.str[:0]
	s := jsonscan.New(line)
	if err := r.walkObject(e, &s, 0, 0); err != nil {
		return err
	}
	if s.Rest() {
		return s.Errorf("unexpected data after the object")
	}
	return r.finish(e)
}

func (r *Reader) walkObject(e *event.Event, s *jsonscan.Scanner, prefix, depth int) error {
	if !s.Eat('{') {
		return s.Errorf("expected '{'")
	}
	if s.Eat('}') {
		return nil
	}
	for {
		key, esc, err := s.Key()
		if err != nil {
			return err
		}
		if esc {
			if r.key, err = jsonscan.AppendString(r.key[:prefix], key); err != nil {
				return s.Errorf("%v", err)
			}
		} else {
			r.key = append(r.key[:prefix], key...)
		}
		if err := r.walkValue(e, s, depth); err != nil {
			return err
		}
		if s.Eat('}') {
			return nil
		}
		if !s.Eat(',') {
			return s.Errorf("expected ',' or '}'")
		}
	}
}

// walkValue handles the value of the path in r.key.
func (r *Reader) walkValue(e *event.Event, s *jsonscan.Scanner, depth int) error {
	c, _ := s.PeekByte()
	if c == '{' && depth < jsonscan.MaxDepth && containers[string(r.key)] {
		r.key = append(r.key, '.')
		return r.walkObject(e, s, len(r.key), depth+1)
	}
	kind, raw, esc, err := s.Value(depth + 1)
	if err != nil {
		return err
	}
	if kind == jsonscan.Array {
		return r.walkArray(e, raw, depth+1)
	}
	if f := fields[string(r.key)]; f != fSkip {
		if err := r.set(e, f, kind, raw, esc); err != nil {
			return fmt.Errorf("%s: %v", r.key, err)
		}
	}
	return nil
}

// walkArray maps the scalars of a mapped array, and walks the objects of
// dns.queries, dns.answers and http.request_headers one element at a time.
func (r *Reader) walkArray(e *event.Event, raw []byte, depth int) error {
	f := fields[string(r.key)]
	objects := containers[string(r.key)]
	if f == fSkip && !objects {
		return nil
	}
	if string(r.key) == "dns.answers" {
		r.rec.hasAnswers = true
	}
	prefix := len(r.key)
	return jsonscan.Elements(raw, depth, func(s *jsonscan.Scanner) error {
		r.key = r.key[:prefix]
		if c, _ := s.PeekByte(); c == '{' && objects {
			r.key = append(r.key, '.')
			r.rec.elemType, r.rec.elemData, r.rec.hdrName, r.rec.hdrValue = nil, nil, nil, nil
			if err := r.walkObject(e, s, len(r.key), depth+1); err != nil {
				return err
			}
			r.endElement(e)
			return nil
		}
		kind, v, esc, err := s.Value(depth + 1)
		if err != nil || f == fSkip {
			return err
		}
		if err := r.set(e, f, kind, v, esc); err != nil {
			return fmt.Errorf("%s: %v", r.key, err)
		}
		return nil
	})
}

// endElement acts on an array element once all its keys are known: key
// order inside an object is not fixed.
func (r *Reader) endElement(e *event.Event) {
	if t := string(r.rec.elemType); (t == "A" || t == "AAAA") && r.rec.elemData != nil {
		if a, err := netip.ParseAddr(string(r.rec.elemData)); err == nil {
			e.Answers = append(e.Answers, a)
		}
	}
	if r.rec.hdrName != nil && strings.EqualFold(string(r.rec.hdrName), "cookie") {
		e.Cookies = appendCookieNames(e.Cookies, string(r.rec.hdrValue))
	}
}

// text returns a string value's content, decoding escapes into the
// record's scratch space (stable until the next record).
func (r *Reader) text(kind jsonscan.Kind, raw []byte, esc bool) ([]byte, bool, error) {
	if kind != jsonscan.String {
		return nil, false, nil
	}
	if !esc {
		return raw, true, nil
	}
	start := len(r.str)
	var err error
	if r.str, err = jsonscan.AppendString(r.str, raw); err != nil {
		return nil, false, err
	}
	return r.str[start:len(r.str):len(r.str)], true, nil
}

// set stores one scalar. Values checked against each other, or only once
// event_type is known, wait in r.rec for finish.
func (r *Reader) set(e *event.Event, f field, kind jsonscan.Kind, raw []byte, esc bool) error {
	switch f {
	case fFlowID, fSrcPort, fDestPort, fProto, fBytesToServer, fBytesToClient, fNetflowBytes:
		v := raw
		if kind == jsonscan.String {
			var err error
			if v, _, err = r.text(kind, raw, esc); err != nil {
				return err
			}
		} else if kind != jsonscan.Number {
			return nil // null and the like: absent
		}
		switch f {
		case fFlowID:
			r.rec.flowID = v
		case fSrcPort:
			r.rec.srcPort = v
		case fDestPort:
			r.rec.destPort = v
		case fProto:
			r.rec.proto = v
		default:
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("bad count %q", clip(string(v)))
			}
			switch f {
			case fBytesToServer:
				e.OrigBytes = n
			case fBytesToClient:
				e.RespBytes = n
			case fNetflowBytes:
				e.OrigBytes = n
			}
		}
		return nil
	}
	v, ok, err := r.text(kind, raw, esc)
	if err != nil || !ok {
		return err
	}
	switch f {
	case fTimestamp:
		r.rec.timestamp = v
	case fEventType:
		r.rec.eventType = v
	case fSrcIP:
		r.rec.srcIP = v
	case fDestIP:
		r.rec.destIP = v
	case fCommunityID:
		e.CommunityID = string(v)
	case fDNSRRName:
		e.Domain = string(v)
	case fDNSRRType:
		r.rec.rrtype = v
	case fDNSRData:
		r.rec.rdata = v
	case fDNSQueryName:
		if !r.rec.hasQuery {
			e.Domain = string(v)
			r.rec.hasQuery = true
		}
	case fDNSAnswerType:
		r.rec.elemType = v
	case fDNSAnswerData:
		r.rec.elemData = v
	case fDNSGrouped:
		if a, err := netip.ParseAddr(string(v)); err == nil {
			r.rec.grouped = append(r.rec.grouped, a)
		}
	case fSNI:
		e.SNI = string(v)
	case fSubject:
		e.CertSubject = string(v)
	case fIssuer:
		e.CertIssuer = string(v)
	case fSerial:
		e.CertSerial = serial(string(v))
	case fFingerprint:
		e.CertSHA1 = fingerprint(string(v))
	case fSAN:
		e.CertNames = append(e.CertNames, string(v))
	case fJA3:
		e.JA3 = strings.ToLower(string(v))
	case fJA3S:
		e.JA3S = strings.ToLower(string(v))
	case fJA4:
		e.JA4 = string(v)
	case fHostname:
		e.Host = string(v)
	case fURL:
		e.URI = string(v)
	case fUserAgent:
		e.UserAgent = string(v)
	case fHeaderName:
		r.rec.hdrName = v
	case fHeaderValue:
		r.rec.hdrValue = v
	case fFileName:
		e.FileName = string(v)
	case fMD5:
		e.MD5 = strings.ToLower(string(v))
	case fSHA1:
		e.SHA1 = strings.ToLower(string(v))
	case fSHA256:
		e.SHA256 = strings.ToLower(string(v))
	case fEmail:
		e.Emails = appendAddrs(e.Emails, string(v))
	}
	return nil
}

// finish checks and converts what waited for the whole record.
func (r *Reader) finish(e *event.Event) error {
	rec := &r.rec
	if len(rec.timestamp) > 0 {
		t, err := time.Parse(timeLayout, string(rec.timestamp))
		if err != nil {
			if t, err = time.Parse(time.RFC3339Nano, string(rec.timestamp)); err != nil {
				return fmt.Errorf("bad timestamp %q", clip(string(rec.timestamp)))
			}
		}
		e.Time = t.UTC()
	}
	if len(rec.flowID) > 0 {
		if _, err := strconv.ParseUint(string(rec.flowID), 10, 64); err != nil {
			return fmt.Errorf("bad flow_id %q", clip(string(rec.flowID)))
		}
		e.UID = string(rec.flowID)
	}
	var err error
	if e.SrcIP, err = addrField("src_ip", rec.srcIP); err != nil {
		return err
	}
	if e.DstIP, err = addrField("dest_ip", rec.destIP); err != nil {
		return err
	}
	if e.SrcPort, err = portField("src_port", rec.srcPort); err != nil {
		return err
	}
	if e.DstPort, err = portField("dest_port", rec.destPort); err != nil {
		return err
	}
	e.Proto = protoNumber(string(rec.proto))

	switch string(rec.eventType) {
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

	if t := string(rec.rrtype); (t == "A" || t == "AAAA") && len(rec.rdata) > 0 { // v1 answer
		if a, err := netip.ParseAddr(string(rec.rdata)); err == nil {
			e.Answers = append(e.Answers, a)
		}
	}
	if !rec.hasAnswers {
		// Suricata may log only the grouped form (answer format "grouped").
		e.Answers = append(e.Answers, rec.grouped...)
	}
	switch {
	case strings.HasPrefix(e.URI, "http://") || strings.HasPrefix(e.URI, "https://"):
		e.URL = e.URI
	case e.Host != "" && e.URI != "":
		e.URL = "http://" + e.Host + e.URI
	}
	return nil
}

func addrField(name string, v []byte) (netip.Addr, error) {
	if len(v) == 0 {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(string(v))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s: bad IP %q", name, clip(string(v)))
	}
	return a, nil
}

func portField(name string, v []byte) (uint16, error) {
	if len(v) == 0 {
		return 0, nil
	}
	p, err := strconv.ParseUint(string(v), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%s: bad port %q", name, clip(string(v)))
	}
	return uint16(p), nil
}
