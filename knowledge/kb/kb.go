// Package kb is umbra's built-in knowledge base: the Winnti umbrella as
// ProtectWise 401TRG's "Burning Umbrella" report (May 2018) describes it,
// with the names each vendor gave its groups. It is written by us from
// public facts and loaded into an empty store on first run; a user's own
// data overrides it (a newer version of the same id wins, and other
// sources' claims stand beside ours).
package kb

import (
	"context"
	"fmt"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Version changes whenever the content changes, so that stores created by
// an older umbra pick up the new objects.
const Version = "2026-11-26.1"

// Source is the provenance name of everything in this package.
const Source = "umbra-kb"

// stamp is the created/modified time of every object here; any object a
// user imports with a later modified replaces ours.
const stamp = "2026-11-26T00:00:00.000Z"

// UmbrellaName is the canonical name of the umbrella.
const UmbrellaName = "Winnti umbrella"

// OperatorNetblock is the netblock the report located operator sessions in.
const OperatorNetblock = "221.216.0.0/13"

// OperatorNetblockProp marks an infrastructure object as an actor's
// operator (home) netblock: direct sessions from it are opsec slips.
const OperatorNetblockProp = "x_umbra_operator_netblock"

type claim = knowledge.AliasClaim

type group struct {
	key         string // stable seed for the deterministic id
	name        string
	attackID    string // MITRE ATT&CK group id
	description string
	claims      []claim
	memberConf  int // confidence of membership in the umbrella; 0: not a member
	memberWhy   string
}

const burning = "401trg"
const burningDate = "2018-05-03"

var groups = []group{
	{key: "winnti-group", name: "Winnti Group", attackID: "G0044", memberConf: 70,
		description: "Group first reported by Kaspersky in 2013 for attacks on online gaming companies to steal source code and code-signing certificates; the core of the Winnti umbrella.",
		memberWhy:   "401TRG: shared infrastructure and TTPs with the umbrella's other groups; 'Winnti' is the report's name for the umbrella itself.",
		claims: []claim{
			{Name: "Winnti", Source: "kaspersky", Since: "2013", Note: "Winnti. More than just a game (April 2013)"},
			{Name: "Winnti Group", Source: "mitre-attack", Note: "ATT&CK G0044, kept separate from APT41 (G0096)"},
			{Name: "Winnti Group", Source: "eset"},
			{Name: "Blackfly", Source: "symantec"},
			{Name: "LEAD", Source: "microsoft", Note: "Microsoft's name for the Winnti activity group"},
			{Name: "LEAD", Source: burning, Since: burningDate},
			{Name: "Winnti", Source: burning, Since: burningDate},
		}},
	{key: "apt41", name: "APT41", attackID: "G0096", memberConf: 70,
		description: "Chinese state-sponsored espionage group that also conducts financially motivated operations, including against the video game industry.",
		memberWhy:   "401TRG ties BARIUM and Wicked Panda, both names of this group, into the umbrella.",
		claims: []claim{
			{Name: "APT41", Source: "fireeye", Since: "2019", Note: "Double Dragon report (August 2019)"},
			{Name: "Double Dragon", Source: "fireeye", Since: "2019"},
			{Name: "Wicked Panda", Source: "crowdstrike"},
			{Name: "Wicked Panda", Source: burning, Since: burningDate},
			{Name: "BARIUM", Source: "microsoft"},
			{Name: "BARIUM", Source: burning, Since: burningDate},
			{Name: "Brass Typhoon", Source: "microsoft", Since: "2023", Note: "Microsoft's weather-based taxonomy (2023) renamed BARIUM"},
			{Name: "ShadowPad", Source: burning, Since: burningDate, Note: "a malware name used as a group name"},
		}},
	{key: "axiom", name: "Axiom", attackID: "G0001", memberConf: 60,
		description: "Cyber-espionage group reported by Novetta and partners in 2014 (Operation SMN).",
		memberWhy:   "401TRG lists Axiom among the names that describe the umbrella's activity.",
		claims: []claim{
			{Name: "Axiom", Source: "novetta", Since: "2014", Note: "Operation SMN (October 2014)"},
			{Name: "Group 72", Source: "cisco-talos", Since: "2014"},
			{Name: "Axiom", Source: burning, Since: burningDate},
			{Name: "Winnti", Source: "misp-galaxy", Since: "2018", Until: "2019", Note: "the 2018 threat-actor galaxy listed Winnti under Axiom; later editions list it under APT41"},
		}},
	{key: "apt17", name: "APT17", attackID: "G0025", memberConf: 60,
		description: "China-based group behind Operation DeputyDog (2013) and the BLACKCOFFEE malware.",
		memberWhy:   "401TRG links APT17 and DeputyDog infrastructure to the umbrella.",
		claims: []claim{
			{Name: "APT17", Source: "fireeye", Since: "2015"},
			{Name: "Deputy Dog", Source: "fireeye", Since: "2013", Note: "Operation DeputyDog (September 2013)"},
			{Name: "DeputyDog", Source: burning, Since: burningDate},
			{Name: "APT17", Source: burning, Since: burningDate},
			{Name: "Aurora Panda", Source: "crowdstrike"},
		}},
	{key: "passcv", name: "PassCV", memberConf: 65,
		description: "Group named by Cylance in 2016 for malware signed with code-signing certificates stolen from Asian game studios.",
		memberWhy:   "401TRG: PassCV code-signing certificates and infrastructure overlap the umbrella (Area 6).",
		claims: []claim{
			{Name: "PassCV", Source: "cylance", Since: "2016"},
			{Name: "PassCV", Source: burning, Since: burningDate},
		}},
	{key: "gref", name: "GREF", memberConf: 55,
		description: "Name used by 401TRG, with PlayfulDragon, for activity it tied to the umbrella. ATT&CK and MISP list both names as aliases of Ke3chang (APT15): a conflict kept as such.",
		memberWhy:   "401TRG lists GREF and PlayfulDragon among the umbrella's names.",
		claims: []claim{
			{Name: "GREF", Source: burning, Since: burningDate},
			{Name: "PlayfulDragon", Source: burning, Since: burningDate},
		}},
	{key: "ke3chang", name: "Ke3chang", attackID: "G0004",
		description: "China-based espionage group active since at least 2010 (ATT&CK G0004).",
		claims: []claim{
			{Name: "Ke3chang", Source: "mitre-attack"},
			{Name: "APT15", Source: "mitre-attack"},
			{Name: "Mirage", Source: "mitre-attack"},
			{Name: "Vixen Panda", Source: "mitre-attack"},
			{Name: "GREF", Source: "mitre-attack"},
			{Name: "Playful Dragon", Source: "mitre-attack"},
			{Name: "RoyalAPT", Source: "mitre-attack"},
			{Name: "NICKEL", Source: "mitre-attack"},
		}},
}

type technique struct{ id, name, why string }

var techniques = []technique{
	{"T1553.002", "Subvert Trust Controls: Code Signing", "malware signed with code-signing certificates stolen from game studios"},
	{"T1588.003", "Obtain Capabilities: Code Signing Certificates", "theft of code-signing certificates was the first goal"},
	{"T1195.002", "Supply Chain Compromise: Compromise Software Supply Chain", "trojanised software builds (ShadowPad)"},
	{"T1566.002", "Phishing: Spearphishing Link", "links to fake resumes sent to HR staff"},
	{"T1583.001", "Acquire Infrastructure: Domains", "look-alike Office 365 and Gmail login domains"},
	{"T1078.004", "Valid Accounts: Cloud Accounts", "phished Office 365 and Gmail credentials used to sign in"},
	{"T1530", "Data from Cloud Storage", "the goal of the 2018 credential phishing"},
	{"T1071.004", "Application Layer Protocol: DNS", "C2 over port 53"},
	{"T1071.001", "Application Layer Protocol: Web Protocols", "C2 over ports 80 and 443"},
	{"T1046", "Network Service Discovery", "internal scans of ports 80, 139, 445, 6379, 8080, 10022 and 30304"},
}

type target struct {
	key, name, class, why string
	sectors               []string
	countries             []string
}

var targets = []target{
	{"gaming-tech", "Gaming and high-tech companies", "class", "first targets, since at least 2009, for code-signing certificates and source code",
		[]string{"entertainment", "technology"}, []string{"US", "JP", "KR", "CN"}},
	{"activists", "Uyghur and Tibetan activists", "group", "later targets", []string{"non-profit"}, nil},
	{"journalists", "Tibetan and Chinese journalists", "group", "later targets", []string{"communications"}, nil},
	{"thai-government", "Government of Thailand", "organization", "later targets", []string{"government-national"}, []string{"TH"}},
	{"intl-tech", "International technology companies", "class", "later targets", []string{"technology"}, nil},
}

var countryNames = map[string]string{"US": "United States", "JP": "Japan", "KR": "South Korea", "CN": "China", "TH": "Thailand"}

func id(typ, key string) string { return stix.DeterministicID(typ, "umbra-kb/"+key) }

// UmbrellaID is the id of the Winnti umbrella intrusion set.
var UmbrellaID = id("intrusion-set", "winnti-umbrella")

// Objects returns the knowledge base as STIX objects, in a stable order.
func Objects() ([]stix.Object, error) {
	var out []stix.Object
	var err error
	clear := stix.TLPClear.MarkingID()
	author := id("identity", "umbra")
	add := func(typ, oid string, p stix.Props) {
		if err != nil {
			return
		}
		if _, ok := p["created"]; !ok && typ != "marking-definition" {
			p["created"] = stamp
			p["modified"] = stamp
		}
		if typ != "marking-definition" {
			p["object_marking_refs"] = []string{clear}
			if oid != author {
				p["created_by_ref"] = author
			}
		}
		var o stix.Object
		o, err = stix.Build(typ, oid, p)
		if err != nil {
			err = fmt.Errorf("kb: %s: %w", oid, err)
			return
		}
		out = append(out, o)
	}
	rel := func(key, typ, src, dst string, conf int, desc string, extra stix.Props) {
		p := stix.Props{"relationship_type": typ, "source_ref": src, "target_ref": dst, "description": desc}
		if conf > 0 {
			p["confidence"] = conf
		}
		for k, v := range extra {
			p[k] = v
		}
		add("relationship", id("relationship", key), p)
	}
	out = append(out, stix.TLPMarking(stix.TLPClear))
	add("identity", author, stix.Props{"name": "umbra built-in knowledge base", "identity_class": "system",
		"description": "Written by the umbra project from public reporting."})

	add("intrusion-set", UmbrellaID, stix.Props{
		"name":    UmbrellaName,
		"aliases": []string{"Winnti umbrella"},
		"description": "Umbrella of Chinese state-sponsored groups linked by shared infrastructure and TTPs (401TRG, Burning Umbrella, May 2018). " +
			"Active since at least 2009, first against gaming and high-tech companies in the US, Japan, South Korea and China to steal " +
			"code-signing certificates and source code, later against Uyghur and Tibetan activists, Tibetan and Chinese journalists, " +
			"the government of Thailand and international technology companies. In 2018 it phished Office 365 and Gmail credentials " +
			"through look-alike login domains to reach victims' cloud storage. Operator sessions that skipped the proxies came from " +
			OperatorNetblock + " (China Unicom Beijing, Xicheng District). Confidence is high that the umbrella is state-associated, " +
			"medium to high that its groups are separate teams and contractors cooperating on one agenda.",
		"first_seen":             "2009-01-01T00:00:00.000Z",
		"goals":                  []string{"steal code-signing certificates", "steal source code", "financial gain", "espionage against activists, journalists and governments"},
		"resource_level":         "government",
		"primary_motivation":     "organizational-gain",
		"secondary_motivations":  []string{"personal-gain"},
		"confidence":             85,
		knowledge.UmbrellaProp:   true,
		knowledge.AliasClaimProp: []claim{{Name: UmbrellaName, Source: burning, Since: burningDate}},
	})
	for _, g := range groups {
		gid := id("intrusion-set", g.key)
		var aliases []string
		seen := map[string]bool{knowledge.NormName(g.name): true}
		for _, c := range g.claims {
			if n := knowledge.NormName(c.Name); !seen[n] && c.Until == "" {
				seen[n] = true
				aliases = append(aliases, c.Name)
			}
		}
		p := stix.Props{"name": g.name, "aliases": aliases, "description": g.description, knowledge.AliasClaimProp: g.claims}
		if g.attackID != "" {
			p["external_references"] = []stix.ExternalReference{{SourceName: "mitre-attack", ExternalID: g.attackID,
				URL: "https://attack.mitre.org/groups/" + g.attackID}}
		}
		add("intrusion-set", gid, p)
		if g.memberConf > 0 {
			rel("member/"+g.key, "related-to", gid, UmbrellaID, g.memberConf, g.memberWhy,
				stix.Props{knowledge.RelationProp: knowledge.RelMemberOf})
		}
	}
	for _, t := range techniques {
		tid := id("attack-pattern", t.id)
		add("attack-pattern", tid, stix.Props{"name": t.name, "external_references": []stix.ExternalReference{{
			SourceName: "mitre-attack", ExternalID: t.id, URL: "https://attack.mitre.org/techniques/" + dotToSlash(t.id)}}})
		rel("uses/"+t.id, "uses", UmbrellaID, tid, 0, t.why, nil)
	}
	// Countries are properties of the target identities rather than STIX
	// location objects: the OASIS bundle schema omits location (and note),
	// so a bundle holding one fails validation although the object is valid.
	for _, t := range targets {
		tid := id("identity", "target/"+t.key)
		var countries []string
		for _, c := range t.countries {
			countries = append(countries, countryNames[c])
		}
		add("identity", tid, stix.Props{"name": t.name, "identity_class": t.class, "sectors": t.sectors, "x_umbra_countries": countries})
		rel("targets/"+t.key, "targets", UmbrellaID, tid, 0, t.why, nil)
	}
	// The opsec slip: the operators' own netblock.
	infraID := id("infrastructure", "operator-netblock")
	add("infrastructure", infraID, stix.Props{"name": "Winnti umbrella operator netblock " + OperatorNetblock,
		"infrastructure_types": []string{"workstation"},
		"description": "Operator sessions that reached victims directly instead of through the umbrella's proxies came from " +
			OperatorNetblock + ", China Unicom Beijing (AS4808), Xicheng District, Beijing.",
		OperatorNetblockProp: OperatorNetblock, "first_seen": "2018-01-01T00:00:00.000Z",
		"x_umbra_location": "Xicheng District, Beijing, CN", "x_umbra_asn": 4808})
	rel("uses/operator-netblock", "uses", UmbrellaID, infraID, 85, "operators' home network, seen when they skipped their proxies", nil)
	ind := id("indicator", "operator-netblock")
	add("indicator", ind, stix.Props{"name": "Winnti umbrella operator netblock", "pattern": "[ipv4-addr:value ISSUBSET '" + OperatorNetblock + "']",
		"pattern_type": "stix", "valid_from": "2018-05-03T00:00:00.000Z", "indicator_types": []string{"attribution"},
		"confidence": 85, "x_umbra_type": "cidr", "x_umbra_value": OperatorNetblock})
	rel("indicates/operator-netblock", "indicates", ind, UmbrellaID, 85, "direct operator sessions", nil)
	rel("based-on/operator-netblock", "related-to", ind, infraID, 0, "", nil)

	shadowpad := id("malware", "shadowpad")
	add("malware", shadowpad, stix.Props{"name": "ShadowPad", "is_family": true, "malware_types": []string{"backdoor"},
		"description": "Modular backdoor first reported by Kaspersky in 2017 in a software supply-chain attack; also used as a group name."})
	rel("uses/shadowpad", "uses", id("intrusion-set", "apt41"), shadowpad, 0, "", nil)

	phish := id("campaign", "2018-cloud-phishing")
	add("campaign", phish, stix.Props{"name": "2018 Office 365 and Gmail credential phishing",
		"description": "Credential phishing through look-alike Office 365 and Gmail login domains (e.g. account.microsoftssonline.com, accounts.google-acc.com) to reach victims' cloud storage.",
		"first_seen":  "2018-01-01T00:00:00.000Z", "objective": "access victims' cloud storage"})
	rel("attributed-to/2018-cloud-phishing", "attributed-to", phish, UmbrellaID, 70, "", nil)

	var refs []string
	for _, o := range out {
		if o.Type != "marking-definition" && o.ID != author {
			refs = append(refs, o.ID)
		}
	}
	add("report", id("report", "burning-umbrella"), stix.Props{
		"name":         "Burning Umbrella: An Intelligence Report on the Winnti Umbrella and Associated State-Sponsored Attackers",
		"published":    "2018-05-03T00:00:00.000Z",
		"report_types": []string{"threat-actor", "attack-pattern"},
		"description":  "ProtectWise 401TRG's report linking Winnti, PassCV, APT17, Axiom, LEAD, BARIUM, Wicked Panda, GREF, PlayfulDragon, DeputyDog and ShadowPad into one umbrella; summarised by umbra.",
		"object_refs":  refs,
		"external_references": []stix.ExternalReference{{SourceName: burning, Description: "Burning Umbrella (2018-05-03)",
			URL: "https://401trg.com/burning-umbrella/"}},
	})
	return out, err
}

func dotToSlash(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '.' {
			b[i] = '/'
		}
	}
	return string(b)
}

// Metadata is the subset of a store the loader needs to remember which
// knowledge-base version it holds.
type Metadata interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
}

const metaKey = "kb_version"

// Ensure loads the knowledge base into st unless this version is there
// already. Loading is idempotent, so a crash between the import and the
// version mark only repeats work.
func Ensure(ctx context.Context, st knowledge.Store, meta Metadata) (loaded bool, err error) {
	v, err := meta.Meta(ctx, metaKey)
	if err != nil {
		return false, err
	}
	if v == Version {
		return false, nil
	}
	objs, err := Objects()
	if err != nil {
		return false, err
	}
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: Source, Path: "built-in"}, func(put func(stix.Object) error) error {
		for _, o := range objs {
			if err := put(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("loading the built-in knowledge base: %w", err)
	}
	return true, meta.SetMeta(ctx, metaKey, Version)
}
