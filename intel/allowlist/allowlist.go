// Package allowlist keeps out of matching the indicators that would flood
// analysts with alerts: private and reserved address ranges, public DNS
// resolvers, the most popular domains, and the CDN or shared-hosting ranges
// and domains a user adds. It is umbra's version of MISP's warning lists.
// Nothing is dropped silently: every drop carries the list that caused it.
package allowlist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/atomicfile"
)

// Entry is one allow-listed value or range and the list it belongs to.
type Entry struct {
	Value string `json:"value"`
	List  string `json:"list"`
}

// Set is a compiled allow-list.
type Set struct {
	prefixes []prefixEntry
	domains  map[string]string // registered or exact domain -> list name
	exact    map[string]string // any other value -> list name
}

type prefixEntry struct {
	p    netip.Prefix
	list string
}

// Built-in list names.
const (
	ListReserved  = "reserved-ranges"
	ListResolvers = "public-resolvers"
	ListPopular   = "popular-domains"
	ListUser      = "user"
)

var reserved = []string{
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	"224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
	"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32", "64:ff9b::/96",
}

var resolvers = []string{
	"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220",
	"4.2.2.1", "4.2.2.2", "64.6.64.6", "64.6.65.6", "94.140.14.14", "94.140.15.15", "76.76.2.0", "185.228.168.9",
	"2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111", "2606:4700:4700::1001", "2620:fe::fe", "2620:fe::9",
}

// popular are registered domains whose listing as an indicator is almost
// always a mistake (a report quoting a legitimate service). Look-alikes of
// them are another matter: detect/lookalike watches those.
var popular = []string{
	"google.com", "youtube.com", "facebook.com", "microsoft.com", "microsoftonline.com", "office.com", "office365.com",
	"live.com", "outlook.com", "windows.com", "windowsupdate.com", "bing.com", "apple.com", "icloud.com", "amazon.com",
	"amazonaws.com", "cloudfront.net", "akamaihd.net", "akamai.net", "akamaiedge.net", "cloudflare.com", "fastly.net",
	"github.com", "githubusercontent.com", "gmail.com", "googleapis.com", "gstatic.com", "googleusercontent.com",
	"linkedin.com", "twitter.com", "x.com", "instagram.com", "wikipedia.org", "yahoo.com", "baidu.com", "qq.com",
	"netflix.com", "adobe.com", "dropbox.com", "zoom.us", "slack.com", "steampowered.com", "steamcommunity.com",
	"mozilla.org", "digicert.com", "letsencrypt.org", "verisign.com", "w3.org", "msftncsi.com", "skype.com",
}

// Default returns the built-in lists.
func Default() *Set {
	s := &Set{domains: map[string]string{}, exact: map[string]string{}}
	for _, p := range reserved {
		s.prefixes = append(s.prefixes, prefixEntry{netip.MustParsePrefix(p), ListReserved})
	}
	for _, a := range resolvers {
		ad := netip.MustParseAddr(a)
		s.prefixes = append(s.prefixes, prefixEntry{netip.PrefixFrom(ad, ad.BitLen()), ListResolvers})
	}
	for _, d := range popular {
		s.domains[d] = ListPopular
	}
	return s
}

// Add puts a user value on the list: an address, a CIDR range, a domain
// (which covers its subdomains) or any other indicator value.
func (s *Set) Add(value, list string) error {
	v := strings.TrimSpace(value)
	if v == "" {
		return fmt.Errorf("empty value")
	}
	if s.domains == nil { // the zero Set is an empty list
		s.domains, s.exact = map[string]string{}, map[string]string{}
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		s.prefixes = append(s.prefixes, prefixEntry{p.Masked(), list})
		return nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		s.prefixes = append(s.prefixes, prefixEntry{netip.PrefixFrom(a, a.BitLen()), list})
		return nil
	}
	t, norm, err := indicator.Detect(v)
	if err != nil {
		return err
	}
	if t == indicator.Domain {
		s.domains[norm] = list
		return nil
	}
	s.exact[norm] = list
	return nil
}

