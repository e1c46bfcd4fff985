"""From data to findings: what participants said (and wrote) during each task.

* :func:`verbatims` joins transcript cues to the task during which they were spoken:
  a cue belongs to the task whose ``[startOffset, endOffset)`` holds its start.
  With ``written=True`` the written answers of each task join them, so "everything
  said or written about task 3" is one frame.
* :func:`kwic` (keyword in context) finds a word in those texts and shows it with the
  words around it, as a researcher scans for quotes.
* :func:`phrase_counts` counts the most frequent phrases per task, stop words removed
  (:func:`ut_notebook.charts.top_phrases` draws them).

Nothing here makes a request: load the frames first.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +SKIP
>>> details = ut.load_session_details(TEST_ID)                            # doctest: +SKIP
>>> cues = ut.load_transcripts(TEST_ID)                                   # doctest: +SKIP
>>> said = ut.verbatims(details, cues, written=True)                      # doctest: +SKIP
>>> ut.kwic(said, "confus", width=40)                                     # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .frames import DURATION, typed_frame

__all__ = [
    "KWIC_COLUMNS",
    "PHRASE_SCHEMA",
    "STOP_WORDS",
    "VERBATIM_SCHEMA",
    "kwic",
    "phrase_counts",
    "verbatims",
]

# ``task`` is the task's text and ``text`` what was said (or written): both are texts,
# so the task's takes the shorter name that says whose it is.
VERBATIM_SCHEMA: dict[str, str] = {
    "sessionId": "string",
    "position": "Int64",
    "taskId": "string",
    "task": "category",
    "start": DURATION,  # of the cue, since the session started; NaT for written answers
    "end": DURATION,
    "speaker": "category",
    "text": "string",
    "source": "category",  # "spoken" (a transcript cue) or "written" (a task's answer)
}
SOURCES = ("spoken", "written")
KWIC_COLUMNS: dict[str, str] = {"left": "string", "keyword": "string", "right": "string"}
PHRASE_SCHEMA: dict[str, str] = {
    "position": "Int64",
    "taskId": "string",
    "task": "category",
    "phrase": "string",
    "count": "Int64",  # how many verbatims use the phrase (once each, however often)
    "sessions": "Int64",  # how many sessions those verbatims come from
}

# English function words and the fillers of spoken answers ("um", "like", "okay"): the
# words that top every count and say nothing about the product.
_STOP_TEXT = """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each few for from further get gets got had
    hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
    just let's me might more most much must mustn't my myself no nor not now of off on
    once only or other ought our ours ourselves out over own really same shan't she she'd
    she'll she's should shouldn't so some still such than that that's the their theirs
    them themselves then there there's these they they'd they'll they're they've this
    those through to too under until up us very was wasn't we we'd we'll we're we've were
    weren't what what's when when's where where's which while who who's whom why why's
    will with won't would wouldn't you you'd you'll you're you've your yours yourself
    yourselves yes yeah okay ok um uh hmm oh like well so guess think thing things kind
    sort going gonna want wanna see let lot bit maybe actually pretty one two go
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*")


def _tasks_frame(details: Any) -> pd.DataFrame:
    tasks = getattr(details, "tasks", details)  # a SessionDetails or its tasks frame
    if not isinstance(tasks, pd.DataFrame):
        raise TypeError(
            "verbatims() takes the result of ut.load_session_details() (or its .tasks "
            f"frame), not {type(details).__name__}."
        )
    need = ("sessionId", "taskId", "position", "text", "startOffset", "endOffset")
    missing = [c for c in need if c not in tasks.columns]
    if missing:
        raise ValueError(f"verbatims(): the tasks frame has no column(s) {', '.join(missing)}.")
    return tasks


def _cues_frame(cues: Any) -> pd.DataFrame:
    if not isinstance(cues, pd.DataFrame):
        raise TypeError(
            "verbatims() takes transcript cues from ut.load_transcripts() or "
            f"ut.load_transcript(), not {type(cues).__name__}."
        )
    missing = [c for c in ("start", "end", "text") if c not in cues.columns]
    if missing:
        raise ValueError(f"verbatims(): the cues frame has no column(s) {', '.join(missing)}.")
    if "sessionId" not in cues.columns:
        # One session's transcript (load_transcript) names its session in attrs.
        sid = cues.attrs.get("sessionId")
        if not sid:
            raise ValueError(
                "verbatims(): the cues have no sessionId column and no attrs['sessionId']: "
                "use ut.load_transcripts(), or add the column."
            )
        cues = cues.assign(sessionId=sid)
    if "speaker" not in cues.columns:
        cues = cues.assign(speaker=pd.NA)
    return cues


