-- Functions that read or write another Citus table from inside a query or trigger on a
-- shard, which Citus refuses unless told (the memo's lookup of the caller's profile on a
-- worker, when a write to users in the same transaction made it forget; the
-- coordinator's triggers on users, which change the tenant's rows on the workers).
alter function private.caller_memo() set citus.allow_nested_distributed_execution = on;
alter function private.detach_user() set citus.allow_nested_distributed_execution = on;
alter function private.keep_profile_after_removal() set citus.allow_nested_distributed_execution = on;
