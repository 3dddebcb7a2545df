package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atende/atende/db"
	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

func TestAsCallerSeesOnlyTheCallersTenant(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := dbtest.SeedTenant(t, d, "clinica-a")
	b := dbtest.SeedTenant(t, d, "clinica-b")
	ctx := context.Background()

	for _, mode := range []string{"cache_statement", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			pool, err := db.OpenPool(ctx, d.AppURL, db.PoolSettings{ExecMode: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			app := db.DB{Pool: pool}
			err = app.AsCaller(ctx, a.OwnerClaims(), func(q *db.Queries) error {
				contact, err := q.ContactGet(ctx, db.ContactGetParams{TenantID: a.ID, ID: a.ContactID})
				if err != nil {
					return err
				}
				if contact.ID != a.ContactID || *contact.Name != "Maria" {
					t.Errorf("own contact = %+v", contact)
				}
				// The query layer asked for B; RLS still answers only for A.
				_, err = q.ContactGet(ctx, db.ContactGetParams{TenantID: b.ID, ID: b.ContactID})
				if !errors.Is(err, db.ErrNotFound) {
					t.Errorf("B's contact through A's transaction: err = %v, want ErrNotFound", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoginRoleAloneIsDenied(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := dbtest.SeedTenant(t, d, "clinica-a")
	// A code path that skips AsCaller/AsService runs as atende_app itself.
	_, err := db.New(d.App.Pool).ContactGet(context.Background(), db.ContactGetParams{TenantID: a.ID, ID: a.ContactID})
	if !errors.Is(db.MapError(err), db.ErrPermission) {
		t.Fatalf("query as atende_app: err = %v, want permission denied", err)
	}
}

func TestMapError(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	a := dbtest.SeedTenant(t, d, "clinica-a")
	ctx := context.Background()
	phone := "+5511987654321"
	tests := []struct {
		name       string
		run        func(q *db.Queries) error
		kind       error
		constraint string
	}{
		{"no rows", func(q *db.Queries) error {
			_, err := q.ContactGet(ctx, db.ContactGetParams{TenantID: a.ID, ID: uuid.New()})
			return err
		}, db.ErrNotFound, ""},
		{"duplicate phone", func(q *db.Queries) error {
			_, err := q.ContactCreate(ctx, db.ContactCreateParams{TenantID: a.ID, Phone: &phone, Tags: []string{}, CustomFields: []byte(`{}`)})
			return err
		}, db.ErrConflict, "contacts_tenant_id_phone_key"},
		{"unknown contact", func(q *db.Queries) error {
			unknown := uuid.New()
			_, err := q.ConversationCreate(ctx, db.ConversationCreateParams{TenantID: a.ID, ContactID: &unknown, Channel: db.ChannelWhatsapp, Status: db.ConversationStatusOpen})
			return err
		}, db.ErrInvalidReference, "conversations_tenant_id_contact_id_fkey"},
		{"unknown enum value", func(q *db.Queries) error {
			_, err := q.ConversationCreate(ctx, db.ConversationCreateParams{TenantID: a.ID, Channel: "telegram", Status: db.ConversationStatusOpen})
			return err
		}, db.ErrInvalidInput, ""},
		{"check constraint", func(q *db.Queries) error {
			bad := "11 98765"
			_, err := q.ContactCreate(ctx, db.ContactCreateParams{TenantID: a.ID, Phone: &bad, Tags: []string{}, CustomFields: []byte(`{}`)})
			return err
		}, db.ErrInvalidInput, "contacts_phone_check"},
		{"row of another tenant", func(q *db.Queries) error {
			_, err := q.ContactCreate(ctx, db.ContactCreateParams{TenantID: uuid.New(), Tags: []string{}, CustomFields: []byte(`{}`)})
			return err
		}, db.ErrPermission, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.App.AsCaller(ctx, a.OwnerClaims(), tt.run)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want %v", err, tt.kind)
			}
			var dbErr *db.Error
			if tt.constraint != "" && (!errors.As(err, &dbErr) || dbErr.Constraint != tt.constraint) {
				t.Fatalf("err = %v, want constraint %s", err, tt.constraint)
			}
		})
	}
}
