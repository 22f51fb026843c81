// Package storetest is the conformance suite every triage.Store runs: the
// embedded store and the PostgreSQL store must behave the same from the
// pipeline's point of view, tenant isolation above all.
//
// A store package calls it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) triage.Store { return openFresh(t) })
//	}
//
// Each subtest asks for a fresh, empty store and closes it (Cleanup is the
// factory's job too, if it needs more than Close). A factory that can open a
// store again over the same persistent state implements Reopener and gets the
// durability subtest as well (RunFactory).
package storetest

import (
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// Factory makes a fresh, empty store for one subtest.
type Factory interface {
	New(t *testing.T) triage.Store
}

// FactoryFunc adapts a function to Factory.
type FactoryFunc func(t *testing.T) triage.Store

// New calls f.
func (f FactoryFunc) New(t *testing.T) triage.Store { return f(t) }

// Reopener is a Factory whose stores persist: Reopen returns a store over the
// same state as s, which the suite has already closed.
type Reopener interface {
	Factory
	Reopen(t *testing.T, s triage.Store) triage.Store
}

// Run runs the suite against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) triage.Store) {
	t.Helper()
	RunFactory(t, FactoryFunc(newStore))
}

// RunFactory runs the suite; the durability subtest runs when f is a Reopener.
func RunFactory(t *testing.T, f Factory) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, f Factory)
	}{
		{"PutGetRoundTrip", testRoundTrip},
		{"PutCaseIdempotent", testIdempotent},
		{"PutCaseRejectsIncomplete", testRejectsIncomplete},
		{"PutCaseOtherTenantsID", testOtherTenantsID},
		{"TenantIsolation", testTenantIsolation},
		{"ListCasesFilters", testListFilters},
		{"Statuses", testStatuses},
		{"SimilarOrdering", testSimilarOrdering},
		{"SimilarKAndThreshold", testSimilarKAndThreshold},
		{"SimilarExcludesSelf", testSimilarExclude},
		{"SimilarEmbedderSpaces", testSimilarSpaces},
		{"SimilarDimensionMismatch", testSimilarDimensionMismatch},
		{"SimilarTenants", testSimilarTenants},
		{"EmbeddingReplacedOnPut", testEmbeddingReplaced},
		{"NilEmbedding", testNilEmbedding},
		{"ConcurrentPutCase", testConcurrentPut},
		{"ContextCanceled", testContextCanceled},
		{"Expirer", testExpirer},
		{"Reembed", testReembed},
		{"Resolve", testResolve},
		{"ConfirmedNeighbours", testConfirmedNeighbours},
		{"Examples", testExamples},
		{"ConcurrentResolve", testConcurrentResolve},
		{"History", testHistory},
		{"HistoryDelete", testHistoryDelete},
		{"HistoryConcurrent", testHistoryConcurrent},
		{"HistoryPurge", testHistoryPurge},
	}
	for _, tc := range append(tests, portalTests...) {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, f) })
	}
	t.Run("Durability", func(t *testing.T) {
		r, ok := f.(Reopener)
		if !ok {
			t.Skip("factory does not implement storetest.Reopener")
		}
		testDurability(t, r)
		testResolutionDurable(t, r)
	})
	t.Run("PortalDurability", func(t *testing.T) {
		r, ok := f.(Reopener)
		if !ok {
			t.Skip("factory does not implement storetest.Reopener")
		}
		testPortalDurability(t, r)
	})
	t.Run("HistoryDurability", func(t *testing.T) {
		r, ok := f.(Reopener)
		if !ok {
			t.Skip("factory does not implement storetest.Reopener")
		}
		testHistoryDurable(t, r)
	})
}
