// Package taxii is umbra's TAXII 2.1 client: it pulls a collection's
// objects page by page, following `next` and `added_after`, so that an
// import can resume where the previous one stopped.
package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MediaType is the TAXII 2.1 media type.
const MediaType = "application/taxii+json;version=2.1"

// Scheme prefixes a TAXII collection URL on umbra's command line:
// taxii+https://HOST/ROOT/collections/ID.
const Scheme = "taxii+"

// maxPageBytes bounds one page, so a hostile server cannot exhaust memory.
const maxPageBytes = 64 << 20

// Client pulls objects from TAXII 2.1 collections.
type Client struct {
	HTTP     *http.Client
	Token    string // sent as a Bearer token when set
	User     string // HTTP Basic, when Token is empty
	Password string
	PageSize int // objects per request; 0 lets the server choose
}

// CollectionURL turns taxii+https://... into the collection's https URL.
// Plain http is accepted only for loopback hosts.
func CollectionURL(s string) (*url.URL, error) {
	raw := strings.TrimPrefix(s, Scheme)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad TAXII URL %q: %v", s, err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("TAXII over plain http is allowed only on loopback; use taxii+https://")
		}
	default:
		return nil, fmt.Errorf("TAXII URL %q: want taxii+https://HOST/ROOT/collections/ID", s)
	}
	if !strings.Contains(u.Path, "/collections/") {
		return nil, fmt.Errorf("TAXII URL %q does not name a collection (/ROOT/collections/ID)", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// Page is one envelope the server returned.
type Page struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// Pull fetches every object added after addedAfter (RFC 3339; empty for
// all) and calls fn with each. It returns the newest date-added the server
// reported, to pass as addedAfter next time.
func (c *Client) Pull(ctx context.Context, collection *url.URL, addedAfter string, fn func(json.RawMessage) error) (string, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	last := addedAfter
	next := ""
	for page := 0; ; page++ {
		u := *collection
		u.Path += "objects/"
		q := url.Values{}
		if c.PageSize > 0 {
			q.Set("limit", strconv.Itoa(c.PageSize))
		}
		if next != "" {
			q.Set("next", next)
		}
		if addedAfter != "" {
			q.Set("added_after", addedAfter)
		}
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return last, err
		}
		req.Header.Set("Accept", MediaType)
		switch {
		case c.Token != "":
			req.Header.Set("Authorization", "Bearer "+c.Token)
		case c.User != "":
			req.SetBasicAuth(c.User, c.Password)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return last, fmt.Errorf("page %d: %w", page, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
		resp.Body.Close()
		if err != nil {
			return last, fmt.Errorf("page %d: %w", page, err)
		}
		if resp.StatusCode != http.StatusOK {
			return last, fmt.Errorf("page %d: %s: %s", page, resp.Status, errorTitle(body))
		}
		if len(body) > maxPageBytes {
			return last, fmt.Errorf("page %d: larger than %d bytes", page, maxPageBytes)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(strings.ReplaceAll(ct, " ", ""), "application/taxii+json") {
			return last, fmt.Errorf("page %d: content type %q is not TAXII 2.1", page, ct)
		}
		var p Page
		if err := json.Unmarshal(body, &p); err != nil {
			return last, fmt.Errorf("page %d: not a TAXII envelope: %v", page, err)
		}
		for _, o := range p.Objects {
			if err := fn(o); err != nil {
				return last, err
			}
		}
		if d := resp.Header.Get("X-TAXII-Date-Added-Last"); d != "" && d > last {
			last = d
		}
		if !p.More {
			return last, nil
		}
		if p.Next != "" {
			next = p.Next
		} else if last != "" && last != addedAfter {
			// Servers without `next` page by added_after alone.
			addedAfter, next = last, ""
		} else {
			return last, fmt.Errorf("page %d: server says more but gives neither next nor a newer date", page)
		}
	}
}

func errorTitle(body []byte) string {
	var e struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Title != "" {
		return strings.TrimSpace(e.Title + " " + e.Description)
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return strings.TrimSpace(string(body))
}
