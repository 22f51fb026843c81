package postgres

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/logtriage/logtriage/triage"
)

// classify gives a database error the kind the worker acts on: transient
// (connection trouble, serialization failures, a server shutting down or out
// of resources, a deadline) is retried; data the server refuses is invalid;
// the rest is internal.
func classify(op string, err error) error {
	if err == nil || errors.Is(err, triage.ErrNotFound) {
		return err
	}
	var te *triage.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return triage.Transient(op, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "40001", pgErr.Code == "40P01", // serialization failure, deadlock
			pgErr.Code == "55P03",                                               // lock not available
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, cannot connect now
			classOf(pgErr.Code, "08"), classOf(pgErr.Code, "53"): // connection exception, insufficient resources
			return triage.Transient(op, err)
		case classOf(pgErr.Code, "22"), classOf(pgErr.Code, "23"): // data exception, integrity violation
			return triage.Invalid(op, err)
		}
		return triage.Internal(op, err)
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return triage.Transient(op, err)
	}
	return triage.Internal(op, err)
}

func classOf(code, class string) bool { return len(code) == 5 && code[:2] == class }
