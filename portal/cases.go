package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

// CustomerCase is what a customer sees of a case: its state and summary, not
// the support team's working material (routing, findings, key lines).
type CustomerCase struct {
	ID        string        `json:"id"`
	CaseRef   string        `json:"case_ref,omitempty"`
	Upload    string        `json:"upload"`
	UploadID  string        `json:"upload_id"`
	Status    triage.Status `json:"status"`
	Severity  string        `json:"severity"`
	Category  string        `json:"category"`
	Summary   string        `json:"summary"`
	State     string        `json:"state"` // open | taken | resolved
	CreatedAt time.Time     `json:"created_at"`
	// DeleteAfter is when retention deletes the case.
	DeleteAfter time.Time `json:"delete_after,omitzero"`
}

// StaffCase is a case with its workflow, for agents and security.
type StaffCase struct {
	*triage.Case
	Work triage.CaseWork `json:"work"`
	// State is open, taken or resolved.
	State string `json:"state"`
	// SLADue is when the first response is due, by priority.
	SLADue time.Time `json:"sla_due,omitzero"`
}

func customerView(c *triage.Case, w triage.CaseWork) CustomerCase {
	return CustomerCase{ID: c.ID, CaseRef: c.CaseRef, Upload: c.Upload.Name, UploadID: c.Upload.ID, Status: c.Status,
		Severity: c.Severity.Label, Category: c.Category, Summary: c.Summary, State: w.State(), CreatedAt: c.CreatedAt,
		DeleteAfter: c.DeleteAfter}
}

func (s *Server) staffView(c *triage.Case, w triage.CaseWork) StaffCase {
	v := StaffCase{Case: c, Work: w, State: w.State()}
	if d, ok := s.o.SLA[c.Priority]; ok {
		v.SLADue = c.CreatedAt.Add(d)
	}
	return v
}

// CaseQuery is a case list request.
type CaseQuery struct {
	Queue, Tenant, Status string // Status: open | taken | resolved
	Offset, Limit         int
}

const (
	defaultPage = 50
	maxPage     = 200
	maxOffset   = 10_000
)

func parseCaseQuery(r *http.Request) (CaseQuery, error) {
	q := CaseQuery{Queue: r.FormValue("queue"), Tenant: r.FormValue("tenant"), Status: r.FormValue("status"), Limit: defaultPage}
	var err error
	if v := r.FormValue("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > maxPage {
			return q, errors.New("limit must be 1 to 200")
		}
	}
	if v := r.FormValue("offset"); v != "" {
		if q.Offset, err = strconv.Atoi(v); err != nil || q.Offset < 0 || q.Offset > maxOffset {
			return q, errors.New("offset must be 0 to 10000")
		}
	}
	switch q.Status {
	case "", triage.WorkOpen, triage.WorkTaken, triage.WorkResolved:
	default:
		return q, errors.New("status must be open, taken or resolved")
	}
	return q, nil
}

// caseRow is one listed case with its workflow.
type caseRow struct {
	c *triage.Case
	w triage.CaseWork
}

// candidate is a case that may be on the page: its ref and workflow, and
// its body when the listing had to read it already.
type candidate struct {
	ref triage.CaseRef
	w   triage.CaseWork
	c   *triage.Case
}