// Read adds the values of a list file (one per line, # comments) to s and
// reports each bad line with its number.
func (s *Set) Read(r io.Reader, name, list string) (added int, bad []string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		v := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(v, '#'); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if v == "" {
			continue
		}
		if err := s.Add(v, list); err != nil {
			bad = append(bad, fmt.Sprintf("%s:%d: %v", name, line, err))
			continue
		}
		added++
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, fmt.Sprintf("%s: %v", name, err))
	}
	return added, bad
}

// Covers reports whether an indicator is allow-listed, and by which list.
func (s *Set) Covers(ind *indicator.Indicator) (string, bool) {
	switch ind.Type {
	case indicator.IPv4, indicator.IPv6:
		a, err := netip.ParseAddr(ind.Value)
		if err != nil {
			return "", false
		}
		for _, pe := range s.prefixes {
			if pe.p.Contains(a) {
				return pe.list, true
			}
		}
	case indicator.CIDR:
		p, err := netip.ParsePrefix(ind.Value)
		if err != nil {
			return "", false
		}
		for _, pe := range s.prefixes {
			// A range inside an allow-listed range is covered; a wider one
			// that merely contains it is not.
			if pe.p.Bits() <= p.Bits() && pe.p.Contains(p.Addr()) {
				return pe.list, true
			}
		}
	case indicator.Domain, indicator.URL:
		host := ind.Value
		if ind.Type == indicator.URL {
			host = urlHost(host)
		}
		for d := host; d != ""; {
			if l, ok := s.domains[d]; ok {
				return l, true
			}
			i := strings.IndexByte(d, '.')
			if i < 0 {
				break
			}
			d = d[i+1:]
		}
		if reg, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			if l, ok := s.domains[reg]; ok {
				return l, true
			}
		}
	}
	if l, ok := s.exact[ind.Value]; ok {
		return l, true
	}
	return "", false
}

func urlHost(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if h, _, ok := strings.Cut(u, ":"); ok && !strings.Contains(u, "[") {
		u = h
	}
	return u
}

// Entries lists the built-in and user values, for `umbra intel allowlist`.
func (s *Set) Entries() []Entry {
	var out []Entry
	for _, pe := range s.prefixes {
		v := pe.p.String()
		if pe.p.IsSingleIP() {
			v = pe.p.Addr().String()
		}
		out = append(out, Entry{v, pe.list})
	}
	for d, l := range s.domains {
		out = append(out, Entry{d, l})
	}
	for v, l := range s.exact {
		out = append(out, Entry{v, l})
	}
	return out
}

// FileName is the user's allow-list in the data dir, one value per line.
const FileName = "allowlist.txt"

// Load returns the built-in lists plus the user's file in dataDir, with
// any bad lines of that file.
func Load(dataDir string) (*Set, []string, error) {
	s := Default()
	f, err := os.Open(filepath.Join(dataDir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	_, bad := s.Read(f, f.Name(), ListUser)
	return s, bad, nil
}

// Edit adds and removes values of the user's file in dataDir, rewriting it
// atomically. Values are checked before anything is written.
func Edit(dataDir string, add, remove []string) error {
	check := Default()
	for _, v := range add {
		if err := check.Add(v, ListUser); err != nil {
			return err
		}
	}
	path := filepath.Join(dataDir, FileName)
	var lines []string
	if b, err := os.ReadFile(path); err == nil {
		lines = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	drop := map[string]bool{}
	for _, v := range remove {
		drop[strings.TrimSpace(v)] = true
	}
	var out []string
	have := map[string]bool{}
	for _, l := range lines {
		v := strings.TrimSpace(l)
		if i := strings.IndexByte(v, '#'); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if drop[v] {
			continue
		}
		have[v] = true
		out = append(out, l)
	}
	for _, v := range add {
		if v = strings.TrimSpace(v); !have[v] {
			out = append(out, v)
			have[v] = true
		}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(strings.Join(out, "\n")+"\n"), 0o644)
}
