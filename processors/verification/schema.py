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
)
