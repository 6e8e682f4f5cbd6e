#!/usr/bin/env python3
"""Generate a small, deterministic sample tree of Claude Code transcripts.

Usage:  python examples/make_sample.py [OUTDIR]     (default: examples/user_sessions)

Layout written:
    OUTDIR/<user>/<session-uuid>.jsonl
    OUTDIR/<user>/<session-uuid>/subagents/agent-<agent-id>.jsonl
    OUTDIR/<user>/<session-uuid>/subagents/agent-<agent-id>.meta.json   (one agent only)

Everything is derived from fixed string seeds and fixed start times: no wall clock, no
environment input, standard library only.  Running it twice gives byte-identical files.

What the sample deliberately contains (see claude-code-jsonl.md for the format):
  * multi-block API responses written as 2-3 assistant records sharing message.id/requestId,
    early ones with a placeholder output_tokens (1-9), the last with the final count;
  * cache_creation split (5m for Sonnet/Haiku sessions, 1h for Opus sessions), cache expiry
    after a >10 minute gap;
  * tool_use/tool_result for Bash, Read, Edit, Write, Grep, Skill (plain and plugin-prefixed),
    Task and Agent (subagent_type), mcp__github__create_issue; one failed Bash ("Exit code 1");
  * slash commands (/review, /compact + compact_boundary), a <synthetic> API-error record,
    one assistant record without requestId, summary, file-history-snapshot, queue-operation
    and an unknown record type;
  * user turns that correct, confirm or define something, plus bare "ok" and "yes";
  * timestamps on 2026-02-09, -10 and -11 (UTC), one session crossing midnight.
"""

import copy
import json
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

SONNET = "claude-sonnet-4-5-20250929"
OPUS = "claude-opus-4-1-20250805"
HAIKU = "claude-haiku-4-5-20251001"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64 = B62 + "+/"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def approx_tokens(obj):
    s = obj if isinstance(obj, str) else json.dumps(obj)
    return max(1, len(s) // 4)


class Session:
    """Builds one transcript file (main session or subagent sidechain)."""

    def __init__(self, user, key, cwd, branch, version, start, cache_ttl="5m",
                 session_id=None, agent_id=None, system_tokens=15800):
        self.rng = random.Random(f"sessiond-sample:{user}:{key}")
        self.user_name, self.cwd, self.branch, self.version = user, cwd, branch, version
        self.session_id = session_id or self.uuid()
        self.agent_id = agent_id
        self.t = start
        self.cache_ttl = cache_ttl
        self.records = []
        self.parent = None
        self.ctx = 0                      # tokens already in the prompt cache
        self.pending = system_tokens + self.rng.randint(0, 900)
        self.last_call = None
        self.subagents = []               # (agent_id, Session, meta or None)

    # ---- ids / time -------------------------------------------------------------------------
    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def b62(self, n):
        return "".join(self.rng.choice(B62) for _ in range(n))

    def advance(self, seconds):
        ms = int(seconds * 1000) + self.rng.randint(0, 999)
        self.t += timedelta(milliseconds=ms)

    def ts(self):
        return self.t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.t.microsecond // 1000:03d}Z"

    # ---- record builders --------------------------------------------------------------------
    def _base(self, rtype, uid=None):
        rec = {
            "parentUuid": self.parent,
            "isSidechain": self.agent_id is not None,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": self.version,
            "gitBranch": self.branch,
        }
        if self.agent_id:
            rec["agentId"] = self.agent_id
        rec["type"] = rtype
        return rec

    def _emit(self, rec, uid):
        rec["uuid"] = uid
        rec["timestamp"] = self.ts()
        self.records.append(rec)
        self.parent = uid
        return uid

    def user(self, content, delay=20, uid=None, **extra):
        self.advance(delay)
        rec = self._base("user")
        rec["message"] = {"role": "user", "content": content}
        rec.update(extra)
        self.pending += approx_tokens(content)
        return self._emit(rec, uid or self.uuid())

    def command(self, name, args="", delay=15):
        text = (f"<command-message>{name}</command-message>\n"
                f"<command-name>/{name}</command-name>\n<command-args>{args}</command-args>")
        return self.user(text, delay=delay)

    def result(self, tool_id, content, is_error=False, tur=None, delay=2):
        self.advance(delay)
        rec = self._base("user")
        block = {"tool_use_id": tool_id, "type": "tool_result", "content": content}
        if is_error:
            block["is_error"] = True
        rec["message"] = {"role": "user", "content": [block]}
        uid = self.uuid()
        if tur is not None:
            rec["toolUseResult"] = tur
        self.pending += approx_tokens(content)
        return self._emit(rec, uid)

    def bash_ok(self, tool_id, stdout, delay=3):
        return self.result(tool_id, stdout, tur={"stdout": stdout, "stderr": "", "interrupted": False,
                                                 "isImage": False}, delay=delay)

    def read_ok(self, tool_id, path, lines, total=None, delay=1):
        body = "\n".join(f"{i + 1:6d}\u2192{line}" for i, line in enumerate(lines))
        tur = {"type": "text", "file": {"filePath": path, "content": "\n".join(lines),
                                        "numLines": len(lines), "startLine": 1,
                                        "totalLines": total or len(lines)}}
        return self.result(tool_id, body, tur=tur, delay=delay)

    def edit_ok(self, tool_id, path, old, new, delay=1):
        msg = (f"The file {path} has been updated. Here's the result of running `cat -n` on a "
               f"snippet of the edited file:\n" +
               "\n".join(f"{i + 10:6d}\u2192{line}" for i, line in enumerate(new.splitlines())))
        tur = {"filePath": path, "oldString": old, "newString": new, "originalFile": None,
               "structuredPatch": [], "userModified": False, "replaceAll": False}
        return self.result(tool_id, msg, tur=tur, delay=delay)

    def assistant(self, model, blocks, delay=6, stop=None, request_id=True):
        """blocks: ("text", s) | ("thinking", s) | ("tool", name, input).  Returns tool ids.

        One API response -> one record per block, all sharing message.id and requestId and the
        same usage; all but the last carry a placeholder output_tokens (1-9)."""
        self.advance(delay)
        msg_id = "msg_01" + self.b62(22)
        req_id = "req_011C" + self.b62(20)
        content, tool_ids, out_tokens = [], [], 0
        for b in blocks:
            if b[0] == "text":
                content.append({"type": "text", "text": b[1]})
                out_tokens += approx_tokens(b[1])
            elif b[0] == "thinking":
                sig = "".join(self.rng.choice(B64) for _ in range(160))
                content.append({"type": "thinking", "thinking": b[1], "signature": "Er" + sig})
                out_tokens += approx_tokens(b[1]) + 40
            else:
                tid = "toolu_01" + self.b62(22)
                tool_ids.append(tid)
                content.append({"type": "tool_use", "id": tid, "name": b[1], "input": b[2]})
                out_tokens += approx_tokens(b[2]) + 12
        out_tokens += self.rng.randint(0, 25)

        ttl = timedelta(hours=1) if self.cache_ttl == "1h" else timedelta(minutes=5)
        inp = self.rng.randint(3, 12)
        if self.last_call is not None and self.t - self.last_call > ttl:
            cache_read, creation = 0, self.ctx + self.pending   # cache expired: rewrite it all
        else:
            cache_read, creation = self.ctx, self.pending
        creation = max(0, creation - inp)
        c1h = creation if self.cache_ttl == "1h" else 0
        usage = {
            "input_tokens": inp,
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": creation - c1h,
                               "ephemeral_1h_input_tokens": c1h},
            "output_tokens": out_tokens,
            "service_tier": "standard",
        }
        if model == OPUS:
            usage["server_tool_use"] = {"web_search_requests": 0, "web_fetch_requests": 0}
        self.ctx = cache_read + creation + inp
        self.pending = out_tokens
        self.last_call = self.t

        stop = stop or ("tool_use" if content[-1]["type"] == "tool_use" else "end_turn")
        placeholder = self.rng.randint(1, 9)
        for i, block in enumerate(content):
            last = i == len(content) - 1
            if i:
                self.advance(0.4 + (2.5 if block["type"] == "tool_use" else 1.0))
            u = copy.deepcopy(usage)
            if not last:
                u["output_tokens"] = placeholder
            rec = self._base("assistant")
            rec["message"] = {"model": model, "id": msg_id, "type": "message", "role": "assistant",
                              "content": [block], "stop_reason": stop if last else None,
                              "stop_sequence": None, "usage": u}
            # keep the key order Claude Code writes: ..., message, requestId, type, uuid, ...
            rtype = rec.pop("type")
            if request_id:
                rec["requestId"] = req_id
            rec["type"] = rtype
            self._emit(rec, self.uuid())
        return tool_ids

    def synthetic_error(self, status, text, error, delay=30):
        self.advance(delay)
        rec = self._base("assistant")
        rtype = rec.pop("type")
        zero = {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
                "service_tier": None,
                "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}}
        rec["message"] = {"id": self.uuid(), "container": None, "model": "<synthetic>",
                          "role": "assistant", "stop_reason": "stop_sequence", "stop_sequence": "",
                          "type": "message", "usage": zero,
                          "content": [{"type": "text", "text": text}]}
        rec["type"] = rtype
        rec["error"] = error
        rec["isApiErrorMessage"] = True
        rec["apiErrorStatus"] = status
        return self._emit(rec, self.uuid())

    def system(self, subtype, content, delay=1, **extra):
        self.advance(delay)
        rec = self._base("system")
        rec.update({"subtype": subtype, "content": content, "isMeta": False, "level": "info"})
        rec.update(extra)
        return self._emit(rec, self.uuid())

    def raw(self, rec):
        """A record outside the uuid/parent chain (summary, snapshot, queue-operation, ...)."""
        self.records.append(rec)

    def subagent(self, agent_id, key, meta=None):
        sub = Session(self.user_name, key, self.cwd, self.branch, self.version, self.t,
                      session_id=self.session_id, agent_id=agent_id, system_tokens=6200)
        self.subagents.append((agent_id, sub, meta))
        return sub

    def wait_for(self, sub):
        self.t = max(self.t, sub.t)

    # ---- output ---------------------------------------------------------------------------
    def lines(self):
        return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                       for r in self.records)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# =============================================================================================
