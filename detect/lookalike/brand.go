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
	// Own lists the owner's other registered domains that carry the
	// brand's label (microsoft.de for microsoft.com): legitimate, never a
	// tld-swap.
	Own []string
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
// imitated to phish credentials. Own lists each brand's legitimate
// registered domains under other public suffixes — its country sites,
// sovereign-cloud endpoints and national mail domains — which a detector
// never reports as tld-swaps of it.
var DefaultBrands = []Brand{
	{Domain: "microsoft.com", Owner: "Microsoft", Own: ccTLDs("microsoft",
		"de", "co.uk", "fr", "it", "es", "nl", "be", "at", "ch", "se", "dk", "no", "fi", "pl", "pt", "ie",
		"ru", "co.jp", "cn", "co.kr", "com.tw", "com.hk", "co.in", "com.au", "co.nz", "ca",
		"com.br", "com.mx", "net")},
	// Microsoft's sovereign clouds sign in elsewhere: US Government
	// (login.microsoftonline.us), Microsoft Cloud Deutschland
	// (login.microsoftonline.de) and 21Vianet in China
	// (login.partner.microsoftonline.cn).
	{Domain: "microsoftonline.com", Owner: "Microsoft", Own: ccTLDs("microsoftonline", "us", "de", "cn")},
	// National Windows Live / Hotmail / Outlook.com mail domains
	// (user@live.co.uk, user@hotmail.fr, user@outlook.de).
	{Domain: "live.com", Owner: "Microsoft", Own: ccTLDs("live",
		"co.uk", "fr", "de", "it", "nl", "be", "at", "ch", "se", "dk", "no", "fi", "ie", "ca", "com.au",
		"cn", "jp", "ru", "co.za", "in", "hk", "com.sg", "com.my", "com.mx", "com.ar", "cl", "com.pt", "net")},
	// Microsoft Cloud Deutschland served Office at portal.office.de and
	// outlook.office.de.
	{Domain: "office.com", Owner: "Microsoft", Own: ccTLDs("office", "net", "de")},
	// US Government clouds: outlook.office365.us.
	{Domain: "office365.com", Owner: "Microsoft", Own: ccTLDs("office365", "us")},
	{Domain: "microsoft365.com", Owner: "Microsoft"},
	{Domain: "outlook.com", Owner: "Microsoft", Own: ccTLDs("outlook",
		"fr", "de", "it", "es", "be", "at", "dk", "ie", "pt", "sk", "cz", "hu", "lv", "jp", "kr", "in",
		"sg", "my", "ph", "sa", "cl", "com.br", "com.ar", "com.au", "co.nz", "co.th", "co.id", "co.il",
		"com.vn", "com.gr", "com.tr", "cn")},
	{Domain: "hotmail.com", Owner: "Microsoft", Own: ccTLDs("hotmail",
		"co.uk", "fr", "de", "it", "es", "nl", "be", "at", "ch", "se", "dk", "no", "fi", "gr", "ca",
		"com.au", "co.jp", "com.br", "com.ar", "com.mx", "co.za", "co.in", "co.th", "com.tr", "my", "com.tw", "com.hk", "cl")},
	{Domain: "msn.com", Owner: "Microsoft", Own: ccTLDs("msn", "cn")},
	// SharePoint Online in the sovereign clouds: sharepoint.us,
	// sharepoint.de, sharepoint.cn.
	{Domain: "sharepoint.com", Owner: "Microsoft", Own: ccTLDs("sharepoint", "us", "de", "cn")},
	// Tenants of the German and US Government clouds:
	// contoso.onmicrosoft.de, contoso.onmicrosoft.us.
	{Domain: "onmicrosoft.com", Owner: "Microsoft", Own: ccTLDs("onmicrosoft", "de", "us")},
	{Domain: "windows.net", Owner: "Microsoft", Own: ccTLDs("windows", "com")},
	{Domain: "google.com", Owner: "Google", Own: ccTLDs("google",
		"co.uk", "de", "fr", "co.jp", "jp", "com.au", "ca", "it", "es", "nl", "com.br", "ru", "pl",
		"co.in", "com.mx", "ch", "be", "at", "se", "dk", "no", "fi", "pt", "ie", "co.kr", "com.tw",
		"com.hk", "cn", "co.il", "com.tr", "gr", "cz", "hu", "ro", "co.za", "com.sg", "co.nz", "com.ar",
		"cl", "co.id", "com.ua", "sk", "com.co", "com.pe", "com.vn", "co.th", "com.ph", "com.my",
		"com.pk", "com.eg", "com.sa", "ae", "lt", "lv", "ee", "bg", "hr", "si", "rs", "lk", "kz", "by",
		"org", "net", "dev")},
	{Domain: "gmail.com", Owner: "Google"},
	{Domain: "googlemail.com", Owner: "Google"},
}

// ccTLDs lists label under each suffix: the registered domains a brand
// owner holds under those public suffixes.
func ccTLDs(label string, suffixes ...string) []string {
	out := make([]string, len(suffixes))
	for i, s := range suffixes {
		out[i] = label + "." + s
	}
	return out
}

// OwnDomains returns the legitimate registered domains DefaultBrands
// records for brand (a registered domain), or nil when it is not a
// default brand.
func OwnDomains(brand string) []string {
	for _, b := range DefaultBrands {
		if b.Domain == brand {
			return b.Own
		}
	}
	return nil
}

// legitimateDomains are registered domains the default brands' owners use
// (CDN and identity hosts) that are not fuzzed themselves but must never
// be flagged: msauth.net resembles nothing a phisher needs, but
// microsoftonline-p.com is a brand plus a hyphenated letter.
var legitimateDomains = []string{
	"msauth.net", "msftauth.net", "azure.com", "skype.com", "s-microsoft.com", "windowsupdate.com",
	"live-int.com", "youtube.com", "gstatic.com", "googleapis.com", "googleusercontent.com",
	"withgoogle.com", "googletagservices.com",
	"live.net", "passport.net", "microsoftonline-p.com", "microsoftonline-p.net",
	"msftidentity.com", "azureedge.net", "azurefd.net", "trafficmanager.net",
	"msocdn.com",
	"microsoftstore.com", "microsoftstream.com", "googledrive.com", "googleblog.com", "googlesource.com", "googletagmanager.com",
	"googleadservices.com", "googlesyndication.com", "google-analytics.com", "googlevideo.com", "ggpht.com", "gvt1.com", "youtu.be", "ytimg.com",
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
