// Package lookalike finds domains that imitate a brand's login domains —
// typosquats, homoglyph and IDN look-alikes, the brand inside a longer name
// or a subdomain, and TLD swaps — the way the Winnti umbrella phished
// Office 365 and Gmail credentials through account.microsoftssonline.com and
// accounts.google-acc.com.
//
// Detection normalises what is observed instead of listing permutations: a
// domain's registered label is reduced to a skeleton (punycode decoded,
// confusables folded per UTS #39, hyphens dropped) and compared with each
// brand's skeleton by bounded Damerau-Levenshtein distance, by token
// containment and by suffix, so a variant nobody generated still matches.
// Generate lists permutations for the analyst, like dnstwist.
package lookalike

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Brand is a registered domain (public suffix plus one label) whose
// look-alikes are worth an alert, such as microsoftonline.com.
type Brand struct {
	// Domain is the registered domain, e.g. "microsoftonline.com".
	Domain string
	// Label is the label left of the public suffix, e.g. "microsoftonline".
	Label string
	// Suffix is the public suffix, e.g. "com" or "co.uk".
	Suffix string
	// Owner names who the brand belongs to ("Microsoft", "Google"), empty
	// for brands the user added.
	Owner string
}

// ParseBrand turns a domain (any host under it is accepted, so
// accounts.google.com gives google.com) into its registered-domain Brand.
func ParseBrand(domain string) (Brand, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if d == "" {
		return Brand{}, fmt.Errorf("brand %q: empty domain", domain)
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return Brand{}, fmt.Errorf("brand %q: %v", domain, err)
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(a)
	if err != nil {
		// A brand that is itself in the private part of the list
		// (googleapis.com, blogspot.com) is registered under its last
		// label's ICANN suffix.
		_, icann := publicsuffix.PublicSuffix(a)
		if icann || strings.Count(a, ".") != 1 || strings.HasPrefix(a, ".") || strings.HasSuffix(a, ".") {
			return Brand{}, fmt.Errorf("brand %q: no registered domain: %v", domain, err)
		}
		reg = a
	}
	i := strings.IndexByte(reg, '.')
	return Brand{Domain: reg, Label: reg[:i], Suffix: reg[i+1:]}, nil
}

// DefaultBrands are the login domains of Microsoft (Office 365, Outlook,
// Live) and Google (Gmail, Google accounts): the brands the Winnti umbrella
// imitated to phish credentials.
var DefaultBrands = []Brand{
	{Domain: "microsoft.com", Owner: "Microsoft"},
	{Domain: "microsoftonline.com", Owner: "Microsoft"},
	{Domain: "live.com", Owner: "Microsoft"},
	{Domain: "office.com", Owner: "Microsoft"},
	{Domain: "office365.com", Owner: "Microsoft"},
	{Domain: "microsoft365.com", Owner: "Microsoft"},
	{Domain: "outlook.com", Owner: "Microsoft"},
	{Domain: "hotmail.com", Owner: "Microsoft"},
	{Domain: "msn.com", Owner: "Microsoft"},
	{Domain: "sharepoint.com", Owner: "Microsoft"},
	{Domain: "onmicrosoft.com", Owner: "Microsoft"},
	{Domain: "windows.net", Owner: "Microsoft"},
	{Domain: "google.com", Owner: "Google"},
	{Domain: "gmail.com", Owner: "Google"},
	{Domain: "googlemail.com", Owner: "Google"},
}

// legitimateDomains are registered domains the default brands' owners use
// (country sites, CDN and identity hosts) that are not fuzzed themselves but
// must never be flagged: google.de is Google's, not a TLD swap.
var legitimateDomains = []string{
	"msauth.net", "msftauth.net", "azure.com", "skype.com", "s-microsoft.com", "windowsupdate.com", "windows.com",
	"live-int.com", "youtube.com", "gstatic.com", "googleapis.com", "googleusercontent.com",
	"withgoogle.com", "googletagservices.com",
	"live.net", "passport.net", "microsoftonline-p.com", "microsoftonline-p.net",
	"msftidentity.com", "azureedge.net", "azurefd.net", "trafficmanager.net",
	"office.net", "microsoft.net", "msocdn.com",
	"microsoftstore.com", "microsoftstream.com", "googledrive.com", "googleblog.com", "googlesource.com", "googletagmanager.com",
	"googleadservices.com", "googlesyndication.com", "google-analytics.com", "googlevideo.com", "ggpht.com", "gvt1.com", "youtu.be", "ytimg.com",
	"google.co.uk", "google.de", "google.fr", "google.co.jp", "google.com.au", "google.ca",
	"google.it", "google.es", "google.nl", "google.com.br", "google.ru", "google.pl",
	"google.co.in", "google.com.mx", "google.ch", "google.be", "google.at", "google.se",
	"google.dk", "google.no", "google.fi", "google.pt", "google.ie", "google.co.kr",
	"google.com.tw", "google.com.hk", "google.cn", "google.co.il", "google.com.tr",
	"google.gr", "google.cz", "google.hu", "google.ro", "google.co.za", "google.com.sg",
	"google.co.nz", "google.com.ar", "google.cl", "google.co.id", "google.com.ua", "google.sk",
}

// infrastructureDomains host CDN and traffic-manager names that embed a
// customer's full domain (www.microsoft.com-c-3.edgekey.net); a brand in
// their subdomains is expected, not a phish.
var infrastructureDomains = []string{
	"edgekey.net", "akamaiedge.net", "akadns.net", "akamaized.net", "edgesuite.net",
	"akamai.net", "cloudflare.net", "cloudfront.net", "fastly.net", "footprintdns.com",
}

// DefaultDictionary holds the words phishers put beside a brand
// (login-microsoft-verify.com, google-acc.com): dnstwist's dictionary fuzzer
// uses them to generate, and detection uses them to tell a deliberate
// brand-plus-word name from an unrelated one.
var DefaultDictionary = []string{
	"login", "logon", "signin", "sign", "secure", "security", "sec", "account", "accounts",
	"verify", "verification", "validate", "mail", "webmail", "email", "support", "help",
	"helpdesk", "service", "services", "update", "auth", "sso", "online", "portal",
	"cloud", "drive", "docs", "static", "statics", "cache", "caches", "cdn", "search",
	"searching", "my", "id", "password", "reset", "recovery", "admin", "team", "app",
	"apps", "web", "mobile", "user", "billing", "pay", "payment", "invoice", "storage",
	"share", "file", "files", "download", "office", "outlook", "live", "connect", "access",
	"center", "official", "safe", "alert", "notice", "check", "confirm", "session", "oauth",
	"token", "api", "cdn", "net", "host", "s",
}

// DefaultTLDs is the TLD list tld-swap permutations draw from: the generic
// and country TLDs phishers register most.
var DefaultTLDs = []string{
	"com", "net", "org", "info", "biz", "co", "io", "me", "us", "uk", "co.uk", "de", "fr",
	"ru", "cn", "jp", "kr", "tw", "hk", "in", "br", "au", "ca", "it", "es", "nl", "pl",
	"eu", "top", "xyz", "online", "site", "club", "vip", "pw", "cc", "tk", "ml", "ga",
	"cf", "gq", "la", "tv", "ws", "sa.com", "com.cn", "tokyo", "red", "center", "live",
	"app", "dev", "cloud", "support", "email", "services", "ly",
}
