// Package apiclient is the portal API's Go client: what `logtriage submit
// --api` uses to upload through a grant, follow the upload and read its case.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/logtriage/logtriage/portal"
	"github.com/logtriage/logtriage/triage"
)

// Client calls one portal with one bearer token.
type Client struct {
	BaseURL string // https://portal.example.com
	Token   string
	HTTP    *http.Client // http.DefaultClient when nil
}

// Error is a non-2xx answer.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("portal: %d %s", e.Status, e.Message) }

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, size int64, ctype string, out any) error {
	u, err := url.JoinPath(c.BaseURL, path)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(raw, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(raw))
		}
		return &Error{Status: resp.StatusCode, Message: e.Error}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// Progress is told how many bytes of the body have been sent.
type Progress func(sent, total int64)

type progressReader struct {
	r     io.Reader
	sent  int64
	total int64
	fn    Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.sent += int64(n)
	if p.fn != nil && n > 0 {
		p.fn(p.sent, p.total)
	}
	return n, err
}

// Upload asks for a grant, then streams the body (size bytes) into it.
func (c *Client) Upload(ctx context.Context, name string, size int64, body io.Reader, caseRef string, progress Progress) (portal.UploadStatus, error) {
	req, _ := json.Marshal(portal.GrantRequest{Name: name, Size: size, CaseRef: caseRef})
	var g portal.Grant
	if err := c.do(ctx, "POST", "/api/v1/uploads", bytes.NewReader(req), int64(len(req)), "application/json", &g); err != nil {
		return portal.UploadStatus{}, err
	}
	var st portal.UploadStatus
	pr := &progressReader{r: body, total: size, fn: progress}
	err := c.do(ctx, "PUT", g.URL, pr, size, "application/octet-stream", &st)
	return st, err
}

// Status reads an upload's status by grant id or upload id.
func (c *Client) Status(ctx context.Context, id string) (portal.UploadStatus, error) {
	var st portal.UploadStatus
	return st, c.do(ctx, "GET", "/api/v1/uploads/"+url.PathEscape(id), nil, 0, "", &st)
}

// Terminal reports whether an upload status is final.
func Terminal(s triage.Status) bool {
	return s == triage.StatusTriaged || s == triage.StatusQuarantined || s == triage.StatusFailed
}

// Wait polls the status until it is final or ctx ends.
func (c *Client) Wait(ctx context.Context, id string, every time.Duration) (portal.UploadStatus, error) {
	for {
		st, err := c.Status(ctx, id)
		if err != nil {
			return st, err
		}
		if Terminal(st.Status) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("upload %s still %s: %w", id, st.Status, ctx.Err())
		case <-time.After(every):
		}
	}
}

// Case reads a case as the token's account may see it (a customer gets the
// summary view).
func (c *Client) Case(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	return raw, c.do(ctx, "GET", "/api/v1/cases/"+url.PathEscape(id), nil, 0, "", &raw)
}

// IsStatus reports whether err is an answer with this HTTP status.
func IsStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == code
}
