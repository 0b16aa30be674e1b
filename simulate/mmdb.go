package simulate

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// geoNet is one network of geo.mmdb.
type geoNet struct {
	prefix  netip.Prefix
	asn     uint32
	org     string
	country string
}

// geoNetworks lists every external network the scenario uses. The studio
// and its staff's ISPs get documentation ASNs (RFC 5398); the attacker
// hosts get them too, since their addresses are invented; the operators'
// netblock is the real AS4808.
func geoNetworks(org *Org, att *attacker) []geoNet {
	nets := []geoNet{
		{netip.PrefixFrom(org.Egress, 24).Masked(), 64500, "Lantern Peak Games", "US"},
		{netip.MustParsePrefix("198.51.100.0/24"), 64501, "Example Home Broadband", "US"},
		{att.operatorNet, 4808, "China Unicom Beijing Province Network", "CN"},
	}
	for _, p := range providers {
		base := providerBase(p.block)
		nets = append(nets, geoNet{netip.PrefixFrom(base, 21).Masked(), p.asn, p.asOrg, p.country})
	}
	hosting := func(a netip.Addr, asn uint32, name, cc string) {
		nets = append(nets, geoNet{netip.PrefixFrom(a, 24).Masked(), asn, name, cc})
	}
	hosting(att.lureIP, 64502, "Simulated Offshore VPS Ltd", "HK")
	for _, ip := range att.phishIPs {
		hosting(ip, 64503, "Simulated Cloud Hosting Pte", "SG")
	}
	hosting(att.dropIP, 64504, "Simulated Dedicated Servers", "KR")
	for _, c := range att.c2 {
		hosting(c.ip, 64505, "Simulated Bulletproof Hosting", "HK")
	}
	for _, ip := range att.signinIPs {
		hosting(ip, 64506, "Simulated VPN Exit Nodes", "US")
	}
	return nets
}

// writeMMDB writes geo.mmdb: GeoLite2-ASN fields (autonomous_system_number,
// autonomous_system_organization) plus country.iso_code for every network
// in geoNetworks. The build time is the scenario's start, so the file is
// byte-identical across runs.
func writeMMDB(path string, org *Org, att *attacker, start time.Time) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "umbra-simulate-ASN-Country",
		Description:             map[string]string{"en": "umbra simulate: ASN and country of the scenario's addresses"},
		IncludeReservedNetworks: true, // the providers live in 198.18.0.0/15
		IPVersion:               6,
		RecordSize:              28,
		BuildEpoch:              start.Unix(),
	})
	if err != nil {
		return fmt.Errorf("simulate: geo.mmdb: %v", err)
	}
	for _, n := range geoNetworks(org, att) {
		_, ipnet, err := net.ParseCIDR(n.prefix.String())
		if err != nil {
			return fmt.Errorf("simulate: geo.mmdb: %v", err)
		}
		rec := mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(n.asn),
			"autonomous_system_organization": mmdbtype.String(n.org),
			"country":                        mmdbtype.Map{"iso_code": mmdbtype.String(n.country)},
		}
		if err := tree.Insert(ipnet, rec); err != nil {
			return fmt.Errorf("simulate: geo.mmdb: %s: %v", n.prefix, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("simulate: %v", err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("simulate: %s: %v", path, err)
	}
	return f.Close()
}