# alice -- finance analyst, revenue metrics repo
# =============================================================================================
ALICE_CWD = "/home/alice/finance/revenue-metrics"


def alice_mrr():
    s = Session("alice", "mrr", ALICE_CWD, "feat/mrr-report", "2.1.9", utc(2026, 2, 9, 14, 2, 11))
    p = ALICE_CWD
    s.user("Can you compute MRR by month for 2025 from data/invoices_2025.csv? Put the logic in "
           "metrics/mrr.py and print a month-by-month table.", delay=0)
    t = s.assistant(SONNET, [
        ("thinking", "The user wants monthly recurring revenue for 2025. First I need the invoice "
                     "schema: which columns hold the date, amount and line type. Then implement "
                     "the function in metrics/mrr.py, which may already exist as a stub."),
        ("text", "I'll start by looking at the invoice data and the existing metrics module."),
        ("tool", "Read", {"file_path": f"{p}/data/invoices_2025.csv", "limit": 8}),
    ])
    s.read_ok(t[0], f"{p}/data/invoices_2025.csv", [
        "invoice_id,customer_id,issued_at,line_type,amount_usd,plan",
        "INV-20817,C-1042,2025-01-03,subscription,499.00,growth",
        "INV-20817,C-1042,2025-01-03,setup_fee,1500.00,growth",
        "INV-20818,C-0977,2025-01-03,subscription,1299.00,scale",
        "INV-20819,C-1101,2025-01-04,addon,120.00,growth",
        "INV-20820,C-0413,2025-01-04,subscription,99.00,starter",
        "INV-20821,C-1102,2025-01-05,setup_fee,750.00,starter",
        "INV-20821,C-1102,2025-01-05,subscription,99.00,starter",
    ], total=4812)
    t = s.assistant(SONNET, [("tool", "Read", {"file_path": f"{p}/metrics/mrr.py"})])
    stub = ['"""Monthly recurring revenue."""', "import pandas as pd", "", "",
            "def monthly_recurring_revenue(df: pd.DataFrame) -> pd.Series:",
            "    raise NotImplementedError", "", "",
            'if __name__ == "__main__":', "    import sys",
            "    df = pd.read_csv(sys.argv[1], parse_dates=['issued_at'])",
            "    print(monthly_recurring_revenue(df).to_string())"]
    s.read_ok(t[0], f"{p}/metrics/mrr.py", stub)
    old = "    raise NotImplementedError"
    new1 = ("    month = df['issued_at'].dt.to_period('M')\n"
            "    return df.groupby(month)['amount'].sum().rename('mrr_usd')")
    t = s.assistant(SONNET, [
        ("text", "The file is a stub. I'll implement it as a monthly sum of invoice amounts."),
        ("tool", "Edit", {"file_path": f"{p}/metrics/mrr.py", "old_string": old, "new_string": new1}),
    ])
    s.edit_ok(t[0], f"{p}/metrics/mrr.py", old, new1)
    t = s.assistant(SONNET, [("tool", "Bash", {"command": "python -m metrics.mrr data/invoices_2025.csv",
                                               "description": "Run MRR calculation"})])
    err = ("Exit code 1\nTraceback (most recent call last):\n"
           "  File \"/home/alice/finance/revenue-metrics/metrics/mrr.py\", line 12, in <module>\n"
           "    print(monthly_recurring_revenue(df).to_string())\n"
           "  File \"/home/alice/finance/revenue-metrics/metrics/mrr.py\", line 7, in "
           "monthly_recurring_revenue\n    return df.groupby(month)['amount'].sum().rename('mrr_usd')\n"
           "KeyError: 'amount'")
    s.result(t[0], err, is_error=True, tur="Error: " + err, delay=4)
    old2 = "df.groupby(month)['amount']"
    new2 = "df.groupby(month)['amount_usd']"
    t = s.assistant(SONNET, [
        ("thinking", "KeyError: the column is amount_usd, not amount. Fix the column name."),
        ("text", "The amount column is called `amount_usd`. Fixing that."),
        ("tool", "Edit", {"file_path": f"{p}/metrics/mrr.py", "old_string": old2, "new_string": new2}),
    ])
    s.edit_ok(t[0], f"{p}/metrics/mrr.py", old2, new2)
    t = s.assistant(SONNET, [("tool", "Bash", {"command": "python -m metrics.mrr data/invoices_2025.csv",
                                               "description": "Run MRR calculation"})])
    table1 = ("issued_at\n2025-01     84210.00\n2025-02     79655.00\n2025-03     91120.00\n"
              "2025-04     88340.00\n2025-05     95870.00\n2025-06     97410.00\n2025-07    102980.00\n"
              "2025-08    101250.00\n2025-09    108730.00\n2025-10    112460.00\n2025-11    110890.00\n"
              "2025-12    118300.00\nName: mrr_usd, dtype: float64")
    s.bash_ok(t[0], table1)
    s.assistant(SONNET, [("text", "MRR by month for 2025 (sum of all invoice lines issued in the "
                                  "month, in USD):\n\n| Month | MRR |\n|---|---|\n| 2025-01 | 84,210 |\n"
                                  "| 2025-06 | 97,410 |\n| 2025-12 | 118,300 |\n\nFull table printed "
                                  "above; growth Jan→Dec is about 40%.")])
    s.user("no, that's wrong — MRR excludes one-time setup fees. Only subscription and addon lines "
           "are recurring.", delay=95)
    old3 = "    month = df['issued_at'].dt.to_period('M')\n"
    new3 = ("    df = df[df['line_type'].isin(['subscription', 'addon'])]  # setup fees are one-time\n"
            "    month = df['issued_at'].dt.to_period('M')\n")
    t = s.assistant(SONNET, [
        ("thinking", "Correct: setup_fee lines are non-recurring and must be excluded. Filter on "
                     "line_type before grouping."),
        ("text", "You're right, setup fees are one-time revenue and shouldn't be in MRR. I'll "
                 "restrict it to `subscription` and `addon` lines."),
        ("tool", "Edit", {"file_path": f"{p}/metrics/mrr.py", "old_string": old3, "new_string": new3}),
    ])
    s.edit_ok(t[0], f"{p}/metrics/mrr.py", old3, new3)
    t = s.assistant(SONNET, [("tool", "Bash", {"command": "python -m metrics.mrr data/invoices_2025.csv",
                                               "description": "Re-run MRR without setup fees"})])
    table2 = ("issued_at\n2025-01     71460.00\n2025-02     73905.00\n2025-03     76370.00\n"
              "2025-04     78840.00\n2025-05     81120.00\n2025-06     84660.00\n2025-07     86480.00\n"
              "2025-08     89250.00\n2025-09     91230.00\n2025-10     94710.00\n2025-11     97640.00\n"
              "2025-12    101050.00\nName: mrr_usd, dtype: float64")
    s.bash_ok(t[0], table2)
    s.assistant(SONNET, [("text", "Corrected MRR (subscription + addon lines only):\n\n| Month | MRR |\n"
                                  "|---|---|\n| 2025-01 | 71,460 |\n| 2025-06 | 84,660 |\n"
                                  "| 2025-12 | 101,050 |\n\nSetup fees were inflating the earlier "
                                  "figures by 10-17% a month; Jan→Dec growth is now 41%.")])
    s.user("ok", delay=40)
    s.assistant(SONNET, [("text", "Done. The function lives in `metrics/mrr.py`; tell me if you want "
                                  "a test or an export.")], delay=3)
    # --- 27 minute gap: the 5m prompt cache has expired by the next call
    s.user("back — can you export that table as a PDF for the board pack? use the pdf skill",
           delay=27 * 60)
    t = s.assistant(SONNET, [("text", "Sure, loading the PDF skill."),
                             ("tool", "Skill", {"skill": "pdf"})])
    s.result(t[0], "Launching skill: pdf", tur={"success": True, "commandName": "pdf"})
    s.user([{"type": "text", "text": "Base directory for this skill: /home/alice/.claude/skills/pdf\n\n"
                                     "# PDF Processing Guide\n\nUse reportlab for generating new PDFs; "
                                     "keep tables on one page where possible."}], delay=0, isMeta=True)
    t = s.assistant(SONNET, [
        ("text", "I'll render the corrected table with reportlab."),
        ("tool", "Bash", {"command": "python scripts/render_pdf.py --title 'MRR 2025' --csv "
                                     "out/mrr_2025.csv -o reports/mrr_2025.pdf",
                          "description": "Render MRR table to PDF"}),
    ])
    s.bash_ok(t[0], "wrote reports/mrr_2025.pdf (1 page, 12 rows)", delay=5)
    s.assistant(SONNET, [("text", "Exported to `reports/mrr_2025.pdf` (one page, 12 rows, setup "
                                  "fees excluded).")])
    return s


