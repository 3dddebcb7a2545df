package db

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrSuspended: the tenant is suspended and takes no deliveries until it is reactivated.
var ErrSuspended = errors.New("the tenant is suspended: it takes no deliveries until it is reactivated")

// StoreInbound stores a message a contact sent through a channel provider, in one round
// trip (private.store_inbound): the contact found or created by the sender's address,
// their open conversation found or opened, the message stored once per external_id. A
// repeated delivery stores nothing and answers with what the first one stored
// (Duplicate).
func (d DB) StoreInbound(ctx context.Context, m MessageStoreInboundParams) (MessageStoreInboundRow, error) {
	var stored MessageStoreInboundRow
	store := func(q *Queries) (err error) {
		stored, err = q.MessageStoreInbound(ctx, m)
		return err
	}
	err := d.AsServiceBatch(ctx, store)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "40001" {
		// The same delivery, concurrently, stored the message first: this one rolled back,
		// and its retry finds the message.
		err = d.AsServiceBatch(ctx, store)
	}
	if err == nil && stored.Suspended {
		return stored, ErrSuspended
	}
	return stored, err
}
