"""map.png: drawn, deterministic, every point inside the frame and clear of the overlays."""

from __future__ import annotations

import io

import numpy as np
import pytest

from conftest import CIRUAS, PONTANG
from reportjob import png_size
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.report import map_png


def test_png_is_wide_not_blank_and_deterministic(example, small):
    _, files, _ = example
    data = files["map.png"]
    width, height = png_size(data)
    assert width >= 1600 and height >= 1100
    image = pytest.importorskip("matplotlib.image").imread(io.BytesIO(data), format="png")
    assert image.shape[:2] == (height, width)
    rgb = np.round(image[..., :3] * 255).astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    assert len(np.unique(packed)) > 2000  # many distinct colours: drawn, not blank
    assert (packed == 0xFFFFFF).mean() < 0.5
    assert b"tEXt" not in data and b"tIME" not in data
    assert map_png(small) == map_png(small)


def _drawn_points(fig) -> list:
    """Display-space boxes of every marker the map axes draws (scatter collections)."""
    from matplotlib.collections import PathCollection

    ax = fig.axes[0]
    boxes = []
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and len(coll.get_offsets()):
            centres = coll.get_offset_transform().transform(coll.get_offsets())
            sizes = np.broadcast_to(coll.get_sizes(), len(centres))
            radii = np.sqrt(sizes) / 2 * fig.dpi / 72 + coll.get_linewidths()[0]
            boxes += [
                (x - r, y - r, x + r, y + r) for (x, y), r in zip(centres, radii, strict=True)
            ]
    return boxes


@pytest.mark.slow
def test_png_frames_every_point_clear_of_the_scale_bar_and_north_arrow(tmp_path):
    from umkm_alloc.report.png import _figure
    from umkm_alloc.report.scene import build_scene

    # Zones on the north coast only. A producer far south-west of them and a store on the
    # coast to the north-east span a view shaped like the frame: both sit in its corners,
    # where the scale bar and the north arrow are drawn.
    (tmp_path / "p.csv").write_text(
        "producer_id,lat,lon,product,capacity\n"
        f"P1,-6.30,105.95,Opak,10\nP2,{PONTANG[0]},{PONTANG[1]},Opak,40\n"
    )
    (tmp_path / "s.csv").write_text(
        f"store_id,lat,lon,product,demand\nS1,-6.00,106.32,Opak,5\nS2,{CIRUAS[0]},{CIRUAS[1]},Opak,5\n"
    )
    (tmp_path / "rules.toml").write_text('[zones]\nPantura = ["Pontang", "Tirtayasa"]\n')
    result = assign(
        AssignConfig(
            producers=tmp_path / "p.csv",
            stores=tmp_path / "s.csv",
            config_file=tmp_path / "rules.toml",
        )
    )
    assert result.rejected_rows.empty
    scene = build_scene(result, lang="en")
    fig = _figure(scene)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    covers = []
    for artist in (*ax.patches, *ax.texts):
        if artist.get_gid() in ("scale-bar", "north-arrow"):
            arrow = getattr(artist, "arrow_patch", None)
            covers.append((arrow or artist).get_window_extent(renderer))
    assert len(covers) == 3  # the scale bar's box, the arrow and its letter
    points = _drawn_points(fig)
    assert len(points) == 4  # two producers, two stores: every one drawn ...
    for x0, y0, x1, y1 in points:  # ... inside the frame, under no overlay
        assert frame.x0 <= x0 and x1 <= frame.x1 and frame.y0 <= y0 and y1 <= frame.y1
        for c in covers:
            assert x1 < c.x0 or x0 > c.x1 or y1 < c.y0 or y0 > c.y1, (x0, y0, c)