def alice_churn(leaf_uuid):
    s = Session("alice", "churn", ALICE_CWD, "main", "2.1.9", utc(2026, 2, 10, 9, 15, 40),
                cache_ttl="1h")
    p = ALICE_CWD
    s.raw({"type": "summary", "summary": "MRR by month (setup fees excluded) and PDF export",
           "leafUuid": leaf_uuid})
    s.user("Next: monthly logo churn and revenue churn for 2025. Use the same subscription-only "
           "definition as MRR.", delay=0)
    s.assistant(OPUS, [
        ("thinking", "Churn can be defined monthly or on a trailing basis. The MRR work was "
                     "monthly, so monthly churn is likely, but confirm before writing code."),
        ("text", "Before I write it: churn is computed monthly, i.e. a customer with a subscription "
                 "line in month M-1 and none in month M counts as churned in M?"),
    ])
    s.user("yes, exactly, churn is computed monthly. Revenue churn is the lost MRR from those "
           "customers divided by opening MRR.", delay=50)
    t = s.assistant(OPUS, [
        ("text", "I'll have a subagent check for existing cohort/churn code while I draft this."),
        ("tool", "Task", {"description": "Find existing churn/cohort logic",
                          "prompt": "Search metrics/ and notebooks/ for any existing churn, "
                                    "retention or cohort calculations. Report file paths, "
                                    "function names and the definitions they use.",
                          "subagent_type": "general-purpose"}),
    ])
    # -- subagent (no meta.json for this one)
    sub = s.subagent("a7c3e91", "churn-sub")
    sub.user("Search metrics/ and notebooks/ for any existing churn, retention or cohort "
             "calculations. Report file paths, function names and the definitions they use.", delay=1)
    g = sub.assistant(HAIKU, [("tool", "Grep", {"pattern": "churn|retention|cohort", "path": p,
                                                "output_mode": "files_with_matches"})], delay=3)
    sub.result(g[0], "Found 2 files\nmetrics/cohorts.py\nnotebooks/2024_retention.ipynb",
               tur={"mode": "files_with_matches", "numFiles": 2,
                    "filenames": ["metrics/cohorts.py", "notebooks/2024_retention.ipynb"]})
    g = sub.assistant(HAIKU, [("text", "Reading the cohort module."),
                              ("tool", "Read", {"file_path": f"{p}/metrics/cohorts.py"})], delay=2)
    sub.read_ok(g[0], f"{p}/metrics/cohorts.py", [
        "def signup_cohorts(df):", "    first = df.groupby('customer_id')['issued_at'].min()",
        "    return first.dt.to_period('M').rename('cohort')", "",
        "def retained(df, cohort, month):",
        "    # NOTE: counts any invoice line, including setup fees",
        "    active = df[df['issued_at'].dt.to_period('M') == month]['customer_id']",
        "    return cohort.index.isin(active).sum()"])
    sub.assistant(HAIKU, [("text", "Findings:\n- metrics/cohorts.py: `signup_cohorts` (first invoice "
                                   "month) and `retained` (any invoice line in month, including "
                                   "setup fees, so it disagrees with the MRR definition).\n"
                                   "- notebooks/2024_retention.ipynb: ad-hoc 2024 retention, not "
                                   "importable.\nNo existing churn function.")], delay=3)
    sub_usage_total = sum(r["message"]["usage"]["output_tokens"] for r in sub.records
                          if r["type"] == "assistant")
    s.wait_for(sub)
    s.result(t[0], [{"type": "text", "text": "No existing churn function. metrics/cohorts.py has "
                                             "signup_cohorts and retained (counts setup fees)."}],
             tur={"status": "completed", "agentId": "a7c3e91", "totalDurationMs": 14230,
                  "totalTokens": sub.ctx + sub_usage_total, "totalToolUseCount": 2}, delay=1)
    body = ("\"\"\"Monthly logo and revenue churn (subscription lines only).\"\"\"\n"
            "import pandas as pd\n\nRECURRING = ['subscription', 'addon']\n\n\n"
            "def monthly_churn(df: pd.DataFrame) -> pd.DataFrame:\n"
            "    df = df[df['line_type'].isin(RECURRING)]\n"
            "    m = df.assign(month=df['issued_at'].dt.to_period('M'))\n"
            "    mrr = m.groupby(['month', 'customer_id'])['amount_usd'].sum().unstack(fill_value=0)\n"
            "    prev, cur = mrr.shift(1), mrr\n"
            "    lost = (prev > 0) & (cur == 0)\n"
            "    return pd.DataFrame({\n"
            "        'logo_churn': lost.sum(axis=1) / (prev > 0).sum(axis=1),\n"
            "        'revenue_churn': (prev * lost).sum(axis=1) / prev.sum(axis=1),\n"
            "    }).dropna()\n")
    t = s.assistant(OPUS, [
        ("text", "No churn code exists, and `retained` counts setup fees, so I'll write a separate "
                 "module rather than reuse it."),
        ("tool", "Write", {"file_path": f"{p}/metrics/churn.py", "content": body}),
    ])
    s.result(t[0], f"File created successfully at: {p}/metrics/churn.py",
             tur={"type": "create", "filePath": f"{p}/metrics/churn.py", "content": body})
    t = s.assistant(OPUS, [("tool", "Bash", {"command": "pytest tests/test_churn.py -q",
                                             "description": "Run churn tests"})])
    s.bash_ok(t[0], "....                                                     [100%]\n4 passed in 0.41s")
    t = s.assistant(OPUS, [("tool", "Bash", {"command": "python -c 'import pandas as pd; from "
                                                        "metrics.churn import monthly_churn; df=pd.read_csv("
                                                        "\"data/invoices_2025.csv\", parse_dates=[\"issued_at\"]);"
                                                        " print(monthly_churn(df).round(4).to_string())'",
                                             "description": "Compute 2025 churn"})])
    s.bash_ok(t[0], "         logo_churn  revenue_churn\nmonth\n2025-02      0.0312         0.0241\n"
                    "2025-03      0.0287         0.0198\n2025-06      0.0254         0.0176\n"
                    "2025-09      0.0231         0.0162\n2025-12      0.0219         0.0149")
    s.assistant(OPUS, [("text", "Monthly churn for 2025 (subscription + addon lines):\n\n"
                                "- Logo churn fell from 3.1% (Feb) to 2.2% (Dec).\n"
                                "- Revenue churn fell from 2.4% to 1.5%; it is lower than logo churn "
                                "because churned customers skew to the starter plan.\n\n"
                                "Code in `metrics/churn.py`, tests pass.")])
    s.user("thanks, commit it on a new branch", delay=70)
    t = s.assistant(OPUS, [("tool", "Bash", {"command": "git checkout -b feat/churn && git add "
                                                        "metrics/churn.py && git commit -m 'Add monthly "
                                                        "logo and revenue churn'",
                                             "description": "Commit churn module on new branch"})])
    s.bash_ok(t[0], "Switched to a new branch 'feat/churn'\n[feat/churn 4e1b9c2] Add monthly logo and "
                    "revenue churn\n 1 file changed, 19 insertions(+)\n create mode 100644 metrics/churn.py")
    s.branch = "feat/churn"
    s.assistant(OPUS, [("text", "Committed as 4e1b9c2 on `feat/churn`.")])
    return s