def verbatims(details: Any, cues: Any, *, written: bool = False) -> pd.DataFrame:
    """Transcript cues joined to the task during which they were spoken.

    Args:
        details: :func:`~ut_notebook.load_session_details`'s result or its ``tasks``.
        cues: :func:`~ut_notebook.load_transcripts` (many sessions) or
            :func:`~ut_notebook.load_transcript` (one session) cues.
        written: also add each task's written answer (``written`` column of the tasks
            frame) as a row with ``source == "written"``, no times and no speaker.

    Returns:
        One row per cue (and written answer): ``sessionId``, ``position``, ``taskId``,
        ``task`` (the task's text), ``start``, ``end``, ``speaker``, ``text`` (what was
        said or written) and ``source`` (``spoken``/``written``), in session order then
        time. A cue belongs to the task whose ``[startOffset, endOffset)`` holds its
        start (the latest-starting one if tasks overlap); a cue outside every task keeps
        ``<NA>`` task columns. Columns and dtypes are the same when empty.

    >>> said = ut.verbatims(details, cues, written=True)                  # doctest: +SKIP
    >>> said[said["position"] == 3]   # all that was said or written on task 3  # doctest: +SKIP
    """
    tasks = _tasks_frame(details)
    cues = _cues_frame(cues)
    timed = tasks[tasks["startOffset"].notna().to_numpy() & tasks["endOffset"].notna().to_numpy()]
    timed = timed[["sessionId", "taskId", "position", "text", "startOffset", "endOffset"]]
    spoken = cues[["sessionId", "start", "end", "speaker", "text"]].reset_index(drop=True)
    spoken = spoken.assign(
        sessionId=spoken["sessionId"].astype("string"),
        speaker=spoken["speaker"].astype("string"),
        text=spoken["text"].astype("string"),
        _row=range(len(spoken)),
    )
    # A cross join per session, then the holding task: small (cues x tasks of a session),
    # and right where tasks overlap, unlike an as-of merge on the start alone.
    pairs = spoken.merge(
        timed.rename(columns={"text": "task"}).assign(
            sessionId=timed["sessionId"].astype("string")
        ),
        on="sessionId",
        how="inner",
    )
    holds = (pairs["start"] >= pairs["startOffset"]) & (pairs["start"] < pairs["endOffset"])
    held = (
        pairs[holds.fillna(False).to_numpy()]
        .sort_values(["_row", "startOffset"])
        .drop_duplicates("_row", keep="last")
        .set_index("_row")
    )
    out = spoken.set_index("_row")
    for column in ("taskId", "position", "task"):
        out[column] = held[column].reindex(out.index)
    out["source"] = "spoken"
    parts = [out.reset_index()]
    if written and "written" in tasks.columns:
        answers = tasks[tasks["written"].notna().to_numpy()]
        if len(answers):
            parts.append(
                pd.DataFrame(
                    {
                        "sessionId": answers["sessionId"].astype("string").to_numpy(),
                        "taskId": answers["taskId"].to_numpy(),
                        "position": answers["position"].to_numpy(),
                        "task": answers["text"].astype("string").to_numpy(),
                        "start": pd.NaT,
                        "end": pd.NaT,
                        "speaker": pd.NA,
                        "text": answers["written"].astype("string").to_numpy(),
                        "source": "written",
                        # After the task's cues: an answer is written at the task's end.
                        "_row": len(spoken),
                    }
                )
            )
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    rows = _sort(rows, list(dict.fromkeys(spoken["sessionId"].tolist())))
    frame = typed_frame(rows[list(VERBATIM_SCHEMA)].to_dict("records"), VERBATIM_SCHEMA)
    frame["source"] = frame["source"].astype(pd.CategoricalDtype(SOURCES))
    # The task's categories in plan order, so charts and groupbys list tasks as run.
    order = (
        rows.dropna(subset=["task"]).sort_values("position")["task"].astype(str).drop_duplicates()
    )
    frame["task"] = frame["task"].astype("string").astype(pd.CategoricalDtype(list(order)))
    frame.attrs.update({k: v for k, v in cues.attrs.items() if k == "testId"})
    return frame


