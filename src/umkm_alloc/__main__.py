"""Allow ``python -m umkm_alloc``."""

from umkm_alloc.cli import main

if __name__ == "__main__":
    main()
