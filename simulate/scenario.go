package simulate

import (
	"fmt"
	"net/netip"
	"strings"
)

// Role is what a host does in the organisation.
type Role uint8

// The roles of the simulated organisation's hosts.
const (
	RoleWorkstation Role = iota
	RoleDomainController
	RoleFileServer
	RoleBuildServer
	RoleSigningServer
	RoleVersionControl
	RoleJumpHost
)

// Host is a machine of the simulated organisation, with a stable name and
// address.
type Host struct {
	Name string
	Addr netip.Addr
	Role Role
	Dept string // department of a workstation's user
	User string // userPrincipalName of a workstation's user
	// Display is the user's full name.
	Display string
	browser *helloProfile
}

// Org is the simulated victim: a game studio.
type Org struct {
	Name        string
	Domain      string // UPN and mail domain
	Tag         string // the per-target label the attackers use in C2 names
	Egress      netip.Addr
	Hosts       []Host
	DNS         netip.Addr // internal resolver the workstations ask
	HR          []int      // indices of HR workstations
	Patient0    int        // the HR workstation that opens the lure and runs the implant
	Phished     []int      // workstations whose users visit the phishing pages
	Compromised []int      // workstations whose users give their passwords away
}

var firstNames = []string{"Alex", "Mina", "Jonas", "Priya", "Diego", "Hana", "Liam", "Sofia", "Kenji", "Amara",
	"Noah", "Elena", "Omar", "Yuna", "Lucas", "Ingrid", "Mateo", "Chloe", "Ravi", "Zoe", "Felix", "Aiko",
	"Samuel", "Leila", "Tomas", "Nadia", "Erik", "Camila", "Hugo", "Maya"}

var lastNames = []string{"Berg", "Kim", "Novak", "Shah", "Alvarez", "Sato", "Walsh", "Rossi", "Tanaka", "Okafor",
	"Fischer", "Petrov", "Haddad", "Park", "Moreau", "Larsen", "Costa", "Dubois", "Iyer", "Nguyen", "Keller",
	"Mori", "Brennan", "Farah", "Horvat", "Silva", "Lindqvist", "Reyes", "Lambert", "Cohen"}

// departments of the workstations, in the order they are filled: HR gets
// its two seats first so that even a small scenario has HR staff.
var departments = []string{"hr", "eng", "art", "eng", "design", "qa", "eng", "art", "it", "finance", "hr", "eng", "audio", "production"}

// minHosts is the smallest organisation: the servers plus a few seats.
const minHosts = 16

