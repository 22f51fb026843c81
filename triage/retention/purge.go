package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

// Payloads holds the raw uploads: the upload messages and payload objects in
// JetStream (triage/worker.Payloads implements it).
type Payloads interface {
	// UploadTenants lists the tenants with raw uploads held.
	UploadTenants(ctx context.Context) ([]string, error)
	// ExpireUploads visits the tenant's raw uploads received before before,
	// oldest first, and removes each one due says is due (nothing with
	// dryRun). It returns the upload ids removed, or due, in a dry run.
	ExpireUploads(ctx context.Context, tenant string, before time.Time, due func(uploadID string, received time.Time) bool, dryRun bool) ([]string, error)
	// DeleteTenantUploads removes every raw upload of the tenant.
	DeleteTenantUploads(ctx context.Context, tenant string) (int, error)
}

// AuditExpirer is implemented by audit stores that drop events past the
// audit window; the purger calls it on its Recorder when it can.
type AuditExpirer interface {
	ExpireAudit(ctx context.Context, tenant string, cutoff time.Time, dryRun bool) (int, error)
}

// Options configure a Purger. Store is required and must implement triage.Expirer.
type Options struct {
	Policy Policy
	Store  triage.Store
	// Payloads is nil where this process cannot reach the raw uploads; the
	// streams' MaxAge still removes them.
	Payloads Payloads
	// Recorder gets one retention.purged event per tenant a purge removed
	// something of; nil records nothing (the caller has no audit trail).
	Recorder audit.Recorder
	Actor    audit.Actor      // default the service "logtriage-purge"
	Now      func() time.Time // default time.Now
}

// Purger removes tenant data past its retention window.
type Purger struct {
	o   Options
	exp triage.Expirer
}

