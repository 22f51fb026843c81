package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// Grant is permission to upload one file for one tenant, shortly.
type Grant struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Account   string    `json:"-"`
	Name      string    `json:"name"`
	CaseRef   string    `json:"case_ref,omitempty"`
	MaxSize   int64     `json:"max_size"`
	ExpiresAt time.Time `json:"expires_at"`
	// URL is where the body goes: PUT, with Content-Length.
	URL string `json:"upload_url"`
	// UploadID is set once the body is stored and the event published.
	UploadID string `json:"upload_id,omitempty"`
	used     bool
}

// grants are kept in memory: a grant lives minutes, and a restart only means
// asking for a new one.
type grants struct {
	now  func() time.Time
	mu   sync.Mutex
	byID map[string]*Grant
}

func newGrants(now func() time.Time) *grants { return &grants{now: now, byID: map[string]*Grant{}} }

// maxOpenGrants bounds the unused, unexpired grants of one tenant: grants
// live in memory, and asking for them must not be a way to fill it.
const maxOpenGrants = 100

var errTooManyGrants = errors.New("too many open upload grants for this tenant; use or let some expire")

func (g *grants) add(gr *Grant) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	open := 0
	for id, old := range g.byID { // forget grants long expired (an hour keeps statuses reachable by grant id)
		switch {
		case now.Sub(old.ExpiresAt) > time.Hour:
			delete(g.byID, id)
		case old.Tenant == gr.Tenant && !old.used && now.Before(old.ExpiresAt):
			open++
		}
	}
	if open >= maxOpenGrants {
		return errTooManyGrants
	}
	g.byID[gr.ID] = gr
	return nil
}

// get returns a copy of the grant if it belongs to tenant.
func (g *grants) get(id, tenant string) (Grant, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gr, ok := g.byID[id]
	if !ok || gr.Tenant != tenant {
		return Grant{}, false
	}
	return *gr, true
}

var (
	errGrantExpired = errors.New("upload grant expired; ask for a new one")
	errGrantUsed    = errors.New("upload grant already used")
)

// claim marks the grant used by one body; a second PUT cannot reuse it.
func (g *grants) claim(id, tenant string) (Grant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gr, ok := g.byID[id]
	switch {
	case !ok || gr.Tenant != tenant:
		return Grant{}, triage.ErrNotFound
	case !g.now().Before(gr.ExpiresAt):
		return *gr, errGrantExpired
	case gr.used:
		return *gr, errGrantUsed
	}
	gr.used = true
	return *gr, nil
}

func (g *grants) release(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gr, ok := g.byID[id]; ok && gr.UploadID == "" {
		gr.used = false
	}
}

func (g *grants) done(id, uploadID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gr, ok := g.byID[id]; ok {
		gr.UploadID = uploadID
	}
}

// GrantRequest asks to upload one file.
type GrantRequest struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"` // declared size; the body must match
	CaseRef string `json:"case_ref,omitempty"`
}

const maxJSONBody = 64 << 10

func decodeBody(r *http.Request, v any) error {
	if r.ContentLength > maxJSONBody {
		return errors.New("request body too large")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("bad JSON body: %v", err)
	}
	return nil
}

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request, p Principal) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") && ct != "" {
		s.directUpload(w, r, p, ct)
		return
	}
	var req GrantRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	gr, code, err := s.grant(p, req)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, gr)
}

