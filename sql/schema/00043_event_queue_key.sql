-- On Citus the event queue is distributed with the tenant tables, so that their triggers
-- queue an event on the shard beside the row (a trigger on a shard may write only there),
-- and a distributed table's unique keys must include tenant_id. The publisher still
-- takes the oldest events by seq, through their own index.

-- +goose Up
alter table private.event_queue drop constraint event_queue_pkey, add primary key (tenant_id, seq);
create index event_queue_seq_idx on private.event_queue (seq);

-- +goose Down
drop index private.event_queue_seq_idx;
alter table private.event_queue drop constraint event_queue_pkey, add primary key (seq);