// New checks the options.
func New(o Options) (*Purger, error) {
	exp, ok := o.Store.(triage.Expirer)
	if !ok {
		return nil, fmt.Errorf("retention: the store (%T) cannot expire data", o.Store)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Actor.Name == "" {
		o.Actor = audit.Actor{Kind: audit.ActorService, Name: "logtriage-purge"}
	}
	if o.Policy.Default == (Windows{}) {
		o.Policy.Default = Defaults
	}
	return &Purger{o: o, exp: exp}, nil
}

// TenantReport is what one purge removed of one tenant.
type TenantReport struct {
	Tenant      string               `json:"tenant"`
	RawUploads  []string             `json:"raw_uploads,omitempty"`
	Cases       []triage.ExpiredCase `json:"cases,omitempty"`
	Statuses    int                  `json:"statuses"`
	AuditEvents int                  `json:"audit_events"`
}

func (r TenantReport) empty() bool {
	return len(r.RawUploads) == 0 && len(r.Cases) == 0 && r.Statuses == 0 && r.AuditEvents == 0
}

// Report is one purge.
type Report struct {
	DryRun  bool           `json:"dry_run"`
	At      time.Time      `json:"at"`
	Tenants []TenantReport `json:"tenants"`
	// History is how many anomaly-history summaries (every tenant's) went
	// with the default cases window; not counted in a dry run.
	History int `json:"history"`
}

// Totals sums the report over its tenants.
func (r Report) Totals() (raw, cases, statuses, auditEvents int) {
	for _, t := range r.Tenants {
		raw += len(t.RawUploads)
		cases += len(t.Cases)
		statuses += t.Statuses
		auditEvents += t.AuditEvents
	}
	return
}

// incompleteStatuses are the uploads whose processing did not end in a case.
var incompleteStatuses = []triage.Status{triage.StatusPending, triage.StatusProcessing, triage.StatusFailed}

// Purge removes what is past its window (with dryRun, only reports it).
// Tenants are purged one at a time; an error stops the purge and returns
// what was done so far.
func (p *Purger) Purge(ctx context.Context, dryRun bool) (Report, error) {
	now := p.o.Now().UTC()
	rep := Report{DryRun: dryRun, At: now, Tenants: []TenantReport{}}
	tenants, err := p.exp.Tenants(ctx)
	if err != nil {
		return rep, err
	}
	if p.o.Payloads != nil {
		more, err := p.o.Payloads.UploadTenants(ctx)
		if err != nil {
			return rep, err
		}
		tenants = append(tenants, more...)
	}
	slices.Sort(tenants)
	for _, t := range slices.Compact(tenants) {
		tr, err := p.purgeTenant(ctx, t, now, dryRun)
		if !tr.empty() {
			rep.Tenants = append(rep.Tenants, tr)
		}
		if err != nil {
			return rep, fmt.Errorf("purge tenant %s: %w", t, err)
		}
	}
	// The anomaly history (summaries of uploads: template counts, keyed
	// fingerprints) is kept per upload across tenants: it goes with the
	// default cases window.
	if hs, ok := p.o.Store.(triage.HistoryStore); ok && !dryRun {
		if rep.History, err = hs.PurgeHistory(ctx, now.Add(-p.o.Policy.For("").Cases.D())); err != nil {
			return rep, fmt.Errorf("purge history: %w", err)
		}
	}
	return rep, nil
}

func (p *Purger) purgeTenant(ctx context.Context, tenant string, now time.Time, dryRun bool) (TenantReport, error) {
	w := p.o.Policy.For(tenant)
	tr := TenantReport{Tenant: tenant}
	var err error
	if p.o.Payloads != nil {
		// Every raw upload older than the shortest window is looked at; its
		// status picks which window applies.
		before := now.Add(-min(w.Raw, w.Quarantined, w.Incomplete).D())
		due := func(uploadID string, received time.Time) bool {
			var st triage.Status
			if s, err := p.o.Store.GetStatus(ctx, tenant, uploadID); err == nil {
				st = s.Status
			}
			return received.Before(now.Add(-w.RawWindow(st)))
		}
		if tr.RawUploads, err = p.o.Payloads.ExpireUploads(ctx, tenant, before, due, dryRun); err != nil {
			return tr, err
		}
	}
	if tr.Cases, err = p.exp.ExpireCases(ctx, tenant, now.Add(-w.Cases.D()), dryRun); err != nil {
		return tr, err
	}
	sts, err := p.exp.ExpireStatuses(ctx, tenant, incompleteStatuses, now.Add(-w.Incomplete.D()), dryRun)
	if err != nil {
		return tr, err
	}
	tr.Statuses = len(sts)
	if tr.AuditEvents, err = p.exp.ExpireAudit(ctx, tenant, now.Add(-w.Audit.D()), dryRun); err != nil {
		return tr, err
	}
	if ae, ok := p.o.Recorder.(AuditExpirer); ok {
		n, err := ae.ExpireAudit(ctx, tenant, now.Add(-w.Audit.D()), dryRun)
		if err != nil {
			return tr, err
		}
		tr.AuditEvents += n
	}
	if dryRun || tr.empty() {
		return tr, nil
	}
	return tr, p.record(ctx, audit.Event{
		Time: now, Tenant: tenant, Actor: p.o.Actor, Action: audit.ActionPurge,
		Resource: "tenant/" + tenant, Outcome: audit.Success, Reason: "retention window passed",
		Detail: map[string]string{
			"raw_uploads": strconv.Itoa(len(tr.RawUploads)), "cases": strconv.Itoa(len(tr.Cases)),
			"statuses": strconv.Itoa(tr.Statuses), "audit_events": strconv.Itoa(tr.AuditEvents),
			"window_raw": w.Raw.String(), "window_quarantined": w.Quarantined.String(),
			"window_incomplete": w.Incomplete.String(), "window_cases": w.Cases.String(), "window_audit": w.Audit.String(),
		},
	})
}

func (p *Purger) record(ctx context.Context, e audit.Event) error {
	if p.o.Recorder == nil {
		return nil
	}
	if _, err := p.o.Recorder.Record(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Shredder destroys a tenant's data key (internal/keyring.Keyring).
type Shredder interface {
	Destroy(ctx context.Context, tenant string) error
}

// Deletion is what deleting a tenant removed.
type Deletion struct {
	Tenant     string `json:"tenant"`
	KeyShred   bool   `json:"data_key_destroyed"`
	Cases      int    `json:"cases"`
	RawUploads int    `json:"raw_uploads"`
}

// DeleteTenant removes a tenant: first its data key (from then on every copy
// of its sealed data, backups included, is unreadable), then its raw
// uploads and its rows. It records a tenant.deleted event.
func (p *Purger) DeleteTenant(ctx context.Context, keys Shredder, tenant string) (Deletion, error) {
	d := Deletion{Tenant: tenant}
	if tenant == "" {
		return d, errors.New("retention: a tenant is required")
	}
	if keys != nil {
		if err := keys.Destroy(ctx, tenant); err != nil {
			return d, fmt.Errorf("destroy data key: %w", err)
		}
		d.KeyShred = true
	}
	var err error
	if p.o.Payloads != nil {
		if d.RawUploads, err = p.o.Payloads.DeleteTenantUploads(ctx, tenant); err != nil {
			return d, err
		}
	}
	if d.Cases, err = p.exp.DeleteTenant(ctx, tenant); err != nil {
		return d, err
	}
	if hs, ok := p.o.Store.(triage.HistoryStore); ok {
		if err := hs.DeleteHistory(ctx, tenant); err != nil {
			return d, fmt.Errorf("delete anomaly history: %w", err)
		}
	}
	return d, p.record(ctx, audit.Event{
		Time: p.o.Now().UTC(), Tenant: tenant, Actor: p.o.Actor, Action: audit.ActionTenantDeleted,
		Resource: "tenant/" + tenant, Outcome: audit.Success,
		Detail: map[string]string{"cases": strconv.Itoa(d.Cases), "raw_uploads": strconv.Itoa(d.RawUploads),
			"data_key_destroyed": strconv.FormatBool(d.KeyShred)},
	})
}
