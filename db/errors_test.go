package db_test

import (
	"errors"
	"testing"

	"github.com/atende/atende/db"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestMapErrorOfACitusWorker maps errors shaped as Citus relays a worker's (captured on
// the test cluster): no constraint field, the shard's copy named in the message. The same
// errors on the cluster are TestMapError's, in the Citus suite.
func TestMapErrorOfACitusWorker(t *testing.T) {
	t.Parallel()
	const where = "while executing command on 127.0.0.1:5482"
	tests := []struct {
		err               *pgconn.PgError
		kind              error
		constraint, field string
	}{
		{&pgconn.PgError{Code: "23505", Where: where,
			Message: `duplicate key value violates unique constraint "contacts_tenant_id_phone_key_102017"`},
			db.ErrConflict, "contacts_tenant_id_phone_key", "phone"},
		{&pgconn.PgError{Code: "23503", Where: where,
			Message: `insert or update on table "conversations_102029" violates foreign key constraint "conversations_tenant_id_contact_id_fkey_102029"`},
			db.ErrInvalidReference, "conversations_tenant_id_contact_id_fkey", "contact_id"},
		{&pgconn.PgError{Code: "23514", Where: where,
			Message: `new row for relation "contacts_102017" violates check constraint "contacts_phone_check"`},
			db.ErrInvalidInput, "contacts_phone_check", "phone"},
		// Not relayed by Citus: a message is not read for a name the error does not give.
		{&pgconn.PgError{Code: "23505", Message: `duplicate key value violates unique constraint "contacts_tenant_id_phone_key_1"`},
			db.ErrConflict, "", ""},
	}
	for _, tt := range tests {
		var got *db.Error
		if !errors.As(db.MapError(tt.err), &got) {
			t.Fatalf("MapError(%q) is not a *db.Error", tt.err.Message)
		}
		if !errors.Is(got, tt.kind) || got.Constraint != tt.constraint || got.Field != tt.field {
			t.Errorf("MapError(%q) = %v, constraint %q, field %q; want %v, %q, %q",
				tt.err.Message, got.Kind, got.Constraint, got.Field, tt.kind, tt.constraint, tt.field)
		}
	}
}
