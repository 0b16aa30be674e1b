package simulate

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// The shapes below are the fields of Microsoft Graph's signIn resource and
// of the Google Workspace Reports API's login activity that identity teams
// export; field order is fixed, so output is deterministic.

type entraSignIn struct {
	ID                      string        `json:"id"`
	CreatedDateTime         string        `json:"createdDateTime"`
	UserDisplayName         string        `json:"userDisplayName"`
	UserPrincipalName       string        `json:"userPrincipalName"`
	UserID                  string        `json:"userId"`
	AppID                   string        `json:"appId"`
	AppDisplayName          string        `json:"appDisplayName"`
	IPAddress               string        `json:"ipAddress"`
	ClientAppUsed           string        `json:"clientAppUsed"`
	CorrelationID           string        `json:"correlationId"`
	ConditionalAccessStatus string        `json:"conditionalAccessStatus"`
	IsInteractive           bool          `json:"isInteractive"`
	RiskDetail              string        `json:"riskDetail"`
	RiskLevelAggregated     string        `json:"riskLevelAggregated"`
	RiskState               string        `json:"riskState"`
	Status                  entraStatus   `json:"status"`
	DeviceDetail            entraDevice   `json:"deviceDetail"`
	Location                entraLocation `json:"location"`
}

type entraStatus struct {
	ErrorCode         int     `json:"errorCode"`
	FailureReason     string  `json:"failureReason"`
	AdditionalDetails *string `json:"additionalDetails"`
}

type entraDevice struct {
	DeviceID        string `json:"deviceId"`
	OperatingSystem string `json:"operatingSystem"`
	Browser         string `json:"browser"`
}

type entraLocation struct {
	City            string `json:"city"`
	State           string `json:"state"`
	CountryOrRegion string `json:"countryOrRegion"`
}

type googleActivity struct {
	Kind      string        `json:"kind"`
	ID        googleID      `json:"id"`
	Actor     googleActor   `json:"actor"`
	IPAddress string        `json:"ipAddress"`
	Events    []googleEvent `json:"events"`
}

type googleID struct {
	Time            string `json:"time"`
	UniqueQualifier string `json:"uniqueQualifier"`
	ApplicationName string `json:"applicationName"`
	CustomerID      string `json:"customerId"`
}

type googleActor struct {
	CallerType string `json:"callerType"`
	Email      string `json:"email"`
	ProfileID  string `json:"profileId"`
}

type googleEvent struct {
	Type       string        `json:"type"`
	Name       string        `json:"name"`
	Parameters []googleParam `json:"parameters"`
}

type googleParam struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	BoolValue *bool  `json:"boolValue,omitempty"`
}

// signinRec is one sign-in before it is written in either shape.
type signinRec struct {
	t       int64
	host    int
	ip      netip.Addr
	google  bool
	success bool
	attack  bool
	app     int
}

var entraApps = []struct{ id, name string }{
	{"00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"},
	{"1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"},
	{"00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"},
	{"4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"},
}

