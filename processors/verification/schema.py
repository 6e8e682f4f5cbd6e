"""The verification tables: DDL steps (append-only) and the names the processor writes.

Per-file facts (each row carries ``session_file``; the framework deletes a file's rows):

* ``verification_detections`` -- every detection: what it says (``text_id`` names its title and
  content) and where the clustering placed it (``item_id``, ``match_kind``, ``similarity``);
* ``verification_context`` -- the file's trail: the parts of the assistant message the
  conversation ended on so far (or the last user turn), so a confirmation in a later append can
  find the statement it answers.

Shared (no ``session_file``; written by ``merge`` and ``after_delete``), all a function of the
set of detections (`processors.verification.clusters`) and of reviewers' decisions:

* ``knowledge_items`` -- the original pipeline's table, plus ``detections`` (how many detections
  the item has; 0 for a reviewed item no detection says any more);
* ``knowledge_relations`` -- advisory links (``likely_duplicate``, ``possibly_corrects``);
* ``knowledge_pairs`` -- the near-duplicate pairs among the texts detections say, so a new
  text is compared once, not on every re-clustering.

``knowledge_reviews`` holds people's decisions (`review`), one row per item id: the status
(approved or rejected), who (uid and user name) and when, and the item as it was reviewed -- what
an approved or rejected item shows once no detection says its text any more. Never derived, so
never deleted: reprocess, rewrites and version bumps keep it, and every re-clustering reads
statuses from it (an item without a row here is pending).

``verification_llm_answers`` is the LLM extractor's cache (`llm_cache`): written by ``merge``
with the answers it got, never deleted with a file's outputs.

``verification_evidence`` is a view with the original pipeline's columns: at most one row per
(item, user, session) -- the earliest detection -- so a session resumed into a second file (which
copies its history, sessionId included) does not count twice, and deleting one of the two files
lets the other copy stand in without any bookkeeping.

No PRIMARY KEY or UNIQUE constraints: rows are deduplicated in ``merge``, and DuckDB handles a
delete and re-insert of the same key in one transaction badly.
"""

from __future__ import annotations

DETECTIONS = "verification_detections"
CONTEXT = "verification_context"
ITEMS = "knowledge_items"
RELATIONS = "knowledge_relations"
PAIRS = "knowledge_pairs"
EVIDENCE = "verification_evidence"
REVIEWS = "knowledge_reviews"
LLM_ANSWERS = "verification_llm_answers"  # the LLM extractor's cache (`llm_cache`)
PUBLIC_ITEMS = "public_knowledge_items"  # the public views (step 9; `sessiond sql`, snapshots)
PUBLIC_EVIDENCE = "public_knowledge_evidence"

