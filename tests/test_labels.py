"""Every en/id string, and the number formats."""

from __future__ import annotations

from umkm_alloc.labels import LANGS, fmt_int, fmt_pct, labels


def test_labels_exist_in_every_language_and_format_numbers():
    keys = [set(labels(lang)) for lang in LANGS]
    assert all(k == keys[0] for k in keys)
    assert all(len(labels(lang)[k]) <= 31 for lang in LANGS for k in ("unmet_demand",))
    assert fmt_int(30076, "id") == "30.076" and fmt_int(30076, "en") == "30,076"
    assert fmt_pct(0.8866, "id") == "88,7%" and fmt_pct(None) == "-"
