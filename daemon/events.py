"""Every log event name the daemon emits, in one place (tests assert against these)."""

DAEMON_STARTING = "daemon.starting"
DAEMON_READY = "daemon.ready"
DAEMON_STOPPING = "daemon.stopping"
DAEMON_STOPPED = "daemon.stopped"
DAEMON_RESTARTING = "daemon.restarting"  # resident size above restart_rss: a clean stop, then exec
DAEMON_THREAD_DIED = "daemon.thread_died"  # a thread ended on what it did not catch: stop, exit 1
STATE_LOCKED = "state.locked"  # another process holds the state file; the daemon waits (once)
CONFIG_RELOADED = "config.reloaded"
CONFIG_INVALID = "config.invalid"
PROCESSOR_LOADED = "processor.loaded"
SCAN_DONE = "scan.done"
SCAN_MISSED_EVENTS = "scan.missed_events"
SCAN_ROOT_MISSING = "scan.root_missing"
# names that are not UTF-8, folders or files it may not read: new since the last scan
SCAN_SKIPPED = "scan.skipped"
WATCHER_STARTED = "watcher.started"
WATCHER_UNAVAILABLE = "watcher.unavailable"
WATCHER_LIMIT = "watcher.limit"  # folders the kernel does not watch (the watch limit, mid-run)
WATCHER_OVERFLOW = "watcher.overflow"  # the kernel's event queue overflowed: events were lost
FILE_APPENDED = "file.appended"
FILE_REWRITTEN = "file.rewritten"
FILE_DELETED = "file.deleted"
FILE_UNREADABLE = "file.unreadable"
FILE_NOT_REGULAR = "file.not_regular"
FILE_CHANGED_DURING_READ = "file.changed_during_read"
LINE_MALFORMED = "line.malformed"  # kind: malformed_json | not_object
LINE_TOO_LONG = "line.too_long"
# a line a processor could not map (its code met input it cannot handle): skipped, the rest kept
LINE_UNREADABLE = "line.unreadable"
# a line whose content the format does not allow (usage: a token count that is a string): skipped
LINE_INVALID = "line.invalid"
PROCESSOR_COMMITTED = "processor.committed"
PROCESSOR_FAILED = "processor.failed"
PROCESSOR_PARKED = "processor.parked"
STORE_COMMIT_FAILED = "store.commit_failed"
# a processor's hook or SQL failed in a batch's commit: the files are committed one by one
PROCESSOR_COMMIT_FAILED = "processor.commit_failed"
# a processor's `Enriching` hook cannot finish now (a rate budget): the files wait, no attempt
PROCESSOR_DEFERRED = "processor.deferred"
POOL_STARTED = "pool.started"  # parse processes started for a backfill (workers, processors)
POOL_IN_THREAD = "pool.in_thread"  # a processor that cannot be pickled: examined in its thread
POOL_BROKEN = "pool.broken"  # a parse process died: the batch is examined in its thread
RUN_SUMMARY = "run.summary"
KNOWLEDGE_REVIEWED = "knowledge.reviewed"  # a decision about a knowledge item: who, which
AUDIT = "audit"  # a state-changing control request: action, params, uid, pid, status
CONTROL_ERROR = "control.error"
SQL_QUERY = "sql.query"  # a `sessiond sql` answered: rows, truncated, ms (the audit has who/what)
SQL_TIMEOUT = "sql.timeout"  # a `sessiond sql` query interrupted after sql_timeout seconds
PUBLISH_DONE = "publish.done"  # Parquet snapshots written: dir, host, views{name: rows}, bytes, ms
PUBLISH_FAILED = "publish.failed"  # they could not be: dir, host, error, retry_in (old ones stay)
CONTROL_STARTED = "control.started"
CONTROL_UNAVAILABLE = "control.unavailable"
LEGACY_IMPORTED = "state.legacy_imported"
BACKLOG = "state.backlog"  # a large commit deferred checkpoints (`store.BULK_ROWS`)
SETTLED = "state.settled"  # the checkpoint after a backlog (`Store.settle`)
CHECKPOINT_FAILED = "state.checkpoint_failed"  # ... and its failure
