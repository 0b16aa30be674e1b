// Package signin decodes cloud identity sign-in logs into KindSignIn
// events: who (User) signed in from where (SrcIP), when, to what (App), and
// whether it worked (Result "success" or "failure").
//
// It reads four shapes, record by record, in any mix:
//
//   - Microsoft Graph signIn resources (GET /auditLogs/signIns), alone or in
//     the {"value": [...]} page the API returns;
//   - Azure Monitor diagnostic-log records of category SignInLogs, with the
//     signIn under "properties", alone or in {"records": [...]};
//   - Office 365 Management Activity API records (UserLoggedIn,
//     UserLoginFailed; other operations become KindGeneric events, since
//     their ClientIP and UserId are observables too);
//   - Google Workspace Reports API login activities, alone or in the
//     {"items": [...]} page (other applications become KindGeneric).
//
// Input is newline-delimited JSON, a JSON array, or one JSON document.
// Newline-delimited input recovers from a bad line; a broken single
// document ends at the first syntax error, which is reported with its byte
// offset. A top-level array is read element by element; an API page
// ({"value": [...]}) is held in memory whole, as the API returns it in
// pages of at most a few thousand records.
package signin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

func init() {
	newReader := func(r io.Reader, name string) (source.Decoder, error) { return NewReader(r, name), nil }
	source.Register(source.FormatEntra, newReader)
	source.Register(source.FormatGoogle, newReader)
}

// Reader decodes one sign-in log stream. It is not safe for concurrent use.
type Reader struct {
	name       string
	br         *bufio.Reader
	mode       int // modeUnknown until the first bytes are seen
	lines      *source.LineReader
	dec        *json.Decoder
	depth      int  // 1 inside a top-level array in document mode
	firstArray bool // the document starts with '['

	pending []pendingRecord // records of a wrapper page not yet returned
	err     error
	stats   source.Stats
}

type pendingRecord struct {
	raw    json.RawMessage
	line   int64
	offset int64  // of the top-level value holding the record
	where  string // the record's place in that value, "value[2]", or ""
}

const (
	modeUnknown = iota
	modeLines
	modeDocument
)

// NewReader returns a Reader for r; name is used in error messages.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, br: bufio.NewReaderSize(r, 64<<10)}
}

// Stats returns the counts of good and bad records so far.
func (r *Reader) Stats() source.Stats { return r.stats }

// Next decodes the next record into e. It returns io.EOF at the end, a
// *source.RecordError for a bad record that was skipped (call Next again),
// or another error when the input cannot be read further.
func (r *Reader) Next(e *event.Event) error {
	for {
		if len(r.pending) > 0 {
			p := r.pending[0]
			r.pending = r.pending[1:]
			return r.decode(e, p)
		}
		if r.err != nil {
			return r.err
		}
		if r.mode == modeUnknown {
			r.chooseMode()
		}
		var err error
		if r.mode == modeLines {
			err = r.nextLine()
		} else {
			err = r.nextDocument()
		}
		if err != nil {
			return err
		}
	}
}

// chooseMode reads newline-delimited JSON line by line, so that one bad
// line does not lose the rest, when the first line is a whole JSON object.
func (r *Reader) chooseMode() {
	if bom, _ := r.br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		r.br.Discard(3) // exports saved by Windows tools start with a BOM
	}
	// Wait for the first line only, so that a live stream is not held
	// up until 64 KiB have arrived.
	head, _ := r.br.Peek(1)
	for n := 1; bytes.IndexByte(head, '\n') < 0 && n < 64<<10; {
		n = r.br.Buffered() + 1
		var err error
		if head, err = r.br.Peek(n); err != nil {
			head, _ = r.br.Peek(r.br.Buffered())
			break
		}
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	r.mode = modeDocument
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if i := bytes.IndexByte(trimmed, '\n'); i > 0 && json.Valid(trimmed[:i]) {
			r.mode = modeLines
		} else if i < 0 && json.Valid(trimmed) {
			r.mode = modeLines
		}
	}
	if r.mode == modeLines {
		r.lines = source.NewLineReader(r.br)
	} else {
		r.dec = json.NewDecoder(r.br)
		r.firstArray = len(trimmed) > 0 && trimmed[0] == '['
	}
}