def alice_board_pack():
    s = Session("alice", "board", ALICE_CWD, "feat/churn", "2.1.14", utc(2026, 2, 11, 16, 40, 3))
    p = ALICE_CWD
    s.user("Add a quarterly rollup of MRR and churn to reports/board_pack.md", delay=0)
    t = s.assistant(SONNET, [("tool", "Read", {"file_path": f"{p}/reports/board_pack.md"})])
    s.read_ok(t[0], f"{p}/reports/board_pack.md", [
        "# Board pack: FY2026 Q4", "", "## Revenue", "", "TODO: MRR rollup", "", "## Retention", "",
        "TODO: churn rollup"])
    old = "TODO: MRR rollup"
    new = ("| Quarter | Ending MRR | QoQ |\n|---|---|---|\n| Q1 | 76,370 | n/a |\n"
           "| Q2 | 84,660 | +10.9% |\n| Q3 | 91,230 | +7.8% |\n| Q4 | 101,050 | +10.8% |")
    t = s.assistant(SONNET, [
        ("text", "I'll use calendar quarters and the ending month's MRR for each quarter."),
        ("tool", "Edit", {"file_path": f"{p}/reports/board_pack.md", "old_string": old, "new_string": new}),
    ])
    s.edit_ok(t[0], f"{p}/reports/board_pack.md", old, new)
    s.assistant(SONNET, [("text", "Added the MRR rollup; the churn table is next.")])
    s.command("compact", delay=60)
    s.system("compact_boundary", "Conversation compacted", delay=22,
             compactMetadata={"trigger": "manual", "preTokens": 48211})
    s.user("This session is being continued from a previous conversation that ran out of context. "
           "The conversation is summarized below:\nAnalysis: The user asked for a quarterly rollup of "
           "MRR and churn in reports/board_pack.md. MRR excludes setup fees; churn is monthly. The "
           "MRR table was added using calendar quarters.", delay=0, isCompactSummary=True,
           isVisibleInTranscriptOnly=True)
    s.ctx, s.pending = 0, 14900  # fresh context after compaction
    s.user("Now double-check the Q4 numbers against finance's export in data/q4_check.csv", delay=45)
    t = s.assistant(SONNET, [
        ("text", "Comparing the December figures with the finance export."),
        ("tool", "Grep", {"pattern": "2025-1[0-2]", "path": f"{p}/data/q4_check.csv",
                          "output_mode": "content", "-n": True}),
    ])
    s.result(t[0], "2:2025-10,94710.00\n3:2025-11,97640.00\n4:2025-12,101050.00",
             tur={"mode": "content", "numFiles": 1, "numLines": 3})
    s.assistant(SONNET, [("text", "Q4 matches finance's export exactly: Oct 94,710, Nov 97,640, "
                                  "Dec 101,050.")])
    return s


