package postgres

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema change, from migrations/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: version %d where %d was expected (versions are 1, 2, 3, ...)", m.Version, i+1)
		}
	}
	return ms, nil
}

// migrate brings schema up to the newest embedded migration in one
// transaction and returns the versions it applied. An advisory lock
// serializes workers starting at the same time; a database migrated by a newer
// binary is refused rather than written with an older idea of the schema.
func migrate(ctx context.Context, conn *pgx.Conn, schema string) ([]int, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "logtriage.migrate."+schema); err != nil {
			return err
		}
		// The extension lives outside the store's schema (usually public), so
		// every schema and every connection finds the vector type.
		if _, err := tx.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
			return fmt.Errorf("create extension vector (is pgvector installed?): %w", err)
		}
		ident := pgx.Identifier{schema}.Sanitize()
		for _, stmt := range []string{
			"CREATE SCHEMA IF NOT EXISTS " + ident,
			// LOCAL: ends with the transaction, so no pooled session keeps it.
			"SET LOCAL search_path TO " + ident + ", public",
			`CREATE TABLE IF NOT EXISTS schema_migrations (
				version    integer PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return err
		}
		if current > len(ms) {
			return fmt.Errorf("schema %s is at version %d, newer than this binary's %d: upgrade logtriage", schema, current, len(ms))
		}
		for _, m := range ms[current:] {
			// Migration files hold several statements: the simple protocol runs them as one.
			if _, err := tx.Conn().PgConn().Exec(ctx, m.SQL).ReadAll(); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// DropSchema removes the schema and everything in it: for tests and for
// tearing down an evaluation's scratch schema. Never the default by accident:
// the name must be given.
func DropSchema(ctx context.Context, url, schema string) error {
	if !validSchema(schema) {
		return fmt.Errorf("drop schema: invalid name %q", schema)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// DumpSchema returns every row of every table of the schema as COPY writes
// it, which is what a backup of the database holds, and the tables' names.
// Tests use it to check that no plaintext value reaches the database.
func DumpSchema(ctx context.Context, url, schema string) (dump []byte, tables []string, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol // PGlite shares one backend: no named statements
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", schema)
	if err != nil {
		return nil, nil, err
	}
	if tables, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	for _, tbl := range tables {
		name := pgx.Identifier{schema, tbl}.Sanitize()
		if _, err := conn.PgConn().CopyTo(ctx, &out, "COPY "+name+" TO STDOUT"); err != nil {
			return nil, nil, fmt.Errorf("copy %s: %w", name, err)
		}
	}
	return out.Bytes(), tables, nil
}