// scopedCases lists the cases p may see that match q, newest first, one
// page, plus whether there is a next page. The scope is applied in the
// store filter (tenant, queue) and again per case by canSeeCase. Cases are
// listed by reference where the store can, so only the page is decoded.
func (s *Server) scopedCases(ctx context.Context, p Principal, q CaseQuery) ([]caseRow, bool, error) {
	type scope struct {
		filter triage.CaseFilter
		work   triage.CaseWorkFilter
	}
	var scopes []scope
	switch p.Role {
	case RoleCustomer:
		scopes = []scope{{triage.CaseFilter{Tenant: p.Tenant, Queue: q.Queue}, triage.CaseWorkFilter{Tenant: p.Tenant, Queue: q.Queue}}}
	case RoleAgent:
		for _, queue := range p.Queues {
			if q.Queue != "" && q.Queue != queue {
				continue
			}
			f := triage.CaseFilter{Tenant: q.Tenant, AllTenants: q.Tenant == "", Queue: queue}
			scopes = append(scopes, scope{f, triage.CaseWorkFilter{Tenant: f.Tenant, AllTenants: f.AllTenants, Queue: queue}})
		}
	case RoleSecurity:
		f := triage.CaseFilter{Tenant: q.Tenant, AllTenants: q.Tenant == "", Queue: q.Queue}
		scopes = []scope{{f, triage.CaseWorkFilter{Tenant: f.Tenant, AllTenants: f.AllTenants, Queue: q.Queue}}}
	default:
		return nil, false, nil
	}
	// Security's scope (alerted cases) is in the body, so it lists bodies.
	lister, byRef := s.o.Store.(triage.CaseLister)
	byRef = byRef && p.Role != RoleSecurity
	need := q.Offset + q.Limit + 1
	var cands []candidate
	for _, sc := range scopes {
		work, err := s.work.ListCaseWork(ctx, sc.work)
		if err != nil {
			return nil, false, err
		}
		byID := make(map[string]triage.CaseWork, len(work))
		for _, w := range work {
			byID[w.Tenant+"\x00"+w.CaseID] = w
		}
		if q.Status == triage.WorkTaken || q.Status == triage.WorkResolved {
			// Few cases are in work at once: fetch exactly those.
			for _, w := range work {
				if w.State() != q.Status {
					continue
				}
				c, err := s.o.Store.GetCase(ctx, w.Tenant, w.CaseID)
				if errors.Is(err, triage.ErrNotFound) {
					continue
				}
				if err != nil {
					return nil, false, err
				}
				if p.canSeeCase(c) {
					cands = append(cands, candidate{triage.CaseRef{ID: c.ID, Tenant: c.Tenant, Queue: c.Queue, CreatedAt: c.CreatedAt}, w, c})
				}
			}
			continue
		}
		// Open or all, newest first: widen the fetch while filtered-out cases
		// (in work, or not alerted for security) leave the page short.
		limit := need + len(work)
		for {
			sc.filter.Limit = limit
			var got []candidate
			var n int
			if byRef {
				refs, err := lister.ListCaseRefs(ctx, sc.filter)
				if err != nil {
					return nil, false, err
				}
				n = len(refs)
				for _, r := range refs {
					got = append(got, candidate{ref: r, w: byID[r.Tenant+"\x00"+r.ID]})
				}
			} else {
				cs, err := s.o.Store.ListCases(ctx, sc.filter)
				if err != nil {
					return nil, false, err
				}
				n = len(cs)
				for _, c := range cs {
					if p.canSeeCase(c) {
						got = append(got, candidate{triage.CaseRef{ID: c.ID, Tenant: c.Tenant, Queue: c.Queue, CreatedAt: c.CreatedAt},
							byID[c.Tenant+"\x00"+c.ID], c})
					}
				}
			}
			kept := got[:0]
			for _, g := range got {
				if q.Status != triage.WorkOpen || g.w.State() == triage.WorkOpen {
					kept = append(kept, g)
				}
			}
			if len(kept) >= need || n < limit || limit >= 4*maxOffset {
				cands = append(cands, kept...)
				break
			}
			limit *= 4
		}
	}
	// One listing is in order already; several (queues) or work records merge.
	if len(scopes) > 1 || q.Status == triage.WorkTaken || q.Status == triage.WorkResolved {
		slices.SortStableFunc(cands, func(a, b candidate) int {
			if c := b.ref.CreatedAt.Compare(a.ref.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ref.ID, b.ref.ID)
		})
	}
	if q.Offset >= len(cands) {
		return nil, false, nil
	}
	cands = cands[q.Offset:]
	more := len(cands) > q.Limit
	if more {
		cands = cands[:q.Limit]
	}
	rows := make([]caseRow, 0, len(cands))
	for _, cd := range cands {
		c := cd.c
		if c == nil {
			var err error
			if c, err = s.o.Store.GetCase(ctx, cd.ref.Tenant, cd.ref.ID); errors.Is(err, triage.ErrNotFound) {
				continue // purged since it was listed
			} else if err != nil {
				return nil, false, err
			}
		}
		if p.canSeeCase(c) {
			rows = append(rows, caseRow{c, cd.w})
		}
	}
	return rows, more, nil
}