# =============================================================================================
# bob -- data engineer, dbt warehouse
# =============================================================================================
BOB_CWD = "/home/bob/src/warehouse-etl"


def bob_dupes():
    s = Session("bob", "dupes", BOB_CWD, "fix/fct-revenue-dupes", "2.1.12", utc(2026, 2, 10, 13, 20, 5))
    p = BOB_CWD
    first = s.uuid()
    s.raw({"type": "file-history-snapshot", "messageId": first,
           "snapshot": {"messageId": first, "trackedFileBackups": {
               "models/marts/fct_revenue.sql": {"backupFileName": "9c41e2d07b5a1f3e@v1", "version": 1,
                                                "backupTime": s.ts()}},
               "timestamp": s.ts()}, "isSnapshotUpdate": False})
    s.user("fct_revenue has duplicate rows since yesterday's run — row count jumped from 1.2M to "
           "2.4M. Find out why.", delay=0, uid=first)
    t = s.assistant(SONNET, [
        ("thinking", "A doubling suggests a fan-out join. Find which models feed fct_revenue."),
        ("tool", "Grep", {"pattern": "ref\\('(stg_invoices|dim_customers)'\\)", "path": f"{p}/models",
                          "output_mode": "files_with_matches"}),
    ])
    s.result(t[0], "Found 3 files\nmodels/marts/fct_revenue.sql\nmodels/marts/fct_arr.sql\n"
                   "models/marts/dim_customers.sql",
             tur={"mode": "files_with_matches", "numFiles": 3,
                  "filenames": ["models/marts/fct_revenue.sql", "models/marts/fct_arr.sql",
                                "models/marts/dim_customers.sql"]})
    t = s.assistant(SONNET, [
        ("text", "Reading the fact model and the customer dimension it joins to."),
        ("tool", "Read", {"file_path": f"{p}/models/marts/fct_revenue.sql"}),
        ("tool", "Read", {"file_path": f"{p}/models/marts/dim_customers.sql"}),
    ])
    s.read_ok(t[0], f"{p}/models/marts/fct_revenue.sql", [
        "select", "    i.invoice_id,", "    i.line_type,", "    i.amount_usd,", "    c.segment,",
        "    c.region", "from {{ ref('stg_invoices') }} i",
        "left join {{ ref('dim_customers') }} c", "    on i.customer_id = c.customer_id"])
    s.read_ok(t[1], f"{p}/models/marts/dim_customers.sql", [
        "{{ config(materialized='table') }}", "-- SCD2 since PR #402: one row per customer version",
        "select customer_id, segment, region, valid_from, valid_to,",
        "       valid_to is null as is_current", "from {{ ref('snap_customers') }}"])
    t = s.assistant(SONNET, [("tool", "Bash", {
        "command": "duckdb warehouse.duckdb \"select count(*) as n, count(distinct customer_id) as "
                   "customers from dim_customers\"", "description": "Check dim_customers grain"})])
    s.bash_ok(t[0], "┌────────┬───────────┐\n│   n    │ customers │\n├────────┼───────────┤\n"
                    "│  8214  │   4107    │\n└────────┴───────────┘")
    old = "    on i.customer_id = c.customer_id"
    new = "    on i.customer_id = c.customer_id\n   and c.is_current"
    t = s.assistant(SONNET, [
        ("thinking", "dim_customers became SCD2 (PR #402), two versions per customer, so the join "
                     "fans out 2x. Restrict to the current version."),
        ("text", "Found it: PR #402 turned `dim_customers` into an SCD2 table (8,214 rows for "
                 "4,107 customers), so the join doubles every invoice line. Joining only the "
                 "current version fixes the grain."),
        ("tool", "Edit", {"file_path": f"{p}/models/marts/fct_revenue.sql", "old_string": old,
                          "new_string": new}),
    ])
    s.edit_ok(t[0], f"{p}/models/marts/fct_revenue.sql", old, new)
    t = s.assistant(SONNET, [("tool", "Bash", {"command": "dbt build --select fct_revenue+",
                                               "description": "Rebuild fct_revenue and children"})])
    s.bash_ok(t[0], "13:27:41  Running with dbt=1.9.2\n13:27:44  Found 48 models, 112 data tests\n"
                    "13:28:02  1 of 7 OK created sql table model marts.fct_revenue .... [OK in 9.81s]\n"
                    "13:28:19  Completed successfully\n13:28:19  Done. PASS=7 WARN=0 ERROR=0 SKIP=0 "
                    "TOTAL=7", delay=38)
    s.assistant(SONNET, [("text", "Rebuilt: fct_revenue is back to 1.21M rows and all 7 downstream "
                                  "models/tests pass. Want me to file an issue so the dim_customers "
                                  "owner adds a uniqueness test on the current row?")])
    s.user("ok", delay=35)
    t = s.assistant(SONNET, [("tool", "mcp__github__create_issue", {
        "owner": "acme-corp", "repo": "warehouse-etl",
        "title": "dim_customers SCD2 change fans out joins (fct_revenue doubled)",
        "body": "Since #402 dim_customers has one row per customer version. fct_revenue joined "
                "without `is_current` and doubled to 2.4M rows. Fixed on fix/fct-revenue-dupes; "
                "please add a `unique` test on customer_id where is_current and audit fct_arr.",
        "labels": ["bug", "dbt", "data-quality"]})])
    s.result(t[0], [{"type": "text", "text": "{\"number\":318,\"html_url\":\"https://github.com/"
                                             "acme-corp/warehouse-etl/issues/318\",\"state\":\"open\"}"}])
    s.assistant(SONNET, [("text", "Filed acme-corp/warehouse-etl#318.")])
    s.command("review", "412", delay=300)
    t = s.assistant(SONNET, [("tool", "Bash", {"command": "gh pr diff 412",
                                               "description": "Show PR 412 diff"})])
    s.bash_ok(t[0], "diff --git a/models/marts/fct_arr.sql b/models/marts/fct_arr.sql\n"
                    "@@ -9,3 +9,4 @@ left join {{ ref('dim_customers') }} c\n"
                    "     on a.customer_id = c.customer_id\n+   and c.is_current")
    s.assistant(SONNET, [("text", "PR #412 applies the same `is_current` fix to fct_arr. Looks "
                                  "correct; I'd add a row-count test so the next SCD change fails "
                                  "loudly instead of silently doubling.")])
    return s


