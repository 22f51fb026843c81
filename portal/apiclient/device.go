package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DeviceCode is the answer to a device authorization request (RFC 8628 3.2).
type DeviceCode struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// ErrDenied means the person denied the request in the console.
var ErrDenied = errors.New("the sign-in was denied")

func (c *Client) form(ctx context.Context, path string, v url.Values, out any) (int, error) {
	u, err := url.JoinPath(c.BaseURL, path)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(v.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, json.Unmarshal(raw, out)
}

// StartDevice asks for a device code.
func (c *Client) StartDevice(ctx context.Context) (DeviceCode, error) {
	var dc DeviceCode
	code, err := c.form(ctx, "/api/v1/device/code", url.Values{"client_id": {"logtriage-cli"}}, &dc)
	if err == nil && (code != http.StatusOK || dc.DeviceCode == "") {
		err = &Error{Status: code, Message: "no device code"}
	}
	return dc, err
}

// PollDevice polls until the code is approved (the token), denied, or expired.
func (c *Client) PollDevice(ctx context.Context, dc DeviceCode) (string, error) {
	every := time.Duration(max(dc.Interval, 1)) * time.Second
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(every):
		}
		var out struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		code, err := c.form(ctx, "/api/v1/device/token", url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc.DeviceCode}, "client_id": {"logtriage-cli"},
		}, &out)
		if err != nil {
			return "", err
		}
		switch {
		case code == http.StatusOK && out.AccessToken != "":
			return out.AccessToken, nil
		case out.Error == "authorization_pending":
		case out.Error == "slow_down":
			every += 5 * time.Second
		case out.Error == "access_denied":
			return "", ErrDenied
		default:
			return "", fmt.Errorf("device sign-in: %s", out.Error)
		}
	}
}