func (s *Server) grant(p Principal, req GrantRequest) (Grant, int, error) {
	if s.o.JS == nil {
		return Grant{}, http.StatusServiceUnavailable, errors.New("uploads are not enabled on this server")
	}
	name := filepath.Base(strings.ReplaceAll(req.Name, "\\", "/"))
	if req.Name == "" || name == "." || name == "/" || len(name) > 255 {
		return Grant{}, http.StatusBadRequest, errors.New("name: a file name is required")
	}
	if req.Size < 0 {
		return Grant{}, http.StatusBadRequest, errors.New("size must not be negative")
	}
	if req.Size > s.o.MaxUploadSize {
		return Grant{}, http.StatusRequestEntityTooLarge, fmt.Errorf("file of %d bytes is over the %d byte cap", req.Size, s.o.MaxUploadSize)
	}
	if len(req.CaseRef) > 64 {
		return Grant{}, http.StatusBadRequest, errors.New("case_ref is too long")
	}
	id := "g" + randomID()[:26]
	gr := &Grant{ID: id, Tenant: p.Tenant, Account: p.Name, Name: name, CaseRef: req.CaseRef,
		MaxSize: req.Size, ExpiresAt: s.o.Now().Add(s.o.GrantTTL).UTC(), URL: "/api/v1/uploads/" + id}
	if gr.MaxSize == 0 {
		gr.MaxSize = s.o.MaxUploadSize
	}
	if err := s.grants.add(gr); err != nil {
		return Grant{}, http.StatusTooManyRequests, err
	}
	return *gr, 0, nil
}

// directUpload is the one-request form of POST /api/v1/uploads: the body
// itself (any content type but JSON, name in ?name=) or a multipart form's
// first file part, streamed the same way under a grant made on the spot.
func (s *Server) directUpload(w http.ResponseWriter, r *http.Request, p Principal, ct string) {
	body, size, name := io.Reader(r.Body), r.ContentLength, r.URL.Query().Get("name")
	if strings.HasPrefix(ct, "multipart/form-data") {
		mr, err := r.MultipartReader()
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad multipart body")
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				writeError(w, http.StatusBadRequest, "no file part in the form")
				return
			}
			if part.FileName() != "" {
				body, size = part, -1
				if name == "" {
					name = part.FileName()
				}
				break
			}
		}
	}
	if size > s.o.MaxUploadSize {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over the %d byte cap", size, s.o.MaxUploadSize))
		return
	}
	gr, code, err := s.grant(p, GrantRequest{Name: name, Size: max(size, 0), CaseRef: r.URL.Query().Get("case_ref")})
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	if _, err := s.grants.claim(gr.ID, p.Tenant); err != nil {
		s.internal(w, r, err)
		return
	}
	s.streamBody(w, r, p, gr, http.MaxBytesReader(w, io.NopCloser(body), gr.MaxSize), size)
}

// putUploadBody streams the body into the payload bucket. The declared
// length is checked against the grant before a byte of the body is read.
func (s *Server) putUploadBody(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("id")
	gr, ok := s.grants.get(id, p.Tenant)
	if !ok {
		notFound(w)
		return
	}
	if r.ContentLength > gr.MaxSize {
		w.Header().Set("Connection", "close") // do not drain a body we refuse
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over this grant's %d bytes", r.ContentLength, gr.MaxSize))
		return
	}
	gr, err := s.grants.claim(id, p.Tenant)
	switch {
	case errors.Is(err, triage.ErrNotFound):
		notFound(w)
		return
	case errors.Is(err, errGrantExpired):
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusGone, err.Error())
		return
	case errors.Is(err, errGrantUsed):
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	s.streamBody(w, r, p, gr, http.MaxBytesReader(w, r.Body, gr.MaxSize), r.ContentLength)
}

// streamBody runs the intake on a claimed grant and answers.
func (s *Server) streamBody(w http.ResponseWriter, r *http.Request, p Principal, gr Grant, body io.Reader, size int64) {
	id := gr.ID
	rec, err := s.intake(r.Context(), r, p, gr, body, size)
	if err != nil {
		s.grants.release(id)
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, worker.ErrTooLarge) || errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, "upload exceeds the size cap")
		case errors.Is(err, errAudit):
			s.internal(w, r, err)
		default:
			s.o.Log.Warn("portal: upload failed", "grant", id, "err", err)
			writeError(w, http.StatusBadRequest, "upload failed: the body was incomplete or could not be stored")
		}
		return
	}
	s.grants.done(id, rec.Event.UploadID)
	writeJSON(w, http.StatusAccepted, UploadStatus{ID: gr.ID, UploadID: rec.Event.UploadID, Name: rec.Event.Name,
		Size: rec.Event.Size, SHA256: rec.Event.SHA256, Status: triage.StatusPending, Duplicate: rec.Duplicate})
}