// NewOrg lays out a studio of n hosts: servers at fixed addresses in
// 10.20.0.0/16 and workstations, each with its user, in 10.20.10.0 and up.
// The layout depends only on n, so names and addresses are stable.
func NewOrg(n int) (Org, error) {
	if n < minHosts {
		return Org{}, fmt.Errorf("simulate: %d hosts is too few, want at least %d", n, minHosts)
	}
	if n > 60000 {
		return Org{}, fmt.Errorf("simulate: %d hosts do not fit 10.20.0.0/16", n)
	}
	o := Org{Name: "Lantern Peak Games", Domain: "lanternpeak.example", Tag: "lpg",
		Egress: netip.MustParseAddr("203.0.113.10"), DNS: netip.MustParseAddr("10.20.0.10")}
	servers := []Host{
		{Name: "dc01", Addr: netip.MustParseAddr("10.20.0.10"), Role: RoleDomainController},
		{Name: "dc02", Addr: netip.MustParseAddr("10.20.0.11"), Role: RoleDomainController},
		{Name: "fs01", Addr: netip.MustParseAddr("10.20.1.10"), Role: RoleFileServer},
		{Name: "fs02", Addr: netip.MustParseAddr("10.20.1.11"), Role: RoleFileServer},
		{Name: "build01", Addr: netip.MustParseAddr("10.20.2.10"), Role: RoleBuildServer},
		{Name: "build02", Addr: netip.MustParseAddr("10.20.2.11"), Role: RoleBuildServer},
		{Name: "build03", Addr: netip.MustParseAddr("10.20.2.12"), Role: RoleBuildServer},
		{Name: "p4-01", Addr: netip.MustParseAddr("10.20.2.20"), Role: RoleVersionControl},
		{Name: "codesign01", Addr: netip.MustParseAddr("10.20.2.50"), Role: RoleSigningServer},
		{Name: "jump01", Addr: netip.MustParseAddr("10.20.250.5"), Role: RoleJumpHost},
	}
	for i := range servers {
		servers[i].Name += ".corp." + o.Domain
		servers[i].browser = profCurl
	}
	o.Hosts = append(o.Hosts, servers...)
	browsers := []*helloProfile{profChrome, profChrome, profEdge, profFirefox}
	for i := 0; len(o.Hosts) < n; i++ {
		dept := departments[i%len(departments)]
		first, last := firstNames[i%len(firstNames)], lastNames[(i*7+i/len(firstNames))%len(lastNames)]
		user := strings.ToLower(first + "." + last)
		if i >= len(firstNames) {
			user += fmt.Sprint(i / len(firstNames))
		}
		addr := netip.AddrFrom4([4]byte{10, 20, byte(10 + i/250), byte(10 + i%250)})
		h := Host{
			Name: fmt.Sprintf("ws-%s-%03d.corp.%s", dept, i+1, o.Domain), Addr: addr, Role: RoleWorkstation,
			Dept: dept, User: user + "@" + o.Domain, Display: first + " " + last, browser: browsers[i%len(browsers)],
		}
		if dept == "hr" {
			o.HR = append(o.HR, len(o.Hosts))
		}
		o.Hosts = append(o.Hosts, h)
	}
	o.Patient0 = o.HR[0]
	// The phishing wave reaches HR and a few engineers and artists; two
	// of them enter their passwords: HR's Office 365 and an engineer's
	// Google account.
	o.Phished = append(o.Phished, o.HR...)
	ws := o.workstations()
	for _, i := range ws {
		if d := o.Hosts[i].Dept; (d == "eng" || d == "art" || d == "finance") && len(o.Phished) < len(o.HR)+6 {
			o.Phished = append(o.Phished, i)
		}
	}
	o.Compromised = []int{o.HR[0], o.Phished[len(o.HR)]}
	return o, nil
}

func (o *Org) workstations() []int {
	var ws []int
	for i, h := range o.Hosts {
		if h.Role == RoleWorkstation {
			ws = append(ws, i)
		}
	}
	return ws
}

func (o *Org) byRole(r Role) []int {
	var out []int
	for i, h := range o.Hosts {
		if h.Role == r {
			out = append(out, i)
		}
	}
	return out
}

// Infra is one piece of attacker infrastructure: what the simulation uses
// it for and whether the first intel feed already names it.
type Infra struct {
	Value   string // domain, IP, CIDR, certificate serial or fingerprint, hash
	Type    string // the Burning Umbrella CSV type word: DOMAIN, IP, ...
	Purpose string // description written in the feed
	Initial bool   // published in intel/initial.csv; else intel/later.csv
}

// attacker holds the intrusion's infrastructure. The names are invented
// look-alikes in the style of the Burning Umbrella report; the addresses
// are in 45.x/103.x hosting-style space except the operators' own netblock,
// 221.216.0.0/13 (China Unicom Beijing, AS4808), which the report names.
type attacker struct {
	lureDomain string
	lureIP     netip.Addr
	lurePaths  []string

	phishO365   []string // look-alikes of Microsoft's login pages
	phishGoogle []string // look-alikes of Google's
	phishIPs    []netip.Addr

	dropDomain string // serves the signed implant
	dropIP     netip.Addr

	c2 []c2Server

	signinIPs   []netip.Addr // VPSs that log in to stolen cloud accounts
	operatorNet netip.Prefix
	operatorIPs []netip.Addr
}

// c2Server is a reused C2 domain: the studio gets its own short-lived
// subdomain (<tag>.<root>); the root resolves to 127.0.0.1 while idle.
type c2Server struct {
	root       string
	ip         netip.Addr
	selfSigned bool // else a Let's Encrypt certificate
	cert       certificate
	otherTags  []string // other victims' subdomains, known only from intel
}

