"""Supply rules: the model, reading the TOML file, zones and adjacency, judging pairs.

The rules come from the ``--config`` TOML file (the ``[zones]``, ``[rules]``,
``[products]``, ``[categories.X]`` and ``[chains.X]`` tables of DESIGN.md) and decide which
(producer, store) pairs may become candidates of the solve. Every pair gets one reason
code: 0 when it is eligible, otherwise the *first* rule that excludes it, in this order:

1. ``beyond_distance``: farther than the pair's limit (the category's ``max_km``, else
   ``--max-km``), over ``--max-minutes``, or without a route;
2. ``chain``: the store's chain does not accept the product's category;
3. ``forbid``: the (producer kecamatan, store kecamatan) pair is forbidden;
4. ``zone_mode``: ``mode`` (``same-zone`` or ``adjacent-zones``) closes the pair and no
   ``allow`` pair reopens it.

So ``forbid`` always wins, and ``allow`` only reopens what ``mode`` closed: it never beats
distance, chain or ``forbid``. One :class:`Judge` per run gives every pair its code and
its words.
"""

from umkm_alloc.rules.judge import Judge, exceeding
from umkm_alloc.rules.model import (
    BEYOND_DISTANCE,
    CHAIN,
    ELIGIBLE,
    FORBID,
    MODES,
    REASONS,
    ZONE_MODE,
    Rules,
    category_key,
    chain_key,
    max_limit_km,
    product_key,
)
from umkm_alloc.rules.parse import check_categories_used, load_rules, parse_rules, toml_key
from umkm_alloc.rules.zones import (
    ADJACENCY_MIN_SHARED_M,
    ADJACENCY_SNAP_M,
    ZoneMap,
    kecamatan_adjacency,
    kecamatan_zone_table,
    load_zone_map,
    zone_adjacency_table,
)

__all__ = [
    "ADJACENCY_MIN_SHARED_M",
    "ADJACENCY_SNAP_M",
    "BEYOND_DISTANCE",
    "CHAIN",
    "ELIGIBLE",
    "FORBID",
    "MODES",
    "REASONS",
    "ZONE_MODE",
    "Judge",
    "Rules",
    "ZoneMap",
    "category_key",
    "chain_key",
    "check_categories_used",
    "exceeding",
    "kecamatan_adjacency",
    "kecamatan_zone_table",
    "load_rules",
    "load_zone_map",
    "max_limit_km",
    "parse_rules",
    "product_key",
    "toml_key",
    "zone_adjacency_table",
]
