package db_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestUUIDsTravelAsBytes: the pool's connections send and read google/uuid's UUIDs as
// their 16 bytes (not through their text), alone, in arrays and as NULLs.
func TestUUIDsTravelAsBytes(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	conn, err := d.App.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	m := conn.Conn().TypeMap()
	if plan := m.PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, uuid.UUID{}); fmt.Sprintf("%T", plan) != "db.uuidEncodePlan" {
		t.Errorf("a UUID is encoded by %T, want db.uuidEncodePlan", plan)
	}
	if plan := m.PlanScan(pgtype.UUIDOID, pgtype.BinaryFormatCode, &uuid.UUID{}); fmt.Sprintf("%T", plan) != "db.uuidScanPlan" {
		t.Errorf("a UUID is scanned by %T, want db.uuidScanPlan", plan)
	}

	one, many := uuid.New(), []uuid.UUID{uuid.New(), uuid.New()}
	var gotOne uuid.UUID
	var gotMany []uuid.UUID
	var gotNull, gotSome *uuid.UUID
	if err := conn.QueryRow(ctx, "select $1::uuid, $2::uuid[], $3::uuid, $4::uuid", one, many, (*uuid.UUID)(nil), &one).
		Scan(&gotOne, &gotMany, &gotNull, &gotSome); err != nil {
		t.Fatal(err)
	}
	if gotOne != one || !slices.Equal(gotMany, many) || gotNull != nil || gotSome == nil || *gotSome != one {
		t.Fatalf("round trip: %v %v %v %v, want %v %v nil %v", gotOne, gotMany, gotNull, gotSome, one, many, one)
	}
	var text string
	if err := conn.QueryRow(ctx, "select $1::uuid::text", one).Scan(&text); err != nil || text != one.String() {
		t.Fatalf("as PostgreSQL reads it: %q (err %v), want %s", text, err, one)
	}
	if err := conn.QueryRow(ctx, "select null::uuid").Scan(&gotOne); err == nil {
		t.Fatal("NULL scanned into a UUID without an error")
	}
}
