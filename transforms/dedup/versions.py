"""Story versions: what tells a wire revision (a version) from another outlet's copy, and what changed.

Pure functions, shared by the batch dedup (transforms/dedup/stage.py), the stream (transforms/dedup/streaming.py)
and the cross-run index (transforms/dedup/index.py). The rule, also in README (Story versions):

- a *copy* is the same text carried again: another outlet's item, or the same item listed again unchanged. It is a
  duplicate.
- a *version* is the same story again with changed content (its fingerprint, the hashes of its body words and of
  its headline, is one the cluster has not seen): either the same item (it shares a GUID or canonical URL key with
  the cluster) or a near-duplicate from the same outlet (its agency, else its URL's host, else its feed). It is
  emitted again, superseding the record emitted before.

Another outlet's changed copy stays a copy: syndicated text edited by a second newsroom is not the source's
revision, and emitting it would give the story two competing "latest" records.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from schemas.story import Changes, EnrichedStory, Story, Supersedes
from transforms.dedup.index import VersionInfo
from transforms.dedup.neardup import normalized_words

# Paragraph and title hashes are kept in the index per emitted story: 32 bits tell the paragraphs of one story
# apart (a collision only miscounts one edit) and keep an index line small.
_SHORT_DIGEST = 4

# A wire revision marker at the head of a headline: "UPDATE 1-", "REFILE-", "CORRECTED-", "WRAPUP 2-",
# "RPT-", "UPDATE 3:"; Reuters separates it from the headline with a hyphen, others with a colon.
_REVISION = re.compile(
    r"^\s*(?P<marker>(?:UPDATE|WRAPUP|REFILE|CORRECTED|CORRECTS?|CORRECTION|RPT|REPEAT|RECASTS?|INSIGHT-UPDATE)"
    r"(?:\s+(?P<n>\d+))?)\s*[-:–]\s*",
    re.IGNORECASE,
)
# A correction note: a paragraph that says the story was corrected ("CORRECTION: An earlier version …",
# "(Corrects name of … in paragraph 3)", "This story has been corrected to …", "Editor's note: … corrected …").
_CORRECTION = re.compile(
    r"^\s*(?:\(?\s*(?:CORRECTION|CORRECTS?|CORRECTED)\b"
    r"|(?:this|an earlier version of this)\s+(?:story|article|report)\s+(?:has\s+been\s+|was\s+)?"
    r"(?:corrected|updated\s+to\s+correct|misstated|misidentified|incorrectly|gave|said|stated|reported)"
    r"|editor'?s\s+note\b.*\bcorrect)",
    re.IGNORECASE,
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def short_hash(text: str) -> str:
    """A short digest of a text's normalized words (case, punctuation and spacing do not count)."""
    return hashlib.blake2b(" ".join(normalized_words(text)).encode("utf-8"), digest_size=_SHORT_DIGEST).hexdigest()


def paragraphs(body: str) -> list[str]:
    return [p for p in (s.strip() for s in _PARAGRAPH_BREAK.split(body)) if p]


def paragraph_digests(body: str) -> bytes:
    """A short digest per paragraph (`body` as cleaning writes it: paragraphs separated by a blank line), packed
    in one bytes object: a dedup member carries it through a shuffle, where one bytes object costs a fraction of a
    tuple of strings. Hashed as written, not word-normalized like `short_hash` (the body is hashed that way once
    already, for `content_hash`): a changed quote style or punctuation mark is an edit worth counting."""
    return b"".join(
        hashlib.blake2b(p.strip().encode("utf-8", "surrogatepass"), digest_size=_SHORT_DIGEST).digest()
        for p in body.split("\n\n")
        if p.strip()
    )


def unpack_digests(packed: bytes) -> tuple[str, ...]:
    """`paragraph_digests` as hex strings, one per paragraph (the index line's `ph`)."""
    step = _SHORT_DIGEST
    return tuple(packed[i : i + step].hex() for i in range(0, len(packed), step))


def paragraph_hashes(body: str) -> tuple[str, ...]:
    return unpack_digests(paragraph_digests(body))


def fingerprint(content_hash: str, title: str, title_hash: str | None = None) -> str:
    """What makes two sightings the same version: the body's words and the headline's words (`title_hash`, the
    headline's `short_hash`, when already known)."""
    return content_hash[:16] + (title_hash or short_hash(title))


def revision_marker(title: str) -> tuple[str | None, int]:
    """("UPDATE 2", 2) for "UPDATE 2-Headline"; (None, 0) for a headline without a marker."""
    match = _REVISION.match(title)
    if match is None:
        return None, 0
    marker = " ".join(match.group("marker").upper().split())
    return marker, int(match.group("n") or 0)


def correction_note(body: str) -> str | None:
    """The body's correction note(s), paragraphs joined by a blank line; None when the story has none."""
    notes = [p for p in paragraphs(body) if _CORRECTION.match(p)]
    return "\n\n".join(notes) if notes else None


def outlet(story: Story) -> str:
    """Who publishes a story, for the same-source test: the feed's agency, else the URL's host, else the feed."""
    if story.source.agency:
        return "agency:" + story.source.agency.casefold()
    return outlet_of_url(story.canonical_url or story.url) or story.source.url


def outlet_of_url(url: str | None) -> str | None:
    if not url:
        return None
    host = (urlsplit(url).hostname or "").casefold()
    return host.removeprefix("www.") or None


def changes(
    old_title_hash: str | None, old_paragraphs: Sequence[str] | None, title: str, new_paragraphs: Sequence[str]
) -> Changes | None:
    """What changed from the superseded record to this one; None when the superseded record's content is unknown
    (an entry of a version-1 index)."""
    if old_paragraphs is None or old_title_hash is None:
        return None
    added = removed = edited = 0
    matcher = difflib.SequenceMatcher(a=list(old_paragraphs), b=list(new_paragraphs), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "insert":
            added += j2 - j1
        elif tag == "delete":
            removed += i2 - i1
        elif tag == "replace":
            # Paragraphs replaced in place are edits; the rest of a longer side were added or removed.
            edited += min(i2 - i1, j2 - j1)
            added += max(0, (j2 - j1) - (i2 - i1))
            removed += max(0, (i2 - i1) - (j2 - j1))
    return Changes(
        headline_changed=old_title_hash != short_hash(title),
        paragraphs_added=added,
        paragraphs_removed=removed,
        paragraphs_edited=edited,
    )


def story_info(story: Story, version: int, fingerprints: Sequence[str] = ()) -> VersionInfo:
    """What is remembered of an emitted story's version (the index line's, or the stream's keyed state)."""
    return VersionInfo(
        version=version,
        outlet=outlet(story),
        fingerprints=(*fingerprints, fingerprint(story.content_hash, story.title)),
        title_hash=short_hash(story.title),
        paragraphs=paragraph_hashes(story.body),
        published=story.published_at.timestamp() if story.published_at else None,
    )


def as_next_version(record: EnrichedStory, prior_id: str, prior: VersionInfo) -> EnrichedStory:
    """An emitted record made the version after `prior` (the record of `prior_id`): version, supersedes, changes."""
    record.version = prior.version + 1
    record.supersedes = Supersedes(id=prior_id, version=prior.version)
    record.changes = changes(prior.title_hash, prior.paragraphs, record.title, paragraph_hashes(record.body))
    return record
