// Package maltrail reads maltrail "static trail" files
// (trails/static/{malware,suspicious,mass_scanner}/NAME.txt): one trail
// per line — a domain, an IP, IP:port, or a URL written with or without
// its scheme — under comment blocks that cite the sources:
//
//	# Reference: https://example.org/report-1
//	# Reference: https://example.org/report-2
//
//	evil.example.com
//	http://203.0.113.5
//	198.51.100.7:8443
//	evil.example.net/panel/gate.php
//
// A block's "# Reference:" lines become the References of the trails that
// follow, until the next comment after a trail starts a new block;
// "# Aliases:" lines (which describe the whole file) become tags. As maltrail does, a scheme on a bare
// host is dropped ("http://203.0.113.5" is the IP trail 203.0.113.5) and a
// trailing '/' is ignored; a port becomes a "port:N" tag on the address.
// Path-only trails ("/smjw6q7/gate.php", matched by maltrail on any host)
// have no indicator type in umbra and are rejected with that reason.
package maltrail

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Options tune Read.
type Options struct {
	// Info names what the trails point to, as maltrail's "info" column
	// does; it is the description of every record. Empty means the file
	// name without extension plus " (malware)", maltrail's own default.
	Info string
	// Source defaults to "maltrail".
	Source string
	// Tags are added to every record.
	Tags []string
	// OnReject, if set, sees each rejected line as it happens.
	OnReject func(*indicator.LineError)
}

const maxLineBytes = 64 << 10

// Read streams the trail file in r (name is its file name, used for
// messages and the default Info), sending each new indicator to emit. Bad
// lines are counted and described in the returned Summary and reading
// goes on; the error is non-nil only when r fails or emit does.
func Read(r io.Reader, name string, opts Options, emit func(indicator.Record) error) (indicator.Summary, error) {
	col := indicator.NewCollector(name, emit, opts.OnReject)
	info := opts.Info
	if info == "" {
		info = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)) + " (malware)"
	}
	source := opts.Source
	if source == "" {
		source = "maltrail"
	}
	var refs, aliases []string
	afterTrail := false // a comment after a trail starts a new block
	br := bufio.NewReaderSize(r, maxLineBytes)
	line := 0
	for {
		raw, err := br.ReadSlice('\n')
		if len(raw) > 0 || err == nil {
			line++
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			col.Reject(line, "line too long", fmt.Errorf("line longer than %d bytes", maxLineBytes))
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		} else if len(raw) > 0 {
			s := strings.TrimSpace(string(raw))
			switch {
			case s == "":
			case s[0] == '#':
				if afterTrail {
					refs, afterTrail = nil, false
				}
				c := strings.TrimSpace(s[1:])
				if v, ok := cutPrefixFold(c, "reference:"); ok && v != "" {
					refs = append(refs[:len(refs):len(refs)], v)
				} else if v, ok := cutPrefixFold(c, "aliases:"); ok {
					for _, a := range strings.Split(v, ",") {
						if a = strings.TrimSpace(a); a != "" {
							aliases = append(aliases[:len(aliases):len(aliases)], a)
						}
					}
				}
			default:
				afterTrail = true
				rec := indicator.Record{Description: info, Source: source, References: refs,
					Tags: append(append([]string(nil), opts.Tags...), aliases...)}
				if e := readTrail(col, s, line, rec); e != nil {
					return col.Summary(), e
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return col.Summary(), fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	return col.Summary(), nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return strings.TrimSpace(s[len(prefix):]), true
	}
	return "", false
}

func readTrail(col *indicator.Collector, s string, line int, rec indicator.Record) error {
	// An inline comment: "evil.com # seen 2019".
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	orig := s
	s = indicator.Refang(s)
	scheme := ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, s = s[:i], s[i+3:]
	}
	s = strings.TrimRight(s, "/")
	if s == "" || strings.HasPrefix(orig, "/") {
		col.Reject(line, "path-only trail", fmt.Errorf("%q: a path on any host has no umbra indicator type", orig))
		return nil
	}
	if p, err := netip.ParsePrefix(s); err == nil && scheme == "" {
		rec.Type, rec.Value = indicator.CIDR, p.Masked().String()
		return col.Add(rec, line)
	}
	hostport, path, hasPath := strings.Cut(s, "/")
	if hasPath {
		if scheme == "" {
			scheme = "http"
		}
		return add(col, rec, line, indicator.URL, scheme+"://"+hostport+"/"+path)
	}
	host, port := hostport, ""
	if a, err := netip.ParseAddrPort(hostport); err == nil {
		host, port = a.Addr().String(), strconv.Itoa(int(a.Port()))
	} else if i := strings.LastIndexByte(hostport, ':'); i > 0 && strings.Count(hostport, ":") == 1 {
		host, port = hostport[:i], hostport[i+1:]
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			col.Reject(line, "bad port", fmt.Errorf("%q: bad port %q", orig, port))
			return nil
		}
	}
	if port != "" {
		rec.Tags = append(rec.Tags, "port:"+port)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return add(col, rec, line, indicator.IPv4, host) // Coerce picks IPv4 or IPv6
	}
	return add(col, rec, line, indicator.Domain, host)
}

func add(col *indicator.Collector, rec indicator.Record, line int, t indicator.Type, v string) error {
	var err error
	if rec.Type, rec.Value, err = indicator.Coerce(t, v); err != nil {
		col.Reject(line, "", err)
		return nil
	}
	return col.Add(rec, line)
}

// Sniff reports whether head, the first bytes of a file, looks like a
// maltrail trail file: its leading comments name maltrail or cite
// "# Reference:" lines, and its first data line is a single trail.
func Sniff(head []byte) bool {
	marked := false
	for _, l := range strings.Split(string(head), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case l[0] == '#':
			c := strings.ToLower(l)
			if strings.Contains(c, "maltrail") || strings.HasPrefix(strings.TrimSpace(c[1:]), "reference:") {
				marked = true
			}
		default:
			return marked && !strings.ContainsAny(l, " \t,;")
		}
	}
	return marked
}
