package embedded

import (
	"testing"

	"github.com/logtriage/logtriage/audit"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/storetest"
)

// factory opens each store in a fresh directory and reopens it over the same one.
type factory struct{}

func (factory) New(t *testing.T) triage.Store { return open(t, t.TempDir()) }

func (factory) Reopen(t *testing.T, s triage.Store) triage.Store { return open(t, s.(*Store).Dir()) }

func TestConformance(t *testing.T) { storetest.RunFactory(t, factory{}) }

func (factory) NewAudit(t *testing.T) audit.Store { return open(t, t.TempDir()) }

func (factory) ReopenAudit(t *testing.T, s audit.Store) audit.Store {
	s.(*Store).Close()
	return open(t, s.(*Store).Dir())
}

func TestAuditConformance(t *testing.T) { storetest.RunAudit(t, factory{}) }