func (r *Reader) nextLine() error {
	line, err := r.lines.Next()
	if errors.Is(err, source.ErrLineTooLong) {
		return r.bad(r.lines.Line(), r.lines.Offset(), "%v", err)
	}
	if err != nil {
		if err != io.EOF {
			err = fmt.Errorf("%s:%d: %w", r.name, r.lines.Line()+1, err)
		}
		r.err = err
		return err
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	return r.expand(json.RawMessage(line), r.lines.Line(), r.lines.Offset())
}

// nextDocument reads the next top-level value, or the next element of a
// top-level array.
func (r *Reader) nextDocument() error {
	if r.depth == 0 {
		if r.firstArray {
			// Stream the elements of a top-level array rather than hold
			// the whole export in memory.
			r.firstArray = false
			off := r.dec.InputOffset()
			if _, err := r.dec.Token(); err != nil {
				return r.fatal(off, err)
			}
			r.depth = 1
			return nil
		}
		off := r.dec.InputOffset()
		var raw json.RawMessage
		err := r.dec.Decode(&raw)
		if err == io.EOF {
			r.err = io.EOF
			return io.EOF
		}
		if err != nil {
			return r.fatal(off, err)
		}
		return r.expand(raw, 0, off)
	}
	if !r.dec.More() {
		off := r.dec.InputOffset()
		if _, err := r.dec.Token(); err != nil { // the closing ']'
			return r.fatal(off, err)
		}
		r.depth = 0
		return nil
	}
	off := r.dec.InputOffset()
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); err != nil {
		return r.fatal(off, err)
	}
	return r.expand(raw, 0, off)
}

// fatal reports a syntax error in a JSON document: the decoder cannot
// resynchronise, so the rest of this input is lost, and the error says
// where.
func (r *Reader) fatal(off int64, err error) error {
	re := &source.RecordError{Name: r.name, Offset: off, Reason: fmt.Sprintf("%v (the rest of the input is not readable)", err)}
	r.stats.Add(re)
	r.err = io.EOF
	return re
}

func (r *Reader) bad(line, off int64, format string, args ...any) error {
	re := &source.RecordError{Name: r.name, Line: line, Offset: off, Reason: fmt.Sprintf(format, args...)}
	r.stats.Add(re)
	return re
}

// wrapper is an API page or export batch holding records.
type wrapper struct {
	Value   []json.RawMessage `json:"value"`   // Graph
	Records []json.RawMessage `json:"records"` // Azure Monitor / Event Hubs
	Items   []json.RawMessage `json:"items"`   // Google Reports
}

// expand queues the records of one top-level value: the value itself, or
// the records of a wrapper page.
func (r *Reader) expand(raw json.RawMessage, line, off int64) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(trimmed, &arr); err != nil {
			return r.bad(line, off, "%v", err)
		}
		r.queue(arr, "", line, off)
		return nil
	}
	var w wrapper
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return r.bad(line, off, "%v", err)
	}
	if len(w.Value)+len(w.Records)+len(w.Items) == 0 {
		r.pending = append(r.pending, pendingRecord{trimmed, line, off, ""})
		return nil
	}
	r.queue(w.Value, "value", line, off)
	r.queue(w.Records, "records", line, off)
	r.queue(w.Items, "items", line, off)
	return nil
}

func (r *Reader) queue(recs []json.RawMessage, key string, line, off int64) {
	for i, raw := range recs {
		r.pending = append(r.pending, pendingRecord{raw, line, off, fmt.Sprintf("%s[%d]", key, i)})
	}
}

func (r *Reader) decode(e *event.Event, p pendingRecord) error {
	var rec record
	err := json.Unmarshal(p.raw, &rec)
	if err == nil {
		e.Reset()
		err = rec.fill(e)
	}
	if err != nil {
		if p.where != "" {
			return r.bad(p.line, p.offset, "%s: %v", p.where, err)
		}
		return r.bad(p.line, p.offset, "%v", err)
	}
	r.stats.Records++
	return nil
}

