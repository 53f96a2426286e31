"""The supply rules as data: :class:`Rules`, the reason codes, and the matching keys."""

from __future__ import annotations

from dataclasses import dataclass, field

MODES = ("any", "same-zone", "adjacent-zones")

ELIGIBLE = 0
BEYOND_DISTANCE = 1
CHAIN = 2
FORBID = 3
ZONE_MODE = 4
#: Reason code -> machine name, in the order the rules are applied.
REASONS: dict[int, str] = {
    ELIGIBLE: "eligible",
    BEYOND_DISTANCE: "beyond_distance",
    CHAIN: "chain",
    FORBID: "forbid",
    ZONE_MODE: "zone_mode",
}


def product_key(text: str) -> str:
    """Return the matching key of a product: trimmed, inner spaces collapsed, case-folded."""
    return " ".join(str(text).split()).casefold()


def category_key(text: str) -> str:
    """Return the matching key of a category (``Basah`` -> ``basah``)."""
    return " ".join(str(text).split()).casefold()


def chain_key(text: str) -> str:
    """Return the matching key of a store chain (``ALFAMART`` -> ``alfamart``)."""
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The supply rules of a config file, resolved against the boundaries.

    Attributes
    ----------
    zones
        Zone name -> kecamatan codes, in file order.
    mode
        ``any`` (zones do not restrict), ``same-zone`` or ``adjacent-zones``.
    forbid, allow
        (producer kecamatan code, store kecamatan code) pairs.
    products
        Product key (see :func:`product_key`) -> category key.
    categories
        Category key -> its ``max_km`` (``None``: the ``--max-km`` default applies).
    chains
        Chain key -> accepted category keys, or ``None`` when the chain accepts all.
    category_labels, chain_labels
        Key -> the name as written in the file, for messages (``[chains.Alfamart]``).
    source
        The file the rules were read from (empty for :meth:`default`).
    """

    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mode: str = "any"
    forbid: tuple[tuple[str, str], ...] = ()
    allow: tuple[tuple[str, str], ...] = ()
    products: dict[str, str] = field(default_factory=dict)
    categories: dict[str, float | None] = field(default_factory=dict)
    chains: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    category_labels: dict[str, str] = field(default_factory=dict)
    chain_labels: dict[str, str] = field(default_factory=dict)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")

    @classmethod
    def default(cls) -> Rules:
        """Return the rules of a run without a rules file: no zones, mode ``any``."""
        return cls()

    def category_of(self, product: str, column: str = "") -> str:
        """Return the category key of a product row.

        The row's own ``category`` cell wins when it is filled; ``[products]`` supplies the
        category where the tables lack one (DESIGN.md). ``""`` when neither knows it.
        """
        own = category_key(column)
        return own if own else self.products.get(product_key(product), "")

    def limit_km(self, category: str, default_max_km: float) -> float:
        """Return the distance limit of a category (its ``max_km``, else the default)."""
        limit = self.categories.get(category_key(category))
        return default_max_km if limit is None else limit

    def category_label(self, key: str) -> str:
        """Return a category as written in the file (or the key itself)."""
        return self.category_labels.get(key, key)

    def chain_label(self, key: str) -> str:
        """Return a chain as written in the file (or the key itself)."""
        return self.chain_labels.get(key, key)


def max_limit_km(rules: Rules, default_max_km: float) -> float:
    """Return the largest distance limit of any pair: the spatial pre-filter radius.

    Parameters
    ----------
    rules
        The parsed rules.
    default_max_km
        ``--max-km``, the limit of products without a category limit.

    Returns
    -------
    float
    """
    limits = [v for v in rules.categories.values() if v is not None]
    return max([default_max_km, *limits])
