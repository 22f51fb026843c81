package audittest_test

import (
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audittest"
	"github.com/logtriage/logtriage/triage/store/storetest"
)

// The test store keeps the contract of the real ones.
func TestConformance(t *testing.T) {
	storetest.RunAudit(t, storetest.AuditFactoryFunc(func(*testing.T) audit.Store { return audittest.NewMemStore() }))
}
