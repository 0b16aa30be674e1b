// Package openioc reads indicators out of OpenIOC documents (1.1, root
// <OpenIOC>, items under <criteria>; and 1.0, root <ioc>, items under
// <definition>).
//
// OpenIOC is a boolean logic language, while umbra's indicators are
// single values, so the reader keeps what is exact and safe to match alone:
//
//   - an IndicatorItem whose condition is "is" (not negated) becomes a
//     record; its Context search ("Network/DNS", "PortItem/remoteIP",
//     "FileItem/Md5sum", "Email/From", ...) and its Content type decide the
//     indicator type;
//   - "contains", "matches", "isnot" and other conditions are rejected, as
//     are negated items: they are not values;
//   - inside an AND, only values that are evidence on their own (hashes,
//     certificate hashes, addresses, names, URLs, e-mails) are taken; weak
//     ones (file names, user-agents) are rejected there, since
//     "FileName is svchost.exe AND ..." does not make svchost.exe malicious.
//
// The document's short_description (or description) is every record's
// description, its links are the references, its keywords the tags, and
// authored_by the source unless Options.Source is set.
package openioc

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Options tune Read.
type Options struct {
	// Source overrides the document's authored_by.
	Source string
	// Tags are added to every record.
	Tags []string
	// OnReject, if set, sees each rejected item as it happens.
	OnReject func(*indicator.LineError)
}

// searchTypes maps the last step of a Context search path (lower-cased)
// to the indicator type it holds.
var searchTypes = map[string]indicator.Type{
	"network/dns": indicator.Domain, "dnsentryitem/host": indicator.Domain, "dnsentryitem/recordname": indicator.Domain,
	"dnsentryitem/recorddata/host": indicator.Domain, "urlhistoryitem/hostname": indicator.Domain,
	"network/hostname":                    indicator.Domain,
	"dnsentryitem/recorddata/ipv4address": indicator.IPv4, "portitem/remoteip": indicator.IPv4,
	"portitem/localip": indicator.IPv4, "processitem/portlist/portitem/remoteip": indicator.IPv4,
	"processitem/portlist/portitem/localip": indicator.IPv4, "routeentryitem/destination": indicator.IPv4,
	"arpentryitem/ipv4address": indicator.IPv4, "network/ip": indicator.IPv4,
	"urlhistoryitem/url": indicator.URL, "network/url": indicator.URL,
	"network/useragent": indicator.UserAgent, "urlhistoryitem/browseruseragent": indicator.UserAgent,
	"email/from": indicator.Email, "email/to": indicator.Email, "email/replyto": indicator.Email,
	"email/cc": indicator.Email, "email/bcc": indicator.Email, "email/sender": indicator.Email,
}

// suffixTypes maps the final path step, wherever it appears
// (FileItem/Md5sum, ProcessItem/Md5sum, ...).
var suffixTypes = map[string]indicator.Type{
	"md5sum": indicator.MD5, "sha1sum": indicator.SHA1, "sha256sum": indicator.SHA256,
	"filename": indicator.FileName,
}

// contentTypes covers items whose search is unfamiliar but whose Content
// type names the value.
var contentTypes = map[string]indicator.Type{
	"md5": indicator.MD5, "sha1": indicator.SHA1, "sha256": indicator.SHA256, "ip": indicator.IPv4,
}

func weak(t indicator.Type) bool {
	return t == indicator.FileName || t == indicator.UserAgent || t == indicator.Cookie
}

// maxDepth bounds element nesting: no real document comes close, and a
// hostile one must not grow our stacks without limit.
const maxDepth = 256

// maxContentBytes bounds one Content value.
const maxContentBytes = 64 << 10

type item struct {
	line      int
	condition string
	negate    bool
	search    string
	ctype     string
	content   strings.Builder
	inAND     bool
}