def _sort(rows: pd.DataFrame, session_order: list[str]) -> pd.DataFrame:
    """Sessions in the cues' order (then any only written about), each by time; a
    written answer after the cues of its task."""
    rank = {sid: i for i, sid in enumerate(session_order)}
    key_session = rows["sessionId"].map(lambda s: rank.get(s, len(rank)))
    # Written answers have no time: place them at their task's end, by position.
    position = pd.to_numeric(rows["position"], errors="coerce")
    return (
        rows.assign(_s=key_session.to_numpy(), _p=position.to_numpy())
        .sort_values(["_s", "sessionId", "start", "_p", "_row"], na_position="last", kind="stable")
        .reset_index(drop=True)
    )


def kwic(
    frame: pd.DataFrame,
    keyword: str,
    *,
    width: int = 40,
    column: str = "text",
    regex: bool = False,
    case: bool = False,
) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``keyword`` in ``frame[column]``, with up
    to ``width`` characters either side.

    ``keyword`` is a plain substring (``"confus"`` finds "confusing" and "confused")
    unless ``regex=True``; case is ignored unless ``case=True``. Returns one row per
    occurrence: the row's columns plus ``left``, ``keyword`` (as written) and ``right``
    (cut at a word boundary when possible, "…" where cut), in the frame's order. An
    empty result has the same columns.

    >>> said = pd.DataFrame({"text": ["The fee was confusing.", "Nothing confused me"]})
    >>> kwic(said, "confus", width=8)[["left", "keyword", "right"]].values.tolist()
    [['…fee was ', 'confus', 'ing.'], ['Nothing ', 'confus', 'ed me']]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"kwic() takes a DataFrame, not {type(frame).__name__}.")
    if column not in frame.columns:
        raise ValueError(f"kwic(): the frame has no column {column!r}.")
    if not keyword:
        raise ValueError("kwic(): give a keyword to look for.")
    if width < 0:
        raise ValueError("kwic(): width must be 0 or more.")
    pattern = re.compile(keyword if regex else re.escape(keyword), 0 if case else re.IGNORECASE)
    taken: list[int] = []
    found: list[dict[str, str]] = []
    texts = frame[column].astype("string")
    for index, text in enumerate(texts.tolist()):
        if text is None or text is pd.NA:
            continue
        for match in pattern.finditer(text):
            if match.end() == match.start():
                continue  # an empty match (e.g. regex "x*") has no context to show
            taken.append(index)
            found.append(
                {
                    "left": _left(text[: match.start()], width),
                    "keyword": match.group(),
                    "right": _right(text[match.end() :], width),
                }
            )
    out = frame.iloc[taken].reset_index(drop=True)
    context = typed_frame(found, KWIC_COLUMNS)
    for name in KWIC_COLUMNS:
        out[name] = context[name].to_numpy() if len(out) else context[name]
    return out


