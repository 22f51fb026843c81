package embedded

import (
	"testing"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/storetest"
)

// factory opens each store in a fresh directory and reopens it over the same one.
type factory struct{}

func (factory) New(t *testing.T) triage.Store { return open(t, t.TempDir()) }

func (factory) Reopen(t *testing.T, s triage.Store) triage.Store { return open(t, s.(*Store).Dir()) }

func TestConformance(t *testing.T) { storetest.RunFactory(t, factory{}) }