// recordList writes one case.listed event per tenant on the page.
func (s *Server) recordList(r *http.Request, p Principal, rows []caseRow) error {
	byTenant := map[string]int{}
	for _, row := range rows {
		byTenant[row.c.Tenant]++
	}
	tenants := make([]string, 0, len(byTenant))
	for t := range byTenant {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	for _, t := range tenants {
		if err := s.record(r, p, t, audit.ActionCaseListed, "cases", audit.Success,
			map[string]string{"count": strconv.Itoa(byTenant[t])}); err != nil {
			return auditErr(err)
		}
	}
	return nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, p Principal) {
	q, err := parseCaseQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if p.Role == RoleCustomer && q.Tenant != "" && q.Tenant != p.Tenant {
		writeJSON(w, http.StatusOK, map[string]any{"cases": []CustomerCase{}})
		return
	}
	rows, more, err := s.scopedCases(r.Context(), p, q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.recordList(r, p, rows); err != nil {
		s.internal(w, r, err)
		return
	}
	out := map[string]any{}
	if more {
		out["next_offset"] = q.Offset + q.Limit
	}
	if p.Role == RoleCustomer {
		cs := make([]CustomerCase, 0, len(rows))
		for _, row := range rows {
			cs = append(cs, customerView(row.c, row.w))
		}
		out["cases"] = cs
	} else {
		cs := make([]StaffCase, 0, len(rows))
		for _, row := range rows {
			cs = append(cs, s.staffView(row.c, row.w))
		}
		out["cases"] = cs
	}
	writeJSON(w, http.StatusOK, out)
}

// loadCase finds a case p may see, or ErrNotFound. A customer's lookup is
// confined to its tenant before the store is asked; staff locate the case's
// tenant first, then the scope check decides.
func (s *Server) loadCase(ctx context.Context, p Principal, id string) (*triage.Case, triage.CaseWork, error) {
	var tenant string
	switch p.Role {
	case RoleCustomer:
		tenant = p.Tenant
	case RoleAgent, RoleSecurity:
		t, err := s.work.LocateCase(ctx, id)
		if err != nil {
			return nil, triage.CaseWork{}, err
		}
		tenant = t
	default:
		return nil, triage.CaseWork{}, triage.ErrNotFound
	}
	if tenant == "" {
		return nil, triage.CaseWork{}, triage.ErrNotFound
	}
	c, err := s.o.Store.GetCase(ctx, tenant, id)
	if err != nil {
		return nil, triage.CaseWork{}, err
	}
	if !p.canSeeCase(c) {
		return nil, triage.CaseWork{}, triage.ErrNotFound
	}
	w, err := s.work.GetCaseWork(ctx, c.Tenant, c.ID)
	if err != nil && !errors.Is(err, triage.ErrNotFound) {
		return nil, triage.CaseWork{}, err
	}
	return c, w, nil
}

// caseOr404 loads the case and records the access; false means it answered.
func (s *Server) caseOr404(w http.ResponseWriter, r *http.Request, p Principal, action string) (*triage.Case, triage.CaseWork, bool) {
	c, work, err := s.loadCase(r.Context(), p, r.PathValue("id"))
	if errors.Is(err, triage.ErrNotFound) {
		notFound(w)
		return nil, work, false
	}
	if err != nil {
		s.internal(w, r, err)
		return nil, work, false
	}
	if action != "" {
		if err := s.record(r, p, c.Tenant, action, "case/"+c.ID, audit.Success, nil); err != nil {
			s.internal(w, r, auditErr(err))
			return nil, work, false
		}
	}
	return c, work, true
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, p Principal) {
	c, work, ok := s.caseOr404(w, r, p, audit.ActionCaseViewed)
	if !ok {
		return
	}
	if p.Role == RoleCustomer {
		writeJSON(w, http.StatusOK, customerView(c, work))
		return
	}
	writeJSON(w, http.StatusOK, s.staffView(c, work))
}

// similarTo returns the similar cases of c that p may see: the case's own
// stored list, filtered by scope (a similar case in another queue is not shown).
func (s *Server) similarTo(ctx context.Context, p Principal, c *triage.Case) []triage.SimilarCase {
	out := []triage.SimilarCase{}
	for _, sc := range c.Similar {
		if sc.Queue != "" && p.Role == RoleAgent && !slices.Contains(p.Queues, sc.Queue) {
			continue
		}
		if _, _, err := s.loadCase(ctx, p, sc.CaseID); err != nil {
			continue
		}
		out = append(out, sc)
	}
	return out
}

func (s *Server) similarCases(w http.ResponseWriter, r *http.Request, p Principal) {
	c, _, ok := s.caseOr404(w, r, p, audit.ActionSearch)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"case_id": c.ID, "similar": s.similarTo(r.Context(), p, c)})
}

