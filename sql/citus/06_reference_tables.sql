-- Small tables read by every tenant's queries, or looked up before the tenant is known
-- (the host's slug or domain, the caller's profile, an invitation by email, a WhatsApp
-- number): a copy on every node. The local tables that reference tenants (the send
-- buckets, the event stream tickets) become Citus local tables on the coordinator. One
-- table per transaction: Citus cannot make a reference table of one it converted to a
-- Citus local table earlier in the same transaction.
select format('select create_reference_table(%L)', t) as run
from unnest(pg_temp.reference_tables()) with ordinality as u(t, n)
where not exists (select from pg_dist_partition p where p.logicalrelid = t and p.repmodel = 't')
order by n;