func newAttacker() attacker {
	a := attacker{
		lureDomain: "hr-talentbox.com", lureIP: netip.MustParseAddr("45.136.62.17"),
		lurePaths:   []string{"/resume/view.php?cv=Jiwon_Park_Resume", "/resume/Jiwon_Park_Resume.doc", "/resume/Mark_Ellison_CV.doc", "/resume/portfolio_3D_artist.zip"},
		phishO365:   []string{"login.microsoftonlinee.com", "account.office365-securelogin.com", "outlook.offlce365.com"},
		phishGoogle: []string{"accounts.gooogle-mail.com", "mail.gmall-login.com", "accounts.google-signon.net"},
		phishIPs:    []netip.Addr{netip.MustParseAddr("103.97.176.40"), netip.MustParseAddr("103.97.176.41")},
		dropDomain:  "cdn.steamworks-patch.com", dropIP: netip.MustParseAddr("103.56.53.120"),
		signinIPs:   []netip.Addr{netip.MustParseAddr("45.61.136.88"), netip.MustParseAddr("103.79.78.11")},
		operatorNet: netip.MustParsePrefix("221.216.0.0/13"),
		operatorIPs: []netip.Addr{netip.MustParseAddr("221.218.102.57"), netip.MustParseAddr("221.220.5.133"), netip.MustParseAddr("221.223.77.201")},
	}
	a.c2 = []c2Server{
		{root: "gamecdn-sync.net", ip: netip.MustParseAddr("45.142.214.9"), otherTags: []string{"ncsx", "ubq"}},
		{root: "msupdate-cache.org", ip: netip.MustParseAddr("103.230.15.77"), otherTags: []string{"gvt"}},
		{root: "newsfeed-static.info", ip: netip.MustParseAddr("45.153.160.6"), selfSigned: true, otherTags: []string{"kr-pub"}},
	}
	return a
}

// infrastructure lists everything the intel feeds publish about the
// intrusion, split between the first feed and the later one. extra holds
// values only known once generation has run (certificate fingerprints,
// the implant's hashes and the stolen serial).
func (a *attacker) infrastructure(tag string, stolenSerial, implantMD5 string) []Infra {
	var out []Infra
	add := func(v, typ, purpose string, initial bool) {
		out = append(out, Infra{Value: v, Type: typ, Purpose: purpose, Initial: initial})
	}
	add(a.lureDomain, "DOMAIN", "fake resume lure site", false)
	add(a.lureIP.String(), "IP", "fake resume lure site", false)
	for i, d := range a.phishO365 {
		add(d, "DOMAIN", "Office 365 credential phishing", i == 0)
	}
	for i, d := range a.phishGoogle {
		add(d, "DOMAIN", "Google account credential phishing", i == 0)
	}
	for i, ip := range a.phishIPs {
		add(ip.String(), "IP", "credential phishing host", i == 0)
	}
	add(a.dropDomain, "DOMAIN", "malware download", false)
	add(a.dropIP.String(), "IP", "malware download", false)
	for i, c := range a.c2 {
		add(c.root, "DOMAIN", "C2 domain; root resolves to 127.0.0.1 while idle", i == 0)
		add(c.ip.String(), "IP", "C2 server", i == 1)
		add(tag+"."+c.root, "DOMAIN", "per-target C2 subdomain", false)
		for _, t := range c.otherTags {
			add(t+"."+c.root, "DOMAIN", "per-target C2 subdomain", i == 0)
		}
		add(c.cert.sha256, "CERT SHA256", "C2 TLS certificate", false)
	}
	for _, ip := range a.signinIPs {
		add(ip.String(), "IP", "sign-ins to stolen cloud accounts", false)
	}
	add(a.operatorNet.String(), "IP", "operator netblock (China Unicom Beijing)", false)
	add(stolenSerial, "CODE SIGN CERT SERIAL", "stolen code-signing certificate", true)
	add(implantMD5, "FILE MD5", "backdoor signed with a stolen certificate", false)
	return out
}
