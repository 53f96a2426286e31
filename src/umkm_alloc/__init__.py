"""umkm-alloc: zone-based supply allocation of UMKM producers to stores."""

__version__ = "0.1.0"

__all__ = ["__version__"]
