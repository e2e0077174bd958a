"""Writes tests/fixtures/: a tiny synthetic corpus of our own, so core tests need no ../shared.

    python tools/make_fixtures.py

Each article is a few sentences drawn, with a fixed seed, from the sentence lists below
(written for these tests, about invented places); its tags are the tags of the sentences
it was given, as the labelling guide's "one sentence of its own" would have them, and
each tag's sentence is its evidence (evidence.jsonl).
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

SENTENCES = {
    "missile_strikes": [
        "Russian cruise missiles struck a power plant near the city of Varnok overnight.",
        "A ballistic missile hit a residential block in Orlivka, killing four people.",
        "Kalibr missiles launched from the Black Sea struck the port of Zelen.",
        "An Iskander strike destroyed a rail depot outside Pylyp on Tuesday.",
    ],
    "air_defence_aid": [
        "Germany pledged two more IRIS-T air defence systems to Ukraine.",
        "The United States said it would send another Patriot battery within weeks.",
        "Norway delivered NASAMS launchers and interceptor missiles to Kyiv.",
        "Allies promised Gepard anti-aircraft guns and ammunition for air defence.",
    ],
    "escalation_rhetoric": [
        "A senior Kremlin official warned that Western weapons risk a direct war with NATO.",
        "Moscow threatened to use nuclear weapons if its territory were attacked.",
        "The foreign minister said the West was pushing the world toward a nuclear conflict.",
        "State television warned that sending long-range missiles would cross a red line.",
    ],
    "energy_attacks": [
        "Drone attacks damaged substations and left the region of Varnok without power.",
        "Strikes on the energy grid forced rolling blackouts across three provinces.",
        "A thermal power station was shelled and its turbines were damaged.",
        "Engineers worked to restore electricity after attacks on transformer stations.",
    ],
    None: [
        "The central bank held interest rates steady for a third month.",
        "Farmers in the south reported a strong wheat harvest despite the drought.",
        "The national football team won its qualifier with a late goal.",
        "Parliament debated a new law on school funding late into the night.",
        "A new bridge over the river opened to traffic after two years of work.",
        "Tourism in the western mountains rose by a fifth compared with last year.",
        "The mayor announced a plan to plant ten thousand trees in city parks.",
        "Grain exports through the Danube ports rose in the spring.",
    ],
}
TAGS = [t for t in SENTENCES if t]


def main(n: int = 48, seed: int = 0) -> None:
    rng = random.Random(seed)
    OUT.mkdir(parents=True, exist_ok=True)
    rows, labels, evidence = [], [], []
    for i in range(n):
        # every tag gets positives and negatives; about a third of articles get no tag
        tags = sorted({t for t in TAGS if rng.random() < 0.3}) if i % 3 else []
        sentences = [rng.choice(SENTENCES[t]) for t in tags]
        evidence += [{"id": f"fx{i:03d}", "tag": t, "evidence": [s]} for t, s in zip(tags, sentences)]
        sentences += rng.sample(SENTENCES[None], k=rng.randint(2, 4))
        rng.shuffle(sentences)
        doc_id = f"fx{i:03d}"
        rows.append({"id": doc_id, "title": f"Report {i}", "text": " ".join(sentences)})
        labels.append((doc_id, ";".join(tags)))
    with (OUT / "articles.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    with (OUT / "labels.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "tags"])
        writer.writerows(labels)
    with (OUT / "evidence.jsonl").open("w", encoding="utf-8") as fh:
        for e in evidence:
            fh.write(json.dumps(e) + "\n")


if __name__ == "__main__":
    main()