def bob_deploy():
    s = Session("bob", "deploy", BOB_CWD, "main", "2.1.12", utc(2026, 2, 11, 10, 5, 47))
    s.user("Deploy the fct_revenue fix to prod with our deploy skill", delay=0)
    t = s.assistant(SONNET, [("text", "Using the team's deploy skill."),
                             ("tool", "Skill", {"skill": "acme-tools:deploy"})])
    s.result(t[0], "Launching skill: acme-tools:deploy",
             tur={"success": True, "commandName": "acme-tools:deploy"})
    s.user([{"type": "text", "text": "Base directory for this skill: /home/bob/.claude/plugins/"
                                     "acme-tools/skills/deploy\n\nAlways run `acme-deploy plan` and "
                                     "show the plan before `apply`."}], delay=0, isMeta=True)
    t = s.assistant(SONNET, [("tool", "Bash", {"command": "acme-deploy plan --env prod --target dbt",
                                               "description": "Plan prod dbt deploy"})])
    s.bash_ok(t[0], "plan: env=prod target=dbt\n  ~ models/marts/fct_revenue.sql\n"
                    "  ~ models/marts/fct_arr.sql\n2 changes, 0 destroys", delay=9)
    t = s.assistant(SONNET, [("text", "Plan shows the two model changes only. Applying."),
                             ("tool", "Bash", {"command": "acme-deploy apply --env prod --target dbt --yes",
                                               "description": "Apply prod dbt deploy",
                                               "timeout": 1800000})])
    s.advance(40)  # typed while the apply is running
    s.raw({"type": "queue-operation", "operation": "enqueue", "timestamp": s.ts(),
           "sessionId": s.session_id, "content": "also post in #data-eng when done"})
    s.bash_ok(t[0], "apply: env=prod target=dbt\n  fct_revenue ... rebuilt (1,208,544 rows)\n"
                    "  fct_arr ... rebuilt\ndeploy 2026-02-11.3 complete", delay=12 * 60)
    s.assistant(SONNET, [("text", "Deployed to prod as 2026-02-11.3; fct_revenue has 1,208,544 rows.")])
    s.user("also post in #data-eng when done", delay=1)
    s.synthetic_error(529, "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                           "\"message\":\"Overloaded\"}}", "overloaded", delay=48)
    s.user("try again", delay=90)
    t = s.assistant(SONNET, [("tool", "Bash", {"command": "acme-notify slack --channel data-eng "
                                                          "--text 'fct_revenue dupes fix deployed to prod "
                                                          "(2026-02-11.3), see warehouse-etl#318'",
                                               "description": "Notify #data-eng"})])
    s.bash_ok(t[0], "posted to #data-eng (ts=1770805112.004219)")
    s.assistant(SONNET, [("text", "Posted in #data-eng.")])
    return s


