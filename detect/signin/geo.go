package signin

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Place is where an address is, as precisely as the geo database knows.
type Place struct {
	// Country is the ISO 3166-1 alpha-2 code, upper case; empty when unknown.
	Country string
	// Lat and Lon are degrees; meaningful only when HasCoords.
	Lat, Lon  float64
	HasCoords bool
	// Centroid reports that the coordinates are the country's centre, not
	// the address's own location: distances are then country to country.
	Centroid bool
}

// String names the place for evidence: "CN (39.90,116.40)".
func (p Place) String() string {
	c := p.Country
	if c == "" {
		c = "??"
	}
	if !p.HasCoords {
		return c
	}
	if p.Centroid {
		return c + " (country centre)"
	}
	return fmt.Sprintf("%s (%.2f,%.2f)", c, p.Lat, p.Lon)
}

// Locator finds where an address is. *MMDB implements it; tests may pass a
// map-backed one.
type Locator interface {
	Locate(ip netip.Addr) (Place, bool)
}

// MMDB locates addresses with a MaxMind DB file (GeoLite2-City or -Country,
// DB-IP, or any file with the same field names): location.latitude and
// location.longitude when present, otherwise the country's centre from a
// built-in table.
type MMDB struct {
	db   *maxminddb.Reader
	name string
}

// OpenMMDB opens the MaxMind DB file at path.
func OpenMMDB(path string) (*MMDB, error) {
	db, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &MMDB{db: db, name: path}, nil
}

// OpenMMDBBytes reads a MaxMind DB held in memory; name labels errors.
func OpenMMDBBytes(name string, b []byte) (*MMDB, error) {
	db, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &MMDB{db: db, name: name}, nil
}

// Close releases the file.
func (m *MMDB) Close() error { return m.db.Close() }

// geoRecord holds the fields Locate reads; pointers tell a missing
// coordinate from 0°.
type geoRecord struct {
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// Locate returns where ip is; false when the database has no usable record
// for it. A record the database cannot decode counts as unknown: a broken
// geo record must not stop sign-in analysis.
func (m *MMDB) Locate(ip netip.Addr) (Place, bool) {
	res := m.db.Lookup(ip.Unmap())
	if !res.Found() {
		return Place{}, false
	}
	var rec geoRecord
	if err := res.Decode(&rec); err != nil {
		return Place{}, false
	}
	p := Place{Country: strings.ToUpper(rec.Country.ISOCode)}
	if p.Country == "" {
		p.Country = strings.ToUpper(rec.RegisteredCountry.ISOCode)
	}
	if la, lo := rec.Location.Latitude, rec.Location.Longitude; la != nil && lo != nil &&
		*la >= -90 && *la <= 90 && *lo >= -180 && *lo <= 180 {
		p.Lat, p.Lon, p.HasCoords = *la, *lo, true
		return p, true
	}
	if c, ok := countryCentroid[p.Country]; ok {
		p.Lat, p.Lon, p.HasCoords, p.Centroid = c[0], c[1], true, true
	}
	return p, p.Country != "" || p.HasCoords
}

// earthRadiusKm is the mean Earth radius.
const earthRadiusKm = 6371.0

// distanceKm is the great-circle distance between two places (haversine).
func distanceKm(a, b Place) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// countryCentroid is the approximate geographic centre (latitude, longitude)
// of countries, for databases such as GeoLite2-Country that carry only a
// country code. Country to country distances are coarse, which is why
// impossible travel needs a speed well above an airliner's. Countries not
// listed give no distance, so no impossible-travel verdict.
var countryCentroid = map[string][2]float64{
	"AE": {23.4, 53.8}, "AF": {33.9, 67.7}, "AR": {-38.4, -63.6}, "AT": {47.5, 14.6},
	"AU": {-25.3, 133.8}, "AZ": {40.1, 47.6}, "BD": {23.7, 90.4}, "BE": {50.5, 4.5},
	"BG": {42.7, 25.5}, "BR": {-14.2, -51.9}, "BY": {53.7, 28.0}, "CA": {56.1, -106.3},
	"CH": {46.8, 8.2}, "CL": {-35.7, -71.5}, "CN": {35.9, 104.2}, "CO": {4.6, -74.3},
	"CZ": {49.8, 15.5}, "DE": {51.2, 10.5}, "DK": {56.3, 9.5}, "DZ": {28.0, 1.7},
	"EE": {58.6, 25.0}, "EG": {26.8, 30.8}, "ES": {40.5, -3.7}, "FI": {61.9, 25.7},
	"FR": {46.2, 2.2}, "GB": {55.4, -3.4}, "GE": {42.3, 43.4}, "GR": {39.1, 21.8},
	"HK": {22.3, 114.2}, "HR": {45.1, 15.2}, "HU": {47.2, 19.5}, "ID": {-0.8, 113.9},
	"IE": {53.4, -8.2}, "IL": {31.0, 34.9}, "IN": {20.6, 79.0}, "IQ": {33.2, 43.7},
	"IR": {32.4, 53.7}, "IS": {64.9, -19.0}, "IT": {41.9, 12.6}, "JP": {36.2, 138.3},
	"KE": {-0.0, 37.9}, "KG": {41.2, 74.8}, "KH": {12.6, 105.0}, "KP": {40.3, 127.5},
	"KR": {35.9, 127.8}, "KZ": {48.0, 66.9}, "LA": {19.9, 102.5}, "LK": {7.9, 80.8},
	"LT": {55.2, 23.9}, "LU": {49.8, 6.1}, "LV": {56.9, 24.6}, "MA": {31.8, -7.1},
	"MD": {47.4, 28.4}, "MM": {21.9, 95.9}, "MN": {46.9, 103.8}, "MO": {22.2, 113.5},
	"MX": {23.6, -102.6}, "MY": {4.2, 102.0}, "NG": {9.1, 8.7}, "NL": {52.1, 5.3},
	"NO": {60.5, 8.5}, "NZ": {-40.9, 174.9}, "PA": {8.5, -80.8}, "PE": {-9.2, -75.0},
	"PH": {12.9, 121.8}, "PK": {30.4, 69.3}, "PL": {51.9, 19.1}, "PT": {39.4, -8.2},
	"QA": {25.4, 51.2}, "RO": {45.9, 25.0}, "RS": {44.0, 21.0}, "RU": {61.5, 105.3},
	"SA": {23.9, 45.1}, "SE": {60.1, 18.6}, "SG": {1.35, 103.8}, "SI": {46.2, 15.0},
	"SK": {48.7, 19.7}, "TH": {15.9, 101.0}, "TJ": {38.9, 71.3}, "TM": {39.0, 59.6},
	"TR": {39.0, 35.2}, "TW": {23.7, 121.0}, "UA": {48.4, 31.2}, "US": {37.1, -95.7},
	"UZ": {41.4, 64.6}, "VE": {6.4, -66.6}, "VN": {14.1, 108.3}, "ZA": {-30.6, 22.9},
}
