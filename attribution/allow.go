package attribution

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// AllowList holds values that many unrelated parties share — shared
// hosting, CDNs, sinkholes, public resolvers, free certificate issuers —
// so that sharing them says nothing about who is behind an intrusion.
// Allow-listed values carry no weight in the overlap graph.
type AllowList struct {
	prefixes []netip.Prefix
	domains  map[string]bool // a domain and every name below it
	values   map[string]bool // exact normalised values of any type
}

// builtinAllow is the small list every run starts from.
var builtinAllow = []string{
	// Public resolvers.
	"cidr 8.8.8.8/32", "cidr 8.8.4.4/32", "cidr 1.1.1.1/32", "cidr 1.0.0.1/32",
	"cidr 9.9.9.9/32", "cidr 208.67.222.222/32", "cidr 208.67.220.220/32",
	"cidr 2001:4860:4860::8888/128", "cidr 2606:4700:4700::1111/128",
	// Loopback, private and documentation space: never evidence.
	"cidr 0.0.0.0/8", "cidr 10.0.0.0/8", "cidr 127.0.0.0/8", "cidr 169.254.0.0/16",
	"cidr 172.16.0.0/12", "cidr 192.168.0.0/16", "cidr ::1/128", "cidr fc00::/7",
	// CDNs and shared hosting front ends (Cloudflare's published ranges).
	"cidr 104.16.0.0/13", "cidr 172.64.0.0/13", "cidr 162.158.0.0/15",
	"domain cloudflare.com", "domain cloudfront.net", "domain akamaiedge.net",
	"domain azureedge.net", "domain fastly.net", "domain googleusercontent.com",
	"domain amazonaws.com", "domain blogspot.com", "domain github.io", "domain herokuapp.com",
	// Dynamic DNS and free subdomain providers: their roots are shared by everyone.
	"domain no-ip.com", "domain duckdns.org", "domain dyndns.org", "domain 3322.org",
	// Popular services that phishing pages imitate or malware checks connectivity with.
	"domain google.com", "domain microsoft.com", "domain windowsupdate.com", "domain apple.com",
	// Sinkholes.
	"domain sinkhole.shadowserver.org", "cidr 198.51.100.0/24",
	// Certificate issuers that anyone can obtain a certificate from.
	"issuer Let's Encrypt", "issuer R3", "issuer E1", "issuer ZeroSSL",
}

// DefaultAllowList returns the built-in list.
func DefaultAllowList() *AllowList {
	a, err := ParseAllowList(strings.NewReader(strings.Join(builtinAllow, "\n")), "builtin")
	if err != nil {
		panic("attribution: built-in allow list: " + err.Error())
	}
	return a
}

// ParseAllowList reads an allow list: one entry per line, "KIND VALUE",
// where KIND is cidr (an address or prefix), domain (the name and
// everything below it), issuer (a certificate issuer's name) or value (an
// exact indicator value of any type); a line with no kind is read by its
// look. Blank lines and text after '#' are ignored. Bad lines are
// reported together, naming file and line; the good ones are kept.
func ParseAllowList(r io.Reader, name string) (*AllowList, error) {
	a := &AllowList{domains: map[string]bool{}, values: map[string]bool{}}
	return a, a.Read(r, name)
}

// Read adds the entries of r to a (see ParseAllowList for the format).
func (a *AllowList) Read(r io.Reader, name string) error {
	if a.domains == nil {
		a.domains, a.values = map[string]bool{}, map[string]bool{}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var bad []string
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if err := a.add(s); err != nil {
			bad = append(bad, fmt.Sprintf("%s:%d: %v", name, line, err))
		}
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, fmt.Sprintf("%s:%d: %v", name, line+1, err))
	}
	if len(bad) > 0 {
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("... and %d more", len(bad)-20))
		}
		return fmt.Errorf("allow list: %d bad lines:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	return nil
}

func (a *AllowList) add(s string) error {
	kind, val, found := strings.Cut(s, " ")
	val = strings.TrimSpace(val)
	if !found {
		kind, val = "", s
	}
	switch kind {
	case "cidr", "ip":
		p, err := parsePrefix(val)
		if err != nil {
			return err
		}
		a.prefixes = append(a.prefixes, p)
	case "domain":
		n, err := indicator.Normalize(indicator.Domain, val)
		if err != nil {
			return fmt.Errorf("bad domain %q: %v", val, err)
		}
		a.domains[n] = true
	case "issuer":
		if val == "" {
			return fmt.Errorf("issuer without a name")
		}
		a.values["issuer:"+strings.ToLower(val)] = true
	case "value":
		if val == "" {
			return fmt.Errorf("value without a value")
		}
		t, n, err := indicator.Detect(val)
		if err != nil || t == indicator.Unknown {
			n = strings.ToLower(val)
		}
		a.values[n] = true
	case "":
		if p, err := parsePrefix(val); err == nil {
			a.prefixes = append(a.prefixes, p)
			return nil
		}
		if n, err := indicator.Normalize(indicator.Domain, val); err == nil {
			a.domains[n] = true
			return nil
		}
		return fmt.Errorf("%q is neither an address, a prefix nor a domain; write KIND VALUE", val)
	default:
		return fmt.Errorf("unknown kind %q (want cidr, domain, issuer or value)", kind)
	}
	return nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	ad, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address or prefix %q", s)
	}
	return netip.PrefixFrom(ad.Unmap(), ad.Unmap().BitLen()), nil
}

// Merge adds every entry of b to a.
func (a *AllowList) Merge(b *AllowList) {
	if b == nil {
		return
	}
	a.prefixes = append(a.prefixes, b.prefixes...)
	for k := range b.domains {
		a.domains[k] = true
	}
	for k := range b.values {
		a.values[k] = true
	}
}

// Allowed reports whether a normalised indicator value is allow-listed.
func (a *AllowList) Allowed(t indicator.Type, v string) bool {
	if a == nil {
		return false
	}
	if a.values[v] {
		return true
	}
	switch t {
	case indicator.IPv4, indicator.IPv6:
		if ad, err := netip.ParseAddr(v); err == nil {
			return a.AllowedAddr(ad)
		}
	case indicator.Domain:
		return a.allowedDomain(v)
	case indicator.URL, indicator.Email:
		h := hostOf(t, v)
		if ad, err := netip.ParseAddr(h); err == nil {
			return a.AllowedAddr(ad)
		}
		return h != "" && t == indicator.URL && a.allowedDomain(h)
	}
	return false
}

// AllowedIssuer reports whether a certificate issuer is allow-listed.
func (a *AllowList) AllowedIssuer(name string) bool {
	return a != nil && a.values["issuer:"+strings.ToLower(strings.TrimSpace(name))]
}

// AllowedAddr reports whether an address falls in an allow-listed prefix.
func (a *AllowList) AllowedAddr(ad netip.Addr) bool {
	ad = ad.Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ad) {
			return true
		}
	}
	return false
}

func (a *AllowList) allowedDomain(d string) bool {
	for {
		if a.domains[d] {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
}
