"""Benchmark the mention matcher: 500 actors (~1,500 phrases) over 10,000
articles of ~600 words, split into ~20 blocks each as the site does.

Run: PYTHONPATH=. python bench/mentions.py

Measured on the 2-core dev box (one core used, Python 3.11): building 0.05 s;
case-sensitive (actors) 0.8-1.1 s for all 10,000 articles (39 M characters,
200,000 blocks, 122,240 mentions); the same 1,500 phrases as lower-cased
keywords with ignore_case 2-4 s, the worst case, since every word of the
lower-cased text then starts like some keyword.
"""

from __future__ import annotations

import random
import string
import time

from generator.mentions import PhraseMatcher


def _word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9)))


def main() -> None:
    rng = random.Random(7)
    pairs: list[tuple[str, str]] = []
    names: list[str] = []
    for i in range(500):
        first, last = _word(rng).title(), _word(rng).title()
        actor = f"actor-{i}"
        for phrase in (f"{first} {last}", last, f"{first[0]}. {last}"):
            pairs.append((phrase, actor))
            names.append(phrase)
    vocab = [_word(rng) for _ in range(5000)]

    def article() -> list[str]:
        blocks = []
        for _ in range(20):
            words = [
                rng.choice(names) if rng.random() < 0.02 else rng.choice(vocab) for _ in range(30)
            ]
            text = " ".join(words)
            blocks.append(text[0].upper() + text[1:] + ".")
        return blocks

    distinct = [article() for _ in range(500)]  # reused 20x: 10,000 articles
    t0 = time.perf_counter()
    matcher = PhraseMatcher(pairs)
    t1 = time.perf_counter()
    found = 0
    chars = 0
    for i in range(10_000):
        for block in distinct[i % len(distinct)]:
            found += len(matcher.find(block))
            chars += len(block)
    t2 = time.perf_counter()
    topics = PhraseMatcher(pairs, ignore_case=True)
    t3 = time.perf_counter()
    for i in range(10_000):
        for block in distinct[i % len(distinct)]:
            topics.find(block)
    t4 = time.perf_counter()
    print(f"{len(pairs)} phrases, {chars / 1e6:.1f}M chars, {found} mentions")
    print(
        f"build {t1 - t0:.3f}s; find case-sensitive {t2 - t1:.2f}s; "
        f"ignore_case build {t3 - t2:.3f}s, find {t4 - t3:.2f}s"
    )


if __name__ == "__main__":
    main()