// intake is the same intake `submit` does, from a stream: payload bucket,
// pending status, upload event.
func (s *Server) intake(ctx context.Context, r *http.Request, p Principal, gr Grant, body io.Reader, size int64) (worker.Receipt, error) {
	return worker.SubmitStream(ctx, s.o.JS, worker.StreamSubmission{
		Tenant: gr.Tenant, Name: gr.Name, CaseRef: gr.CaseRef, Object: gr.ID, Size: size, Content: body, MaxSize: gr.MaxSize,
		BeforePublish: func(ctx context.Context, ev worker.UploadEvent) error {
			if err := s.record(r, p, gr.Tenant, audit.ActionUploadReceived, "upload/"+ev.UploadID, audit.Success,
				map[string]string{"name": ev.Name, "size": fmt.Sprint(ev.Size), "sha256": ev.SHA256}); err != nil {
				return auditErr(err)
			}
			if st, err := s.o.Store.GetStatus(ctx, gr.Tenant, ev.UploadID); err == nil && st.Status != triage.StatusPending {
				return nil // a resubmission of a processed upload keeps its status
			}
			return s.o.Store.SetStatus(ctx, triage.UploadStatus{Tenant: gr.Tenant, UploadID: ev.UploadID,
				Status: triage.StatusPending, UpdatedAt: s.o.Now().UTC()})
		},
	})
}

// UploadStatus is an upload as its uploader (or security) sees it.
type UploadStatus struct {
	ID        string        `json:"id"` // the grant id, or the upload id when asked by it
	UploadID  string        `json:"upload_id,omitempty"`
	Tenant    string        `json:"tenant,omitempty"`
	Name      string        `json:"name,omitempty"`
	Size      int64         `json:"size,omitempty"`
	SHA256    string        `json:"sha256,omitempty"`
	Status    triage.Status `json:"status"`
	Reason    string        `json:"reason,omitempty"`
	CaseID    string        `json:"case_id,omitempty"`
	Duplicate bool          `json:"duplicate,omitempty"`
	UpdatedAt time.Time     `json:"updated_at,omitzero"`
	// DeleteAfter is when retention deletes the raw upload.
	DeleteAfter time.Time `json:"delete_after,omitzero"`
}

// GET /api/v1/uploads/{id}: by grant id or upload id. A customer sees its
// tenant's uploads; security any tenant's, given ?tenant=.
func (s *Server) getUpload(w http.ResponseWriter, r *http.Request, p Principal) {
	tenant := p.Tenant
	if p.Role == RoleSecurity {
		tenant = r.FormValue("tenant")
	}
	st, ok, err := s.uploadStatus(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok || (p.Role == RoleSecurity && st.Status != triage.StatusQuarantined && st.Status != triage.StatusFailed) {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) uploadStatus(ctx context.Context, tenant, id string) (UploadStatus, bool, error) {
	if tenant == "" {
		return UploadStatus{}, false, nil
	}
	out := UploadStatus{ID: id, UploadID: id, Tenant: tenant}
	if gr, ok := s.grants.get(id, tenant); ok {
		out.Name, out.Status = gr.Name, triage.StatusPending
		if gr.UploadID == "" {
			out.Status, out.UploadID, out.Reason = "awaiting_body", "", "the grant has not been used yet"
			return out, true, nil
		}
		out.UploadID = gr.UploadID
	}
	st, err := s.o.Store.GetStatus(ctx, tenant, out.UploadID)
	if errors.Is(err, triage.ErrNotFound) {
		return out, out.Name != "", nil
	}
	if err != nil {
		return out, false, err
	}
	out.Status, out.Reason, out.CaseID, out.UpdatedAt, out.DeleteAfter = st.Status, st.Reason, st.CaseID, st.UpdatedAt, st.DeleteAfter
	return out, true, nil
}