// Read streams the OpenIOC document in r (name is used in messages),
// sending each new indicator to emit. Items that are not exact values
// are counted and described in the returned Summary. The error is non-nil
// when the document is not well-formed XML or not OpenIOC (records before
// the fault have been emitted), when r fails, or when emit does.
func Read(r io.Reader, name string, opts Options, emit func(indicator.Record) error) (indicator.Summary, error) {
	col := indicator.NewCollector(name, emit, opts.OnReject)
	d := xml.NewDecoder(r)
	d.CharsetReader = charsetReader

	var (
		stack     []string // element local names
		operators []string // operator of each open Indicator
		meta      indicator.Record
		metaText  strings.Builder
		link      struct{ href string }
		cur       *item
		author    string
		rootSeen  bool
	)
	meta.Source = opts.Source
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return col.Summary(), fmt.Errorf("%s:%d: %s", name, se.Line, se.Msg)
			}
			return col.Summary(), fmt.Errorf("%s:%d: %w", name, line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			local := t.Name.Local
			if !rootSeen {
				rootSeen = true
				if local != "OpenIOC" && local != "ioc" {
					return col.Summary(), fmt.Errorf("%s:%d: root element <%s> is not <OpenIOC> or <ioc>", name, line, local)
				}
			}
			if len(stack) >= maxDepth {
				return col.Summary(), fmt.Errorf("%s:%d: elements nested deeper than %d", name, line, maxDepth)
			}
			stack = append(stack, local)
			metaText.Reset()
			switch local {
			case "Indicator":
				operators = append(operators, strings.ToUpper(attr(t, "operator")))
			case "IndicatorItem":
				cur = &item{line: line, condition: strings.ToLower(attr(t, "condition")),
					negate: strings.EqualFold(attr(t, "negate"), "true")}
				if n := len(operators); n > 0 && operators[n-1] == "AND" {
					cur.inAND = true
				}
			case "Context":
				if cur != nil {
					cur.search = attr(t, "search")
				}
			case "Content":
				if cur != nil {
					cur.ctype = strings.ToLower(attr(t, "type"))
				}
			case "link":
				link.href = attr(t, "href")
			}
		case xml.CharData:
			if cur != nil && len(stack) > 0 && stack[len(stack)-1] == "Content" {
				if cur.content.Len()+len(t) > maxContentBytes {
					cur.content.Reset()
					cur.condition = "oversized"
				}
				cur.content.Write(t)
			} else if cur == nil && metaText.Len() < maxContentBytes {
				metaText.Write(t)
			}
		case xml.EndElement:
			local := t.Name.Local
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			text := strings.TrimSpace(metaText.String())
			switch local {
			case "Indicator":
				if len(operators) > 0 {
					operators = operators[:len(operators)-1]
				}
			case "IndicatorItem":
				if cur != nil {
					rec := meta
					if rec.Source == "" {
						rec.Source = author
					}
					if err := readItem(col, cur, rec); err != nil {
						return col.Summary(), err
					}
					cur = nil
				}
			case "short_description":
				if cur == nil && text != "" {
					meta.Description = text
				}
			case "description":
				if cur == nil && meta.Description == "" {
					meta.Description = text
				}
			case "keywords":
				if cur == nil {
					meta.Tags = append(append([]string(nil), opts.Tags...), strings.FieldsFunc(text, func(r rune) bool {
						return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n'
					})...)
				}
			case "authored_by":
				if cur == nil {
					author = text
				}
			case "link":
				ref := link.href
				if ref == "" {
					ref = text
				}
				if ref != "" {
					meta.References = append(meta.References[:len(meta.References):len(meta.References)], ref)
				}
				link.href = ""
			}
		}
	}
	if !rootSeen {
		return col.Summary(), fmt.Errorf("%s: no XML elements", name)
	}
	return col.Summary(), nil
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func readItem(col *indicator.Collector, it *item, rec indicator.Record) error {
	value := strings.TrimSpace(it.content.String())
	switch {
	case it.condition == "oversized":
		col.Reject(it.line, "oversized content", fmt.Errorf("Content longer than %d bytes", maxContentBytes))
		return nil
	case it.negate:
		col.Reject(it.line, "negated item", fmt.Errorf("%s %q is negated: not an indicator", it.search, truncate(value)))
		return nil
	case it.condition != "is":
		col.Reject(it.line, "inexact condition", fmt.Errorf("%s %s %q is not an exact value", it.search, it.condition, truncate(value)))
		return nil
	}
	t := typeOf(it.search, it.ctype)
	if t == indicator.Unknown {
		col.Reject(it.line, "unsupported context", fmt.Errorf("no indicator type for search %q (content type %q)", it.search, it.ctype))
		return nil
	}
	if it.inAND && weak(t) {
		col.Reject(it.line, "weak item inside AND", fmt.Errorf("%s %q only matters together with its AND siblings", it.search, truncate(value)))
		return nil
	}
	if t == indicator.Email {
		// "Name <user@example.com>"
		if i, j := strings.LastIndexByte(value, '<'), strings.LastIndexByte(value, '>'); i >= 0 && j > i {
			value = value[i+1 : j]
		}
	}
	var err error
	if rec.Type, rec.Value, err = indicator.Coerce(t, value); err != nil {
		col.Reject(it.line, "", err)
		return nil
	}
	return col.Add(rec, it.line)
}

func typeOf(search, ctype string) indicator.Type {
	s := strings.ToLower(strings.TrimSpace(search))
	if t, ok := searchTypes[s]; ok {
		return t
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		if t, ok := suffixTypes[s[i+1:]]; ok {
			return t
		}
	}
	return contentTypes[ctype]
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// charsetReader accepts the encodings OpenIOC tools write besides UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1":
		return charmap.ISO8859_1.NewDecoder().Reader(in), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(in), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// Sniff reports whether head, the first bytes of a file, looks like an
// OpenIOC document: XML whose root element is <OpenIOC> or <ioc>.
func Sniff(head []byte) bool {
	d := xml.NewDecoder(strings.NewReader(string(head)))
	d.CharsetReader = charsetReader
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local == "OpenIOC" || se.Name.Local == "ioc"
		}
	}
}