func (s *Server) takeCase(w http.ResponseWriter, r *http.Request, p Principal) {
	c, _, ok := s.caseOr404(w, r, p, "")
	if !ok {
		return
	}
	if !p.canWorkCase(c) {
		notFound(w)
		return
	}
	work, err := s.work.TakeCase(r.Context(), triage.CaseWork{Tenant: c.Tenant, CaseID: c.ID, Queue: c.Queue,
		TakenBy: p.Name, TakenAt: s.o.Now().UTC()})
	if errors.Is(err, triage.ErrTaken) {
		writeJSON(w, http.StatusConflict, map[string]any{"error": "taken by another agent", "work": work})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.record(r, p, c.Tenant, audit.ActionCaseTaken, "case/"+c.ID, audit.Success, nil); err != nil {
		s.internal(w, r, auditErr(err))
		return
	}
	writeJSON(w, http.StatusOK, s.staffView(c, work))
}

// ResolveRequest is an agent's resolution: empty labels confirm the
// classifier's answer, others correct it.
type ResolveRequest struct {
	Severity string `json:"severity,omitempty"`
	Category string `json:"category,omitempty"`
	Queue    string `json:"queue,omitempty"`
	Note     string `json:"note,omitempty"`
}

var severities = []string{"critical", "high", "medium", "low", "info"}

func (rr ResolveRequest) validate() error {
	if rr.Severity != "" && !slices.Contains(severities, rr.Severity) {
		return errors.New("severity must be critical, high, medium, low or info")
	}
	if len(rr.Note) > 4000 || len(rr.Category) > 64 || len(rr.Queue) > 64 {
		return errors.New("note (4000), category and queue (64) are too long")
	}
	return nil
}

func (s *Server) resolveCase(w http.ResponseWriter, r *http.Request, p Principal) {
	var rr ResolveRequest
	if err := decodeBody(r, &rr); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.resolve(w, r, p, rr, func(c *triage.Case, work triage.CaseWork) {
		writeJSON(w, http.StatusOK, s.staffView(c, work))
	})
}

// resolve is shared by the API and the console form.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request, p Principal, rr ResolveRequest, done func(*triage.Case, triage.CaseWork)) {
	if err := rr.validate(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, work, ok := s.caseOr404(w, r, p, "")
	if !ok {
		return
	}
	if !p.canWorkCase(c) {
		notFound(w)
		return
	}
	now := s.o.Now().UTC()
	resolution := triage.Resolution{Tenant: c.Tenant, CaseID: c.ID, Agent: p.Name,
		Severity: rr.Severity, Category: rr.Category, Queue: rr.Queue, Note: rr.Note, ResolvedAt: now}
	if s.o.Router != nil {
		// A correction names a category and queue the routing config knows:
		// it becomes a labelled example and an export.
		if err := triage.ValidateResolution(resolution, s.o.Router); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if work.TakenBy != "" && work.TakenBy != p.Name {
		writeJSON(w, http.StatusConflict, map[string]any{"error": "taken by another agent", "work": work})
		return
	}
	if work.TakenBy == "" { // claim it first, so two agents cannot resolve one case
		taken, err := s.work.TakeCase(r.Context(), triage.CaseWork{Tenant: c.Tenant, CaseID: c.ID, Queue: c.Queue, TakenBy: p.Name, TakenAt: now})
		if errors.Is(err, triage.ErrTaken) {
			writeJSON(w, http.StatusConflict, map[string]any{"error": "taken by another agent", "work": taken})
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		work = taken
	}
	if res, ok := s.o.Store.(triage.Resolver); ok {
		err := res.Resolve(r.Context(), resolution)
		if err != nil {
			s.internal(w, r, err)
			return
		}
	}
	work.ResolvedBy, work.ResolvedAt = p.Name, now
	if err := s.work.PutCaseWork(r.Context(), work); err != nil {
		s.internal(w, r, err)
		return
	}
	detail := map[string]string{}
	for k, v := range map[string]string{"severity": rr.Severity, "category": rr.Category, "queue": rr.Queue} {
		if v != "" {
			detail["corrected_"+k] = v
		}
	}
	if err := s.record(r, p, c.Tenant, audit.ActionCaseResolved, "case/"+c.ID, audit.Success, detail); err != nil {
		s.internal(w, r, auditErr(err))
		return
	}
	done(c, work)
}

// Alert is the security team's view of a case that raised a PII alert.
type Alert struct {
	CaseID   string                  `json:"case_id"`
	Tenant   string                  `json:"tenant"`
	Upload   triage.Upload           `json:"upload"`
	Risk     triage.Score            `json:"risk"`
	Findings []triage.FindingSummary `json:"findings"`
	Time     time.Time               `json:"time"`
	AckedBy  string                  `json:"acknowledged_by,omitempty"`
	AckedAt  time.Time               `json:"acknowledged_at,omitzero"`
}

func alertOf(c *triage.Case, w triage.CaseWork) Alert {
	return Alert{CaseID: c.ID, Tenant: c.Tenant, Upload: c.Upload, Risk: c.PIIRisk, Findings: c.Findings,
		Time: c.CreatedAt, AckedBy: w.AlertAckedBy, AckedAt: w.AlertAckedAt}
}

func (s *Server) alerts(r *http.Request, p Principal, q CaseQuery) ([]Alert, bool, error) {
	q.Status = ""
	rows, more, err := s.scopedCases(r.Context(), p, q)
	if err != nil {
		return nil, false, err
	}
	byTenant := map[string]int{}
	out := make([]Alert, 0, len(rows))
	for _, row := range rows {
		if !row.c.Alerted {
			continue // a quarantined upload is in security's scope, not an alert
		}
		byTenant[row.c.Tenant]++
		out = append(out, alertOf(row.c, row.w))
	}
	for t, n := range byTenant {
		if err := s.record(r, p, t, audit.ActionAlertViewed, "alerts", audit.Success, map[string]string{"count": strconv.Itoa(n)}); err != nil {
			return nil, false, auditErr(err)
		}
	}
	return out, more, nil
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, p Principal) {
	q, err := parseCaseQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	as, more, err := s.alerts(r, p, q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := map[string]any{"alerts": as}
	if more {
		out["more"] = true
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request, p Principal) {
	c, work, ok := s.caseOr404(w, r, p, "")
	if !ok {
		return
	}
	if work.AlertAckedBy == "" {
		work.Tenant, work.CaseID, work.Queue = c.Tenant, c.ID, c.Queue
		work.AlertAckedBy, work.AlertAckedAt = p.Name, s.o.Now().UTC()
		if err := s.work.PutCaseWork(r.Context(), work); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if err := s.record(r, p, c.Tenant, audit.ActionAlertAcked, "alert/"+c.ID, audit.Success, nil); err != nil {
		s.internal(w, r, auditErr(err))
		return
	}
	writeJSON(w, http.StatusOK, alertOf(c, work))
}

// CommentRequest is an agent's note on a case.
type CommentRequest struct {
	Text string `json:"text"`
}

const maxCommentLen = 4000

// comment is shared by the API and the console form.
func (s *Server) comment(w http.ResponseWriter, r *http.Request, p Principal, text string, done func(*triage.Case, triage.CaseWork)) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > maxCommentLen {
		writeError(w, http.StatusBadRequest, "a comment is 1 to 4000 characters")
		return
	}
	c, _, ok := s.caseOr404(w, r, p, "")
	if !ok {
		return
	}
	if !p.canWorkCase(c) {
		notFound(w)
		return
	}
	work, err := s.work.AddComment(r.Context(), c.Tenant, c.ID, c.Queue, triage.Comment{By: p.Name, At: s.o.Now().UTC(), Text: text})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.record(r, p, c.Tenant, audit.ActionCaseCommented, "case/"+c.ID, audit.Success, nil); err != nil {
		s.internal(w, r, auditErr(err))
		return
	}
	done(c, work)
}

// POST /api/v1/cases/{id}/comments
func (s *Server) commentCase(w http.ResponseWriter, r *http.Request, p Principal) {
	var cr CommentRequest
	if err := decodeBody(r, &cr); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.comment(w, r, p, cr.Text, func(c *triage.Case, work triage.CaseWork) {
		writeJSON(w, http.StatusOK, s.staffView(c, work))
	})
}