PER_FILE_TABLES: tuple[str, ...] = (DETECTIONS, CONTEXT)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE knowledge_items (
        id             VARCHAR NOT NULL,
        title          VARCHAR NOT NULL,
        content        VARCHAR NOT NULL,
        domain         VARCHAR NOT NULL,
        entities       VARCHAR[] NOT NULL,
        detection_type VARCHAR NOT NULL,
        confidence     DOUBLE  NOT NULL,
        status         VARCHAR NOT NULL DEFAULT 'pending',
        source_ref     VARCHAR NOT NULL,
        created_at     TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE knowledge_relations (
        item_id    VARCHAR NOT NULL,
        related_id VARCHAR NOT NULL,
        relation   VARCHAR NOT NULL,
        score      DOUBLE,
        created_at TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE verification_detections (
        id                  VARCHAR NOT NULL,
        item_id             VARCHAR NOT NULL,
        session_file        VARCHAR NOT NULL,
        source_user         VARCHAR NOT NULL,
        session_id          VARCHAR NOT NULL,
        source_ref          VARCHAR NOT NULL,
        line_no             BIGINT  NOT NULL,
        detection_type      VARCHAR NOT NULL,
        user_quote          VARCHAR NOT NULL,
        assistant_statement VARCHAR,
        title               VARCHAR NOT NULL,
        content             VARCHAR NOT NULL,
        domain              VARCHAR NOT NULL,
        entities            VARCHAR[] NOT NULL,
        extractor           VARCHAR NOT NULL,
        match_kind          VARCHAR NOT NULL,
        similarity          DOUBLE,
        occurred_at         TIMESTAMPTZ,
        created_at          TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE verification_context (
        session_file VARCHAR NOT NULL,
        line_no      BIGINT  NOT NULL,
        role         VARCHAR NOT NULL,
        message_id   VARCHAR,
        text         VARCHAR,
        occurred_at  TIMESTAMPTZ
    )
    """,
    """
    CREATE VIEW verification_evidence AS
    SELECT id, item_id, source_user, source_ref, detection_type, user_quote, session_file,
           created_at, session_id, line_no, occurred_at, assistant_statement
    FROM verification_detections
    QUALIFY row_number() OVER (
        PARTITION BY item_id, source_user, session_id
        ORDER BY occurred_at NULLS LAST, session_file, line_no
    ) = 1
    """,
    # 6 (processor version 2): items are components of texts, whatever the order detections
    # arrive in. What version 1 derived is dropped -- every file is redone for the version --
    # except reviewed items, which are people's decisions.
    f"""
    DELETE FROM verification_detections;
    DELETE FROM verification_context;
    DELETE FROM knowledge_relations;
    DELETE FROM knowledge_items WHERE status = 'pending';
    ALTER TABLE verification_detections ADD COLUMN text_id VARCHAR;
    ALTER TABLE knowledge_items ADD COLUMN detections BIGINT DEFAULT 0;
    UPDATE knowledge_items SET detections = 0;
    CREATE TABLE {PAIRS} (
        a     VARCHAR NOT NULL,
        b     VARCHAR NOT NULL,
        score DOUBLE  NOT NULL
    );
    """,
    # 7: the LLM extractor's answers, one row per exchange asked, by sha256(prompt version,
    # model, exchange) -- not per file, so reprocess, rewrites and version bumps keep them
    # (`processors.verification.llm_cache`). Insert-only; no key constraint (an index DuckDB
    # would hold in memory): a batch's lookup is one semi-join.
    f"""
    CREATE TABLE {LLM_ANSWERS} (
        key            VARCHAR NOT NULL,
        prompt_version VARCHAR NOT NULL,
        model          VARCHAR NOT NULL,
        answer         VARCHAR NOT NULL,
        created_at     TIMESTAMPTZ NOT NULL
    )
    """,
    # 8: reviewers' decisions, kept by item id apart from everything derived; the statuses
    # decided before (in knowledge_items, by hand or by the original pipeline) come along,
    # with no reviewer or time known.
    f"""
    CREATE TABLE {REVIEWS} (
        item_id        VARCHAR NOT NULL,
        status         VARCHAR NOT NULL,
        reviewer_uid   BIGINT,
        reviewer       VARCHAR,
        reviewed_at    TIMESTAMPTZ,
        title          VARCHAR NOT NULL,
        content        VARCHAR NOT NULL,
        domain         VARCHAR NOT NULL,
        entities       VARCHAR[] NOT NULL,
        detection_type VARCHAR NOT NULL,
        confidence     DOUBLE  NOT NULL,
        source_ref     VARCHAR NOT NULL,
        created_at     TIMESTAMPTZ NOT NULL
    );
    INSERT INTO {REVIEWS}
    SELECT id, status, NULL, NULL, NULL, title, content, domain, entities, detection_type,
           confidence, source_ref, created_at
    FROM {ITEMS} WHERE status <> 'pending';
    """,
    # 9: the public views (`sessiond sql`, the Parquet snapshots): see PUBLIC_VIEWS below.
    f"""
    CREATE VIEW {PUBLIC_ITEMS} AS
    SELECT id, title, content, domain, entities, detection_type, confidence, status,
           source_ref, created_at, detections
    FROM {ITEMS};
    CREATE VIEW {PUBLIC_EVIDENCE} AS
    SELECT id, item_id, source_user, session_id, session_file, line_no, detection_type,
           user_quote, assistant_statement, source_ref, occurred_at, created_at
    FROM {EVIDENCE};
    """,
    # 10: who decided on an item, and when, in its public view (new columns last)
    f"""
    CREATE OR REPLACE VIEW {PUBLIC_ITEMS} AS
    SELECT i.id, i.title, i.content, i.domain, i.entities, i.detection_type, i.confidence,
           i.status, i.source_ref, i.created_at, i.detections,
           r.reviewer_uid, r.reviewer, r.reviewed_at
    FROM {ITEMS} i LEFT JOIN {REVIEWS} r ON r.item_id = i.id;
    """,
    # 11: the trails by file. Every live commit deletes the trails of its files and reads those
    # it does not keep (`store.KnowledgeStore`); without an index each is a scan of the table, one
    # row per file with a trail: the DELETE took 10-11 ms a commit at the bench's 100k-file
    # state (76k trails; `python -m bench.breakdown --tree`, 200 appends/s), 2.9-5.3 with it.
    f"CREATE INDEX verification_context_file ON {CONTEXT} (session_file)",
)

# -- the public views and how they read over many hosts ----------------------------------------
# What `sessiond sql` users, the Parquet snapshots (`daemon.publish`) and other engines read,
# documented in the README; their columns only ever grow (a change is a new step that
# re-creates a view, a new column last). Over many hosts' snapshots (`report verification
# --from DIR`), ``hosts.<view>`` holds every host's rows with a ``host`` column: an item id
# found on two hosts is one item (ids are the canonical text's hash; a reviewed row first,
# then the earliest), with its detections summed; evidence keeps at most one row per (item,
# user, session), the earliest, as on one host. Items are not re-clustered across hosts: two
# hosts' near-duplicate texts stay two items.
ACROSS_HOSTS: dict[str, str] = {
    PUBLIC_ITEMS: f"""
SELECT * REPLACE (sum(detections) OVER (PARTITION BY id)::BIGINT AS detections)
FROM hosts.{PUBLIC_ITEMS}
QUALIFY row_number() OVER (PARTITION BY id ORDER BY status = 'pending', created_at, host) = 1
""",
    PUBLIC_EVIDENCE: f"""
SELECT * FROM hosts.{PUBLIC_EVIDENCE}
QUALIFY row_number() OVER (
    PARTITION BY item_id, source_user, session_id
    ORDER BY occurred_at NULLS LAST, session_file, line_no, host
) = 1
""",
}

# What the verification report reads, as views over the public ones.
REPORT_VIEWS: dict[str, str] = {
    ITEMS: f"SELECT * FROM {PUBLIC_ITEMS}",
    EVIDENCE: f"SELECT * FROM {PUBLIC_EVIDENCE}",
}
