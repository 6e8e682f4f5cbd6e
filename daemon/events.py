"""Every log event name the daemon emits, in one place (tests assert against these)."""

DAEMON_STARTING = "daemon.starting"
DAEMON_READY = "daemon.ready"
DAEMON_STOPPING = "daemon.stopping"
DAEMON_STOPPED = "daemon.stopped"
STATE_LOCKED = "state.locked"  # another process holds the state file; the daemon waits (once)
CONFIG_RELOADED = "config.reloaded"
CONFIG_INVALID = "config.invalid"
PROCESSOR_LOADED = "processor.loaded"
SCAN_DONE = "scan.done"
SCAN_MISSED_EVENTS = "scan.missed_events"
SCAN_ROOT_MISSING = "scan.root_missing"
WATCHER_STARTED = "watcher.started"
WATCHER_UNAVAILABLE = "watcher.unavailable"
FILE_APPENDED = "file.appended"
FILE_REWRITTEN = "file.rewritten"
FILE_DELETED = "file.deleted"
FILE_UNREADABLE = "file.unreadable"
FILE_NOT_REGULAR = "file.not_regular"
FILE_CHANGED_DURING_READ = "file.changed_during_read"
LINE_MALFORMED = "line.malformed"  # kind: malformed_json | not_object
LINE_TOO_LONG = "line.too_long"
PROCESSOR_COMMITTED = "processor.committed"
PROCESSOR_FAILED = "processor.failed"
PROCESSOR_PARKED = "processor.parked"
STORE_COMMIT_FAILED = "store.commit_failed"
# a processor's hook or SQL failed in a batch's commit: the files are committed one by one
PROCESSOR_COMMIT_FAILED = "processor.commit_failed"
POOL_STARTED = "pool.started"  # parse processes started for a backfill (workers, processors)
POOL_IN_THREAD = "pool.in_thread"  # a processor that cannot be pickled: examined in its thread
POOL_BROKEN = "pool.broken"  # a parse process died: the batch is examined in its thread
RUN_SUMMARY = "run.summary"
AUDIT = "audit"  # a state-changing control request: action, params, uid, pid, status
CONTROL_ERROR = "control.error"
CONTROL_STARTED = "control.started"
CONTROL_UNAVAILABLE = "control.unavailable"
LEGACY_IMPORTED = "state.legacy_imported"
