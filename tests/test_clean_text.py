"""Tests for transforms/clean/text.py: the Unicode/whitespace chain and HTML to text."""

from __future__ import annotations

import pytest

from transforms.clean.text import clean_text, html_to_text

# ---------------------------------------------------------------------------------------------------------------
# The Unicode / whitespace chain
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kerry\u00e2\u20ac\u2122s first stop", "Kerry’s first stop"),  # mojibake repaired, curly quote kept
        ("caf\u00c3\u00a9 cr\u00c3\u00a8me", "café crème"),
        ("“Quoted” and ‘single’", "“Quoted” and ‘single’"),
        ("cafe\u0301", "café"),  # NFC
        ("an\u200bti\u200cwa\u2060ter\ufeffmark\u00ad", "antiwatermark"),
        ("tab\there\u00a0and\u2009thin   spaces", "tab here and thin spaces"),
        ("  para one  \n\n\n\n  para two\r\nline two\u2028three  ", "para one\n\npara two\nline two\nthree"),
        ("control\x00\x07 chars\x1b", "control chars"),
        ("ﬁne ligature stays ascii-free", "ﬁne ligature stays ascii-free"),  # no NFKC on clean text
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_clean_text_is_idempotent() -> None:
    text = "Kerry\u00e2\u20ac\u2122s  visit\u200b\n\n\n “ok”"
    once = clean_text(text)
    assert clean_text(once) == once == "Kerry’s visit\n\n“ok”"


# ---------------------------------------------------------------------------------------------------------------
# HTML to text
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<p>One &amp; two&nbsp;&mdash; three</p><p>Four</p>", "One & two — three\n\nFour"),
        ("<p>Body</p><script>var x = 1;</script><style>p{}</style><p>More</p>", "Body\n\nMore"),
        ("<p>Body</p><figure><img src=a.jpg><figcaption>REUTERS/Photo</figcaption></figure><p>End</p>", "Body\n\nEnd"),
        ('<p>Body</p><div class="share-buttons"><a>Facebook</a><a>Twitter</a></div>', "Body"),
        ("<p>Line<br>break</p>", "Line\nbreak"),
        ("<p>wrapped\n   inside a paragraph</p>", "wrapped inside a paragraph"),
        ("Plain paragraph one.\n\nPlain paragraph two.", "Plain paragraph one.\n\nPlain paragraph two."),
        ("<ul><li>first</li><li>second</li></ul>", "first\n\nsecond"),
        ("<!-- comment --><p>kept</p>", "kept"),
        # text after a dropped element is kept once; a dropped figure separates paragraphs, a button does not
        (
            "<div><p>Body</p><script>x</script>tail <figure>cap</figure> after <button>Go</button> more</div>",
            "Body\n\ntail\n\nafter more",
        ),
        ("", ""),
    ],
)
def test_html_to_text(content: str, expected: str) -> None:
    assert clean_text(html_to_text(content)) == expected
