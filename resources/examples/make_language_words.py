#!/usr/bin/env python3
"""Builds words_by_language.csv (columns text,language) for the character-LSTM example.

Words come from Debian's word lists (apt-get install wamerican wfrench wngerman wspanish witalian):
1500 random words per language, drawn with a fixed seed from the words of 3 to 16 letters that
have no apostrophe, hyphen, digit or space and that appear (ignoring case) in one list only, so
no word has two labels. The rows are shuffled. Plain python3, no numpy.

    python3 resources/examples/make_language_words.py [--out FILE] [--per-language N] [--seed S]
"""
import argparse
import csv
import os
import random
import sys

LISTS = [
    ("english", "/usr/share/dict/american-english", "wamerican"),
    ("french", "/usr/share/dict/french", "wfrench"),
    ("german", "/usr/share/dict/ngerman", "wngerman"),
    ("spanish", "/usr/share/dict/spanish", "wspanish"),
    ("italian", "/usr/share/dict/italian", "witalian"),
]


def read_words(path):
    words = set()
    with open(path, encoding="utf-8", errors="strict") as f:
        for line in f:
            w = line.strip()
            if 3 <= len(w) <= 16 and w.isalpha():  # letters only: no ' - digits or spaces
                words.add(w)
    return words


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(here, "words_by_language.csv"))
    p.add_argument("--per-language", type=int, default=1500)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    missing = [pkg for _, path, pkg in LISTS if not os.path.exists(path)]
    if missing:
        sys.exit("missing word lists; install them: sudo apt-get install " + " ".join(missing))
    words = {lang: read_words(path) for lang, path, _ in LISTS}
    seen = {}
    for lang, ws in words.items():
        for w in {w.lower() for w in ws}:
            seen[w] = seen.get(w, 0) + 1
    rng = random.Random(args.seed)
    rows = []
    for lang, _, _ in LISTS:
        own = sorted(w for w in words[lang] if seen[w.lower()] == 1)
        lowered = {}
        for w in own:  # one spelling per word ("Haus" and "haus" would be the same text)
            lowered.setdefault(w.lower(), w)
        own = sorted(lowered.values())
        if len(own) < args.per_language:
            sys.exit(f"{lang}: only {len(own)} usable words, fewer than --per-language {args.per_language}")
        rows += [(w, lang) for w in rng.sample(own, args.per_language)]
    rng.shuffle(rows)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["text", "language"])
        out.writerows(rows)
    print(f"wrote {len(rows)} words to {args.out}")


if __name__ == "__main__":
    main()
