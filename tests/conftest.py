"""Shared fixtures: small hand-made tables placed inside real kecamatan."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

# Representative points (inside the packaged polygons) of a few kecamatan, (lat, lon).
PONTANG = (-6.020978, 106.253579)
TIRTAYASA = (-5.998566, 106.316794)
CIRUAS = (-6.094022, 106.238786)
KRAGILAN = (-6.147574, 106.27911)
ANYAR = (-6.094315, 105.915161)
KOTA_SERANG = (-6.108523, 106.165152)


@pytest.fixture(scope="session")
def boundaries():
    from umkm_alloc.geo.boundaries import load_boundaries

    return load_boundaries("banten")


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        data = content.encode(encoding) if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return _write


PRODUCERS_CSV = f"""producer_id,name,lat,lon,product,capacity
P1,Bandeng Bu Enah,{PONTANG[0]},{PONTANG[1]},Sate Bandeng,50
P2,Emping Ciruas,{CIRUAS[0]},{CIRUAS[1]},Emping Melinjo,100
P3,Emping Kragilan,{KRAGILAN[0] + 0.01},{KRAGILAN[1]},Emping Melinjo,40
P4,Kue Anyar,{ANYAR[0]},{ANYAR[1]},Kue Cucur,25
"""

STORES_CSV = f"""store_id,name,chain,lat,lon,product,demand
IDM-1,Indomaret Ciruas,Indomaret,{CIRUAS[0] - 0.01},{CIRUAS[1]},Emping Melinjo,80
IDM-2,Indomaret Pontang,Indomaret,{PONTANG[0] - 0.005},{PONTANG[1]},Sate Bandeng,30
IDM-3,Indomaret Kragilan,Indomaret,{KRAGILAN[0]},{KRAGILAN[1]},Emping Melinjo,90
ALF-1,Alfamart Anyar,Alfamart,{ANYAR[0] - 0.01},{ANYAR[1]},Emping Melinjo,30
"""


@pytest.fixture
def small_job(write):
    """A four-producer, four-store job with known answers."""
    return write("producers.csv", PRODUCERS_CSV), write("stores.csv", STORES_CSV)