// record is the union of the four shapes; encoding/json matches keys
// without regard to case, which is why the Graph "userId" (a GUID) and the
// O365 "UserId" (a UPN) share one field and are told apart by shape.
type record struct {
	// Graph signIn, and Azure Monitor's properties.
	ID                json.RawMessage `json:"id"` // a string, or Google's id object
	CreatedDateTime   string          `json:"createdDateTime"`
	UserPrincipalName string          `json:"userPrincipalName"`
	IPAddress         string          `json:"ipAddress"` // Graph and Google
	AppDisplayName    string          `json:"appDisplayName"`
	UserAgent         string          `json:"userAgent"`
	Status            *struct {
		ErrorCode *int `json:"errorCode"`
	} `json:"status"`

	// Azure Monitor diagnostic log.
	Category        string  `json:"category"`
	Time            string  `json:"time"`
	CallerIPAddress string  `json:"callerIpAddress"`
	ResultType      string  `json:"resultType"`
	Properties      *record `json:"properties"`

	// Office 365 Management Activity.
	CreationTime       string `json:"CreationTime"`
	Operation          string `json:"Operation"`
	ClientIP           string `json:"ClientIP"`
	UserID             string `json:"UserId"`
	ResultStatus       string `json:"ResultStatus"`
	ApplicationID      string `json:"ApplicationId"`
	ObjectID           string `json:"ObjectId"`
	ExtendedProperties []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"ExtendedProperties"`

	// Google Workspace Reports activity.
	// A raw message because O365 records have an "Actor" array, which
	// encoding/json would otherwise try to fit into Google's object.
	Actor  json.RawMessage `json:"actor"`
	Events []struct {
		Name string `json:"name"`
	} `json:"events"`
}

// googleID is the id object of a Google Reports activity.
type googleID struct {
	Time            string `json:"time"`
	UniqueQualifier string `json:"uniqueQualifier"`
	ApplicationName string `json:"applicationName"`
}

func (rec *record) fill(e *event.Event) error {
	switch {
	case rec.Properties != nil && (rec.Category == "SignInLogs" || rec.Properties.UserPrincipalName != ""):
		return rec.fillMonitor(e)
	case rec.UserPrincipalName != "" || rec.CreatedDateTime != "":
		return rec.fillGraph(e)
	case rec.Operation != "":
		return rec.fillO365(e)
	case len(rec.Actor) > 0 || len(rec.Events) > 0:
		return rec.fillGoogle(e)
	}
	return errors.New("not a sign-in record: none of userPrincipalName, properties, Operation, actor")
}

func (rec *record) fillGraph(e *event.Event) error {
	e.Sensor = "entra"
	e.Kind = event.KindSignIn
	var err error
	if e.Time, err = parseTime("createdDateTime", rec.CreatedDateTime); err != nil {
		return err
	}
	if e.SrcIP, err = parseIP("ipAddress", rec.IPAddress); err != nil {
		return err
	}
	var id string
	if json.Unmarshal(rec.ID, &id) == nil {
		e.UID = id
	}
	e.User = rec.UserPrincipalName
	e.App = rec.AppDisplayName
	e.UserAgent = rec.UserAgent
	switch {
	case rec.Status == nil || rec.Status.ErrorCode == nil:
		return errors.New("no status.errorCode")
	case *rec.Status.ErrorCode == 0:
		e.Result = "success"
	default:
		e.Result = "failure"
	}
	return nil
}

// fillMonitor reads an Azure Monitor record: the signIn is in properties;
// the envelope's time, callerIpAddress and resultType stand in for it
// where properties lack them.
func (rec *record) fillMonitor(e *event.Event) error {
	p := rec.Properties
	if p.CreatedDateTime == "" {
		p.CreatedDateTime = rec.Time
	}
	if p.IPAddress == "" {
		p.IPAddress = rec.CallerIPAddress
	}
	if p.Status == nil && rec.ResultType != "" {
		code := 1
		if rec.ResultType == "0" {
			code = 0
		}
		p.Status = &struct {
			ErrorCode *int `json:"errorCode"`
		}{&code}
	}
	return p.fillGraph(e)
}

func (rec *record) fillO365(e *event.Event) error {
	e.Sensor = "o365"
	var err error
	if e.Time, err = parseTime("CreationTime", rec.CreationTime); err != nil {
		return err
	}
	if e.SrcIP, err = parseIP("ClientIP", rec.ClientIP); err != nil {
		return err
	}
	var id string
	if json.Unmarshal(rec.ID, &id) == nil {
		e.UID = id
	}
	e.User = rec.UserID
	e.App = rec.ApplicationID
	if e.App == "" {
		e.App = rec.ObjectID
	}
	for _, p := range rec.ExtendedProperties {
		if p.Name == "UserAgent" {
			e.UserAgent = p.Value
		}
	}
	switch rec.Operation {
	case "UserLoggedIn":
		e.Kind, e.Result = event.KindSignIn, "success"
	case "UserLoginFailed":
		e.Kind, e.Result = event.KindSignIn, "failure"
	default:
		e.Kind, e.Result = event.KindGeneric, rec.ResultStatus
	}
	return nil
}

func (rec *record) fillGoogle(e *event.Event) error {
	e.Sensor = "google"
	var id googleID
	if err := json.Unmarshal(rec.ID, &id); err != nil || id.Time == "" {
		return errors.New("no id.time")
	}
	var err error
	if e.Time, err = parseTime("id.time", id.Time); err != nil {
		return err
	}
	if e.SrcIP, err = parseIP("ipAddress", rec.IPAddress); err != nil {
		return err
	}
	e.UID = id.UniqueQualifier
	var actor struct {
		Email string `json:"email"`
	}
	if json.Unmarshal(rec.Actor, &actor) == nil {
		e.User = actor.Email
	}
	e.App = "google-workspace"
	e.Kind = event.KindGeneric
	if id.ApplicationName == "login" {
		e.Kind = event.KindSignIn
	}
	for _, ev := range rec.Events {
		switch ev.Name {
		case "login_success":
			e.Result = "success"
		case "login_failure":
			e.Result = "failure"
		default:
			if e.Result == "" {
				e.Result = ev.Name // login_challenge, logout, suspicious_login, ...
			}
			continue
		}
		break
	}
	return nil
}

// parseTime reads RFC 3339 times, and the zone-less UTC times of the O365
// audit log ("2018-05-24T12:00:00").
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("no %s", field)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s: bad time %q", field, clip(s))
}

// parseIP accepts an address, or an address with a port as the O365 log
// sometimes writes it ("203.0.113.5:443", "[2001:db8::1]:443"). An empty
// value is allowed: some sign-ins have no client address.
func parseIP(field, s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a, nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a, nil
	}
	return netip.Addr{}, fmt.Errorf("%s: bad IP %q", field, clip(s))
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
