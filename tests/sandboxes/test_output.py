"""BoundedOutput keeps the head and the tail of a stream, with an exact count of what it dropped."""

from __future__ import annotations

from agentrl.sandboxes.output import BoundedOutput


def test_short_output_is_kept_whole():
    out = BoundedOutput(100)
    for chunk in (b"abc", b"", b"def" * 10):
        out.append(chunk)
    assert out.getvalue() == b"abc" + b"def" * 10
    assert not out.truncated


def test_long_output_keeps_head_and_tail_around_a_marker():
    out = BoundedOutput(10)
    for i in range(1000):
        out.append(str(i % 10).encode())  # 1000 one-byte chunks: "0123456789" * 100
    value = out.getvalue()
    assert out.total == 1000 and out.truncated
    assert value.startswith(b"01234\n[... 990 bytes of output truncated by the sandbox ...]\n")
    assert value.endswith(b"56789")


def test_one_huge_chunk():
    out = BoundedOutput(8)
    out.append(b"H" * 4 + b"x" * 10_000 + b"T" * 4)
    assert out.getvalue() == b"HHHH\n[... 10000 bytes of output truncated by the sandbox ...]\nTTTT"


def test_limit_exactly_reached_is_not_truncated():
    out = BoundedOutput(6)
    out.append(b"abc")
    out.append(b"def")
    assert out.getvalue() == b"abcdef"