def bob_question():
    s = Session("bob", "question", BOB_CWD, "main", "2.1.12", utc(2026, 2, 11, 17, 31, 12))
    s.user("what's the dbt flag to only build models changed vs prod?", delay=0)
    s.assistant(HAIKU, [("text", "`dbt build --select state:modified+ --state path/to/prod-manifest/` "
                                 "builds changed models and their children; add `--defer` to read "
                                 "unchanged parents from prod.")], request_id=False)
    s.user("does --defer need the prod manifest too?", delay=25)
    s.assistant(HAIKU, [("text", "Yes, `--defer` uses the same `--state` manifest to resolve "
                                 "unbuilt refs to prod relations.")])
    return s


# =============================================================================================
# carol -- engineering lead, billing service
# =============================================================================================
CAROL_CWD = "/home/carol/work/billing-service"


def carol_quarterly():
    s = Session("carol", "quarterly", CAROL_CWD, "main", "2.1.14", utc(2026, 2, 10, 23, 47, 10),
                cache_ttl="1h")
    p = CAROL_CWD
    s.user("Add a GET /v1/revenue/quarterly endpoint that returns recognized revenue per quarter. "
           "Look at how the monthly one is built first.", delay=0)
    t = s.assistant(OPUS, [
        ("thinking", "There is an existing monthly endpoint. Delegate mapping it to an Explore "
                     "agent to keep this context small."),
        ("text", "I'll have an Explore agent map the monthly endpoint first."),
        ("tool", "Agent", {"description": "Map monthly revenue endpoint",
                           "prompt": "Find the GET /v1/revenue/monthly endpoint: route, service "
                                     "function, how periods are bucketed, tests.",
                           "subagent_type": "Explore"}),
    ])
    sub = s.subagent("b41d0f6e", "quarterly-sub",
                     meta={"agentType": "Explore", "model": HAIKU, "spawnDepth": 1})
    sub.user("Find the GET /v1/revenue/monthly endpoint: route, service function, how periods are "
             "bucketed, tests.", delay=1)
    g = sub.assistant(HAIKU, [("tool", "Grep", {"pattern": "revenue/monthly", "path": p,
                                                "output_mode": "content", "-n": True})], delay=2)
    sub.result(g[0], "app/api/revenue.py:18:@router.get(\"/v1/revenue/monthly\")\n"
                     "tests/api/test_revenue.py:9:    r = client.get(\"/v1/revenue/monthly?year=2025\")",
               tur={"mode": "content", "numFiles": 2, "numLines": 2})
    g = sub.assistant(HAIKU, [("text", "Reading the route and its service."),
                              ("tool", "Read", {"file_path": f"{p}/app/api/revenue.py"}),
                              ("tool", "Read", {"file_path": f"{p}/app/services/recognition.py",
                                                "limit": 6})], delay=2)
    sub.read_ok(g[0], f"{p}/app/api/revenue.py", [
        "from fastapi import APIRouter", "from app.services.recognition import recognized_by_period",
        "", "router = APIRouter()", "", "@router.get(\"/v1/revenue/monthly\")",
        "def monthly(year: int):", "    return recognized_by_period(year, period='month')"], total=31)
    sub.read_ok(g[1], f"{p}/app/services/recognition.py", [
        "def recognized_by_period(year, period):",
        "    rows = load_recognized(year)",
        "    key = PERIOD_KEYS[period]  # month -> 'YYYY-MM'",
        "    return aggregate(rows, key)", "",
        "PERIOD_KEYS = {'month': lambda d: d.strftime('%Y-%m')}"], total=88)
    sub.assistant(HAIKU, [("text", "Route: app/api/revenue.py `monthly(year)` calls "
                                   "`recognized_by_period(year, period='month')` in "
                                   "app/services/recognition.py. Buckets come from `PERIOD_KEYS` "
                                   "(only 'month'). Test: tests/api/test_revenue.py.")], delay=3)
    s.wait_for(sub)
    s.result(t[0], [{"type": "text", "text": "monthly() -> recognized_by_period(year, 'month'); "
                                             "buckets via PERIOD_KEYS in app/services/recognition.py; "
                                             "tests in tests/api/test_revenue.py."}],
             tur={"status": "completed", "agentId": "b41d0f6e", "totalDurationMs": 18870,
                  "totalToolUseCount": 3}, delay=1)
    s.assistant(OPUS, [("text", "Plan: add a 'quarter' entry to `PERIOD_KEYS` that buckets by "
                                "calendar quarter (Jan–Mar = Q1), and a `/v1/revenue/quarterly` "
                                "route next to the monthly one. OK to proceed?")])
    s.advance(5)
    s.raw({"type": "acme-telemetry-ping", "sessionId": s.session_id, "timestamp": s.ts(),
           "probe": {"name": "latency", "ms": 412, "region": "eu-west-1"}})
    # crosses midnight UTC (2026-02-10 -> 2026-02-11)
    s.user("FYI our convention is that fiscal quarters start in February: Q1 is Feb–Apr, and the "
           "fiscal year is named for the calendar year it ends in (Feb 2025–Jan 2026 is FY2026).",
           delay=14 * 60)
    old = "PERIOD_KEYS = {'month': lambda d: d.strftime('%Y-%m')}"
    new = ("def fiscal_quarter(d):\n"
           "    # fiscal year starts 1 Feb and is named for the calendar year it ends in\n"
           "    shifted = (d.month - 2) % 12\n"
           "    fy = d.year + (1 if d.month >= 2 else 0)\n"
           "    return f'FY{fy}-Q{shifted // 3 + 1}'\n\n"
           "PERIOD_KEYS = {'month': lambda d: d.strftime('%Y-%m'), 'quarter': fiscal_quarter}")
    t = s.assistant(OPUS, [
        ("thinking", "Fiscal quarters: Feb-Apr Q1, May-Jul Q2, Aug-Oct Q3, Nov-Jan Q4. January "
                     "belongs to the fiscal year ending that month, so FY = year for January and "
                     "year + 1 otherwise."),
        ("text", "Got it, fiscal quarters then, not calendar ones. January 2026 falls in FY2026 Q4."),
        ("tool", "Edit", {"file_path": f"{p}/app/services/recognition.py", "old_string": old,
                          "new_string": new}),
    ])
    s.edit_ok(t[0], f"{p}/app/services/recognition.py", old, new)
    old2 = "    return recognized_by_period(year, period='month')"
    new2 = (old2 + "\n\n\n@router.get(\"/v1/revenue/quarterly\")\n"
            "def quarterly(fiscal_year: int):\n"
            "    return recognized_by_period(fiscal_year, period='quarter')")
    t = s.assistant(OPUS, [("tool", "Edit", {"file_path": f"{p}/app/api/revenue.py",
                                             "old_string": old2, "new_string": new2})])
    s.edit_ok(t[0], f"{p}/app/api/revenue.py", old2, new2)
    t = s.assistant(OPUS, [("tool", "Bash", {"command": "pytest tests/api/test_revenue.py -q",
                                             "description": "Run revenue API tests"})])
    s.bash_ok(t[0], "......                                                   [100%]\n6 passed in 1.12s",
              delay=6)
    s.assistant(OPUS, [("text", "`GET /v1/revenue/quarterly?fiscal_year=2026` now returns FY2026-Q1 "
                                "… FY2026-Q4 (Feb 2025–Jan 2026). Tests pass. Shall I also add it "
                                "to openapi.yaml?")])
    s.user("yes", delay=30)
    old3 = "  /v1/revenue/monthly:"
    new3 = ("  /v1/revenue/quarterly:\n    get:\n      summary: Recognized revenue per fiscal "
            "quarter (FY starts 1 Feb)\n  /v1/revenue/monthly:")
    t = s.assistant(OPUS, [("tool", "Edit", {"file_path": f"{p}/openapi.yaml", "old_string": old3,
                                             "new_string": new3})])
    s.edit_ok(t[0], f"{p}/openapi.yaml", old3, new3)
    s.assistant(OPUS, [("text", "Added `/v1/revenue/quarterly` to openapi.yaml.")])
    return s