def _left(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    if len(text) <= width:
        return text
    cut = text[len(text) - width :]
    space = cut.find(" ")
    # Start at a word boundary when one is near, so the context does not open mid-word.
    if text[len(text) - width - 1] != " " and 0 <= space < width // 2:
        cut = cut[space + 1 :]
    return "…" + cut


def _right(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    if len(text) <= width:
        return text
    cut = text[:width]
    space = cut.rfind(" ")
    if text[width] != " " and space > width // 2:
        cut = cut[:space]
    return cut + "…"


def _phrases(text: str, sizes: tuple[int, ...], stop_words: frozenset[str]) -> set[str]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    found = set()
    for n in sizes:
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            # A phrase neither starts nor ends with a stop word ("the delivery fee" counts
            # as "delivery fee").
            if gram[0] in stop_words or gram[-1] in stop_words:
                continue
            if all(w.isdigit() for w in gram) or (n == 1 and len(gram[0]) < 3):
                continue  # numbers alone ("4 99" of $4.99) and bits of words say nothing
            found.add(" ".join(gram))
    return found


def phrase_counts(
    verbatims: pd.DataFrame,
    *,
    words: int | Iterable[int] = (1, 2),
    top: int = 10,
    stop_words: Iterable[str] | None = None,
    min_count: int = 2,
) -> pd.DataFrame:
    """The most frequent phrases per task, stop words removed.

    Args:
        verbatims: :func:`verbatims`'s frame (or any frame with ``text`` and, for a
            split per task, ``taskId``/``position``/``task``).
        words: phrase lengths in words: ``1`` (single words), ``2`` (two-word
            phrases) or several, e.g. ``(1, 2)``.
        top: how many phrases per task.
        stop_words: the words to ignore (default :data:`STOP_WORDS`: English function
            words and spoken fillers); pass ``STOP_WORDS | {"app"}`` to add some.
        min_count: leave out phrases used by fewer verbatims than this.

    Returns:
        ``position``, ``taskId``, ``task``, ``phrase``, ``count`` (verbatims using it:
        once each, so one talkative participant does not dominate a cue), ``sessions``;
        tasks in plan order (cues outside every task last, with ``<NA>`` task), phrases
        by count. A longer phrase that is as frequent as the shorter one in it replaces
        it ("delivery fee" over "fee").

    >>> said = pd.DataFrame({"sessionId": ["a", "b"], "text": ["The delivery fee!", "A fee."]})
    >>> phrase_counts(said, min_count=1)[["phrase", "count"]].values.tolist()
    [['fee', 2], ['delivery fee', 1]]
    """
    if not isinstance(verbatims, pd.DataFrame) or "text" not in verbatims.columns:
        raise ValueError("phrase_counts() takes a frame with a 'text' column (ut.verbatims()).")
    sizes = (words,) if isinstance(words, int) else tuple(words)
    if not sizes or any(not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError("phrase_counts(): words must be 1 or more (or several such).")
    stops = STOP_WORDS if stop_words is None else frozenset(w.lower() for w in stop_words)
    frame = verbatims.reset_index(drop=True)
    if "taskId" in frame.columns:
        keys = frame["taskId"].astype("string")
    else:
        keys = pd.Series(pd.NA, index=frame.index, dtype="string")
    sessions = (
        frame["sessionId"].astype("string")
        if "sessionId" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    rows: list[dict[str, Any]] = []
    order = _task_keys(frame, keys)
    for key, position, task in order:
        mask = keys.isna() if key is None else keys.eq(key).fillna(False)
        counts: Counter[str] = Counter()
        who: dict[str, set[Any]] = {}
        for text, sid in zip(
            frame.loc[mask.to_numpy(), "text"].tolist(),
            sessions[mask.to_numpy()].tolist(),
            strict=True,
        ):
            if text is None or text is pd.NA:
                continue
            for phrase in _phrases(str(text), sizes, stops):
                counts[phrase] += 1
                who.setdefault(phrase, set()).add(sid)
        kept = _drop_contained(counts)
        ranked = sorted((p for p in kept if counts[p] >= min_count), key=lambda p: (-counts[p], p))
        for phrase in ranked[:top]:
            rows.append(
                {
                    "position": position,
                    "taskId": key,
                    "task": task,
                    "phrase": phrase,
                    "count": counts[phrase],
                    "sessions": len({s for s in who[phrase] if s is not None and s is not pd.NA}),
                }
            )
    out = typed_frame(rows, PHRASE_SCHEMA)
    out["task"] = (
        out["task"]
        .astype("string")
        .astype(pd.CategoricalDtype(list(dict.fromkeys(t for _, _, t in order if t is not None))))
    )
    return out


def _task_keys(frame: pd.DataFrame, keys: pd.Series) -> list[tuple[str | None, Any, Any]]:
    """``(taskId, position, task text)`` of each task in plan order; ``None`` (outside
    every task) last."""
    seen: dict[str | None, tuple[Any, Any]] = {}
    positions = (
        frame["position"] if "position" in frame.columns else pd.Series(pd.NA, index=frame.index)
    )
    texts = frame["task"] if "task" in frame.columns else pd.Series(pd.NA, index=frame.index)
    for key, position, text in zip(keys.tolist(), positions.tolist(), texts.tolist(), strict=True):
        key = None if key is pd.NA or key is None else str(key)
        if key not in seen:
            text = None if text is None or text is pd.NA or pd.isna(text) else str(text)
            position = None if position is None or pd.isna(position) else int(position)
            seen[key] = (position, text)
    tasks = [(k, p, t) for k, (p, t) in seen.items() if k is not None]
    tasks.sort(key=lambda item: (item[1] is None, item[1] or 0, item[0]))
    if None in seen:
        tasks.append((None, None, None))
    return tasks


def _drop_contained(counts: Counter[str]) -> list[str]:
    """The phrases, without any that only ever appears inside an as-frequent longer one."""
    longer = sorted(counts, key=lambda p: -len(p.split()))
    dropped: set[str] = set()
    for phrase in longer:
        size = len(phrase.split())
        if size == 1:
            continue
        for part in _sub_phrases(phrase.split()):
            if counts.get(part) == counts[phrase]:
                dropped.add(part)
    return [p for p in counts if p not in dropped]


def _sub_phrases(words: list[str]) -> Iterable[str]:
    for n in range(1, len(words)):
        for i in range(len(words) - n + 1):
            yield " ".join(words[i : i + n])
