package portal

import (
	"crypto/rand"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/logtriage/logtriage/audit"
)

// The device authorization grant (RFC 8628) lets `logtriage login --api URL`
// get an API token without a password on the command line: the CLI asks
// for a code, the person approves it in the console where they are signed
// in (with their second factor), and the CLI's polling receives the token.

const (
	deviceCodeTTL   = 10 * time.Minute
	devicePollEvery = 5 * time.Second
	// DeviceTokenTTL is the lifetime of a token obtained by the device flow.
	DeviceTokenTTL = 30 * 24 * time.Hour
	// userCodeAlphabet has no vowels (no words) and no look-alikes (RFC 8628 6.1).
	userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"
)

type deviceRequest struct {
	deviceCode, userCode string
	expires              time.Time
	lastPoll             time.Time
	approvedBy           string // account, once approved
	token                string // minted at approval, handed out once
	denied               bool
}

type devices struct {
	mu     sync.Mutex
	byCode map[string]*deviceRequest // device code
	byUser map[string]*deviceRequest // user code
}

func newDevices() *devices {
	return &devices{byCode: map[string]*deviceRequest{}, byUser: map[string]*deviceRequest{}}
}

func newUserCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:])
}

func normalizeUserCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(s) != 8 {
		return ""
	}
	return s[:4] + "-" + s[4:]
}

func (d *devices) sweepLocked(now time.Time) {
	for code, r := range d.byCode {
		if now.After(r.expires) {
			delete(d.byCode, code)
			delete(d.byUser, r.userCode)
		}
	}
}

// POST /api/v1/device/code: no authentication; rate-limited per address.
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	addr := "device:" + clientAddr(r)
	if l, _ := s.byAddr.locked(addr); l {
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow_down"})
		return
	}
	s.byAddr.fail(addr) // every request counts: codes are not free to mint
	now := s.o.Now()
	req := &deviceRequest{deviceCode: randomID(), userCode: newUserCode(), expires: now.Add(deviceCodeTTL)}
	s.devices.mu.Lock()
	s.devices.sweepLocked(now)
	for s.devices.byUser[req.userCode] != nil {
		req.userCode = newUserCode()
	}
	s.devices.byCode[req.deviceCode], s.devices.byUser[req.userCode] = req, req
	s.devices.mu.Unlock()
	base := "http://" + r.Host
	if s.o.Secure {
		base = "https://" + r.Host
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": req.deviceCode, "user_code": req.userCode,
		"verification_uri": base + "/device", "verification_uri_complete": base + "/device?code=" + req.userCode,
		"expires_in": int(deviceCodeTTL.Seconds()), "interval": int(devicePollEvery.Seconds()),
	})
}

// POST /api/v1/device/token: the CLI's poll (RFC 8628 3.4, 3.5).
func (s *Server) deviceToken(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	now := s.o.Now()
	s.devices.mu.Lock()
	defer s.devices.mu.Unlock()
	req, ok := s.devices.byCode[r.PostFormValue("device_code")]
	switch {
	case !ok:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	case now.After(req.expires):
		delete(s.devices.byCode, req.deviceCode)
		delete(s.devices.byUser, req.userCode)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "expired_token"})
		return
	case req.denied:
		delete(s.devices.byCode, req.deviceCode)
		delete(s.devices.byUser, req.userCode)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "access_denied"})
		return
	case req.token == "":
		code := "authorization_pending"
		if !req.lastPoll.IsZero() && now.Sub(req.lastPoll) < devicePollEvery-time.Second {
			code = "slow_down"
		}
		req.lastPoll = now
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
		return
	}
	tok := req.token
	delete(s.devices.byCode, req.deviceCode)
	delete(s.devices.byUser, req.userCode)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(DeviceTokenTTL.Seconds())})
}

type devicePage struct {
	Code, Error, Notice string
}

func (s *Server) deviceForm(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	s.render(w, r, http.StatusOK, "device", p, ss.csrf, devicePage{Code: normalizeUserCode(r.FormValue("code"))})
}

// POST /device: the signed-in person approves (or denies) a code. Wrong
// codes count against the account like failed sign-ins.
func (s *Server) deviceApprove(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	key := "acct:" + p.Name
	if l, _ := s.byName.locked(key); l {
		s.render(w, r, http.StatusTooManyRequests, "device", p, ss.csrf, devicePage{Error: "Too many wrong codes. Try again later."})
		return
	}
	code := normalizeUserCode(r.PostFormValue("code"))
	now := s.o.Now()
	s.devices.mu.Lock()
	req, ok := s.devices.byUser[code]
	if ok && (now.After(req.expires) || req.approvedBy != "" || req.denied) {
		ok = false
	}
	s.devices.mu.Unlock()
	if !ok {
		s.byName.fail(key)
		s.render(w, r, http.StatusNotFound, "device", p, ss.csrf, devicePage{Code: code, Error: "No pending sign-in with that code."})
		return
	}
	if r.PostFormValue("action") == "deny" {
		s.devices.mu.Lock()
		req.denied = true
		s.devices.mu.Unlock()
		s.render(w, r, http.StatusOK, "device", p, ss.csrf, devicePage{Notice: "Denied. The device gets no token."})
		return
	}
	tok, t, err := s.accounts.CreateToken(r.Context(), p.Name, DeviceTokenTTL)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.devices.mu.Lock()
	req.approvedBy, req.token = p.Name, tok
	s.devices.mu.Unlock()
	if err := s.record(r, p, tenantOrPortal(p.Tenant), audit.ActionAccountChanged, "account/"+p.Name, audit.Success,
		map[string]string{"token": t.ID, "via": "device authorization"}); err != nil {
		s.o.Log.Warn("portal: audit of a device token", "err", err)
	}
	s.render(w, r, http.StatusOK, "device", p, ss.csrf, devicePage{Notice: "Approved. You can close this page; the command line is signed in."})
}