// generateSignIns writes signin/entra_signins.json and
// signin/google_login.json: each user's ordinary sign-ins from the office
// or from home, and the attackers' ones from the plan, day by day.
func generateSignIns(ctx context.Context, opts Options, org *Org, att *attacker, p *plan, sum *Summary) error {
	r := rand.New(rand.NewPCG(opts.Seed, 0x7369676e)) // "sign"
	dir := filepath.Join(opts.Out, "signin")
	ef, err := os.Create(filepath.Join(dir, "entra_signins.json"))
	if err != nil {
		return fmt.Errorf("simulate: %v", err)
	}
	defer ef.Close()
	gf, err := os.Create(filepath.Join(dir, "google_login.json"))
	if err != nil {
		return fmt.Errorf("simulate: %v", err)
	}
	defer gf.Close()
	ew, gw := bufio.NewWriter(ef), bufio.NewWriter(gf)
	tf, err := os.OpenFile(filepath.Join(opts.Out, "truth.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("simulate: %v", err)
	}
	defer tf.Close()
	tw := bufio.NewWriter(tf)

	startUS := opts.Start.UnixMicro()
	dayUS := int64(24 * time.Hour / time.Microsecond)
	ws := org.workstations()
	home := func(hi int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + hi%240)}) }
	next := 0
	var day []signinRec
	for d := 0; d < opts.Days; d++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		day = day[:0]
		dayStart := startUS + int64(d)*dayUS
		wd := opts.Start.AddDate(0, 0, d).Weekday()
		weekend := wd == time.Saturday || wd == time.Sunday
		for _, hi := range ws {
			n := 1 + r.IntN(4)
			if weekend {
				n = r.IntN(2)
			}
			for k := 0; k < n; k++ {
				t := dayStart + int64(7+r.IntN(12))*3600e6 + r.Int64N(3600e6)
				ip := org.Egress
				if r.IntN(5) == 0 || weekend {
					ip = home(hi)
				}
				day = append(day, signinRec{t: t, host: hi, ip: ip, google: r.IntN(3) == 0, success: r.IntN(40) != 0, app: r.IntN(len(entraApps))})
			}
		}
		for ; next < len(p.signins) && p.signins[next].t < dayStart+dayUS; next++ {
			s := p.signins[next]
			day = append(day, signinRec{t: s.t, host: s.host, ip: s.ip, google: s.google, success: s.success, attack: true})
		}
		slices.SortStableFunc(day, func(a, b signinRec) int { return cmpInt64(a.t, b.t) })
		for _, s := range day {
			h := &org.Hosts[s.host]
			id := guid(r)
			ts := time.UnixMicro(s.t).UTC()
			if s.google {
				act := googleActivity{Kind: "admin#reports#activity",
					ID:    googleID{Time: ts.Format("2006-01-02T15:04:05.000Z"), UniqueQualifier: strconv.FormatInt(-int64(r.Uint64()>>1), 10), ApplicationName: "login", CustomerID: "C03lpg7a1"},
					Actor: googleActor{CallerType: "USER", Email: h.User, ProfileID: fmt.Sprintf("1145%017d", 11472019+s.host)}, IPAddress: s.ip.String()}
				suspicious := s.attack
				ev := googleEvent{Type: "login", Name: "login_success", Parameters: []googleParam{{Name: "login_type", Value: "google_password"}, {Name: "is_suspicious", BoolValue: &suspicious}}}
				if !s.success {
					ev.Name = "login_failure"
					ev.Parameters = append(ev.Parameters, googleParam{Name: "login_failure_type", Value: "login_failure_invalid_password"})
				}
				act.Events = []googleEvent{ev}
				if err := writeJSONLine(gw, act); err != nil {
					return err
				}
				if s.attack {
					if err := writeTruthLine(tw, act.ID.UniqueQualifier, s.ip.String(), s.t); err != nil {
						return err
					}
					sum.Truth++
				}
			} else {
				app := entraApps[s.app]
				rec := entraSignIn{ID: id, CreatedDateTime: ts.Format("2006-01-02T15:04:05.0000000Z"), UserDisplayName: h.Display,
					UserPrincipalName: h.User, UserID: userGUID(s.host), AppID: app.id, AppDisplayName: app.name,
					IPAddress: s.ip.String(), ClientAppUsed: "Browser", CorrelationID: guid(r), ConditionalAccessStatus: "notApplied",
					IsInteractive: true, RiskDetail: "none", RiskLevelAggregated: "none", RiskState: "none",
					Status:       entraStatus{FailureReason: "Other."},
					DeviceDetail: entraDevice{OperatingSystem: "Windows 10", Browser: "Chrome 120.0.0"},
					Location:     locationOf(s.ip, att)}
				if !s.success {
					rec.Status = entraStatus{ErrorCode: 50126, FailureReason: "Error validating credentials due to invalid username or password."}
				}
				if s.attack {
					rec.DeviceDetail = entraDevice{OperatingSystem: "Windows 7", Browser: "IE 8.0"}
					rec.RiskLevelAggregated, rec.RiskState = "medium", "atRisk"
				}
				if err := writeJSONLine(ew, rec); err != nil {
					return err
				}
				if s.attack {
					if err := writeTruthLine(tw, rec.ID, s.ip.String(), s.t); err != nil {
						return err
					}
					sum.Truth++
				}
			}
			sum.SignIns++
		}
	}
	for _, w := range []*bufio.Writer{ew, gw, tw} {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("simulate: sign-ins: %v", err)
		}
	}
	for _, f := range []*os.File{ef, gf, tf} {
		if err := f.Close(); err != nil {
			return fmt.Errorf("simulate: sign-ins: %v", err)
		}
	}
	return nil
}

func locationOf(ip netip.Addr, att *attacker) entraLocation {
	switch {
	case att.operatorNet.Contains(ip):
		return entraLocation{City: "Beijing", State: "Beijing", CountryOrRegion: "CN"}
	case slices.Contains(att.signinIPs, ip):
		return entraLocation{City: "Hong Kong", State: "Hong Kong", CountryOrRegion: "HK"}
	}
	return entraLocation{City: "Seattle", State: "Washington", CountryOrRegion: "US"}
}

func writeJSONLine(w *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("simulate: %v", err)
	}
	w.Write(b)
	return w.WriteByte('\n')
}

func writeTruthLine(w *bufio.Writer, uid, ip string, ts int64) error {
	return writeJSONLine(w, Truth{UID: uid, Log: "signin", Kind: "cloud-signin", Actor: Actor, Indicator: ip,
		Time: time.UnixMicro(ts).UTC().Format(time.RFC3339Nano)})
}

// guid draws a random version-4 GUID from r.
func guid(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		x := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// userGUID is a user's stable object id.
func userGUID(hi int) string {
	return fmt.Sprintf("5e1f0c2a-7b3d-4c8e-9a1b-%012x", 0x1a2b3c000000+hi)
}
