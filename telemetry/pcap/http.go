package pcap

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/telemetry/event"
)

var crlfcrlf = []byte("\r\n\r\n")

// parseHTTPRequest reads one request's headers from direction d, emits an
// HTTP event and arranges to skip the body.
func (rd *Reader) parseHTTPRequest(f *flow, d int8) (int, bool) {
	s := &f.dir[d]
	end := bytes.Index(s.buf, crlfcrlf)
	if end < 0 {
		if len(s.buf) > 0 && !isTokenStart(s.buf[0]) {
			rd.skip(ReasonHTTP, "HTTP %s:%d: request does not start with a method", s.addr, s.port)
			s.state = stDone
		}
		return 0, false
	}
	head := s.buf[:end]
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	method, afterMethod, ok1 := bytes.Cut(line, []byte(" "))
	target, version, ok2 := bytes.Cut(afterMethod, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 || !bytes.HasPrefix(version, []byte("HTTP/")) {
		rd.skip(ReasonHTTP, "HTTP %s:%d: bad request line %.80q", s.addr, s.port, line)
		s.state = stDone
		return 0, false
	}
	f.client = d
	e := rd.emit(event.KindHTTP)
	f.setFlow(e, rd.seed)
	e.URI = string(target)
	bodyBytes, chunked := 0, false
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case equalFold(name, "host"):
			e.Host = hostOnly(string(value))
		case equalFold(name, "user-agent"):
			e.UserAgent = string(value)
		case equalFold(name, "cookie"):
			e.Cookies = appendCookieNames(e.Cookies, value)
		case equalFold(name, "content-length"):
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 {
				bodyBytes = n
			}
		case equalFold(name, "transfer-encoding"):
			chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		}
	}
	isConnect := string(method) == "CONNECT"
	if e.Host == "" && isConnect {
		e.Host = hostOnly(e.URI)
	}
	switch {
	case isConnect:
		// A tunnel: TLS or anything may follow once the proxy answers.
	case hasPrefix(target, "http://") || hasPrefix(target, "https://"):
		e.URL = e.URI // proxy request with an absolute target
	case e.Host != "" && hasPrefix(target, "/"):
		e.URL = "http://" + e.Host + e.URI
	}
	switch {
	case isConnect:
		s.state = stDetect
	case chunked:
		s.state = stDone // bodies are not followed; the headers were what we wanted
	default:
		s.skip = bodyBytes
	}
	return end + len(crlfcrlf), false
}

// parseHTTPResponse skips one response's headers and body so that what
// follows a CONNECT (usually TLS) is seen.
func parseHTTPResponse(s *stream) (int, bool) {
	end := bytes.Index(s.buf, crlfcrlf)
	if end < 0 {
		return 0, false
	}
	_, rest, _ := bytes.Cut(s.buf[:end], []byte("\r\n"))
	bodyBytes := 0
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		switch {
		case equalFold(name, "content-length"):
			if n, err := strconv.Atoi(string(bytes.TrimSpace(value))); err == nil && n >= 0 {
				bodyBytes = n
			}
		case equalFold(name, "transfer-encoding"):
			s.state = stDone
			return end + len(crlfcrlf), false
		}
	}
	s.state = stDetect
	s.skip = bodyBytes
	return end + len(crlfcrlf), false
}

func isTokenStart(c byte) bool { return c >= 'A' && c <= 'Z' }

func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// hostOnly lowercases a Host value and drops its port; "[::1]:80" keeps its
// brackets, as Suricata prints it.
func hostOnly(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return strings.ToLower(h[:i+1])
		}
		return strings.ToLower(h)
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i]
	}
	return strings.ToLower(h)
}

// appendCookieNames appends the names of a Cookie header's pairs.
func appendCookieNames(dst []string, v []byte) []string {
	for len(v) > 0 {
		var pair []byte
		pair, v, _ = bytes.Cut(v, []byte(";"))
		name, _, _ := bytes.Cut(pair, []byte("="))
		name = bytes.TrimSpace(name)
		if len(name) > 0 {
			dst = append(dst, string(name))
		}
	}
	return dst
}