def carol_nightly():
    s = Session("carol", "nightly", CAROL_CWD, "perf/invoice-sync", "2.1.9", utc(2026, 2, 9, 8, 30, 2))
    p = CAROL_CWD
    s.user("The nightly invoice-sync job went from 6 to 40 minutes this week. Any obvious cause?",
           delay=0)
    t = s.assistant(SONNET, [
        ("text", "Checking the sync job's query pattern."),
        ("tool", "Grep", {"pattern": "def sync_invoices|for .* in .*invoices", "path": f"{p}/app/jobs",
                          "output_mode": "content", "-n": True}),
    ])
    s.result(t[0], "app/jobs/invoice_sync.py:22:def sync_invoices(since):\n"
                   "app/jobs/invoice_sync.py:27:    for inv in fetch_invoices(since):\n"
                   "app/jobs/invoice_sync.py:28:        customer = Customer.get(inv.customer_id)",
             tur={"mode": "content", "numFiles": 1, "numLines": 3})
    t = s.assistant(SONNET, [("tool", "Bash", {
        "command": "git log --since=2026-02-02 --oneline -- app/jobs/invoice_sync.py app/models/customer.py",
        "description": "Recent changes to sync job"})])
    s.bash_ok(t[0], "b7d21a4 Drop customer cache in Customer.get (stale segment bug)\n"
                    "0c9e118 Bump invoice page size to 500")
    s.assistant(SONNET, [("text", "Likely cause: b7d21a4 removed the cache in `Customer.get`, and "
                                  "the sync loop calls it once per invoice (line 28), so every "
                                  "invoice is now a DB round-trip. Prefetching customers per page "
                                  "(one `IN` query) would restore it without reintroducing the "
                                  "stale-segment bug.")])
    return s


# =============================================================================================
def build():
    a1 = alice_mrr()
    last_uuid = [r["uuid"] for r in a1.records if "uuid" in r][-1]
    return {
        "alice": [a1, alice_churn(last_uuid), alice_board_pack()],
        "bob": [bob_dupes(), bob_deploy(), bob_question()],
        "carol": [carol_quarterly(), carol_nightly()],
    }


def main(argv):
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "user_sessions"
    written = []
    for user, sessions in build().items():
        for s in sessions:
            path = out / user / f"{s.session_id}.jsonl"
            write(path, s.lines())
            written.append(path)
            for agent_id, sub, meta in s.subagents:
                d = out / user / s.session_id / "subagents"
                write(d / f"agent-{agent_id}.jsonl", sub.lines())
                written.append(d / f"agent-{agent_id}.jsonl")
                if meta is not None:
                    write(d / f"agent-{agent_id}.meta.json",
                          json.dumps(meta, separators=(",", ":")) + "\n")
                    written.append(d / f"agent-{agent_id}.meta.json")
    for path in written:
        print(f"{path.stat().st_size:7d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
