-- The memo's lookup of the caller's profile reads users and tenants from inside a query
-- on a shard, which Citus refuses unless told: it happens on a worker when a write to
-- users or tenants earlier in the transaction made the memo forget (00028).
alter function private.caller_memo() set citus.allow_nested_distributed_execution = on;
