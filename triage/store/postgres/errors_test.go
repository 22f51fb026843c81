package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/logtriage/logtriage/triage"
)

func TestClassify(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: "m"}) }
	tests := []struct {
		name string
		err  error
		want triage.ErrorKind
	}{
		{"serialization failure", pg("40001"), triage.KindTransient},
		{"deadlock", pg("40P01"), triage.KindTransient},
		{"admin shutdown", pg("57P01"), triage.KindTransient},
		{"cannot connect now", pg("57P03"), triage.KindTransient},
		{"connection failure", pg("08006"), triage.KindTransient},
		{"too many connections", pg("53300"), triage.KindTransient},
		{"bad vector dimension", pg("22000"), triage.KindInvalid},
		{"NUL in text", pg("22021"), triage.KindInvalid},
		{"unique violation", pg("23505"), triage.KindInvalid},
		{"syntax error: a bug", pg("42601"), triage.KindInternal},
		{"undefined table: a bug", pg("42P01"), triage.KindInternal},
		{"connection dropped", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), triage.KindTransient},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), triage.KindTransient},
		{"already kinded", triage.Invalidf("store", "x"), triage.KindInvalid},
		{"unknown", errors.New("something else"), triage.KindInternal},
	}
	for _, tc := range tests {
		if got := triage.KindOf(classify("store", tc.err)); got != tc.want {
			t.Errorf("%s: kind %v, want %v", tc.name, got, tc.want)
		}
	}
	if classify("store", nil) != nil {
		t.Error("classify(nil) != nil")
	}
	if err := classify("store", triage.ErrNotFound); err != triage.ErrNotFound {
		t.Errorf("ErrNotFound became %v", err)
	}
	if err := classify("store", context.Canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled context lost its cause: %v", err)
	}
}
