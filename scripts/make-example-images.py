#!/usr/bin/env python3
"""Draws the example site's stand-in pictures: original artwork, no copyrighted images.

assets/images/lookBack.png       1920x1080: a moonlit town at night, one lit window.
assets/images/lookBackAlbum.png  1200x1200: a desk by a window at dusk, with a sketchbook.

Only the standard library is used, so any Python 3 can redraw them:
    python3 scripts/make-example-images.py
"""
import math
import os
import random
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "images")


def write_png(path, width, height, rows):
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def mix(a, b, t):
    t = max(0.0, min(1.0, t))
    return tuple(int(a[i] + (b[i] - a[i]) * t) for i in range(3))


def night_town(width=1920, height=1080):
    rng = random.Random(7)
    stars = {(rng.randrange(width), rng.randrange(int(height * 0.6))) for _ in range(900)}
    moon = (int(width * 0.74), int(height * 0.22), int(height * 0.09))
    # Rooftops: a skyline of houses, each a (x0, x1, wall top, roof peak).
    houses = []
    x = -40
    while x < width:
        w = rng.randint(150, 280)
        top = rng.randint(int(height * 0.58), int(height * 0.72))
        houses.append((x, x + w, top, top - rng.randint(50, 110)))
        x += w + rng.randint(-20, 10)
    lit = houses[len(houses) // 2]
    window = ((lit[0] + lit[1]) // 2 - 34, lit[2] + 40, 68, 56)
    rows = []
    for y in range(height):
        sky = mix((8, 12, 38), (52, 70, 120), y / (height * 0.75))
        row = bytearray()
        for x in range(width):
            c = sky
            dx, dy = x - moon[0], y - moon[1]
            d = math.hypot(dx, dy)
            if d < moon[2]:
                c = mix((250, 246, 225), (214, 210, 190), (dx + dy) / (2.5 * moon[2]) + 0.3)
            elif d < moon[2] * 3.2:
                c = mix(c, (150, 165, 210), 0.35 * (1 - (d - moon[2]) / (moon[2] * 2.2)) ** 2)
            elif (x, y) in stars:
                c = (235, 235, 255)
            for x0, x1, top, peak in houses:
                if x0 <= x < x1:
                    mid = (x0 + x1) / 2
                    roof = peak + (top - peak) * abs(x - mid) / ((x1 - x0) / 2)
                    if y >= roof:
                        c = mix((22, 24, 40), (12, 12, 22), (y - roof) / height * 3)
                    break
            wx, wy, ww, wh = window
            if wx <= x < wx + ww and wy <= y < wy + wh:
                c = (255, 214, 130) if (x - wx) not in (ww // 2, ww // 2 - 1) and (y - wy) not in (wh // 2,) else (60, 40, 30)
            if y > height * 0.9:
                c = mix(c, (6, 6, 14), (y - height * 0.9) / (height * 0.1))
            row += bytes(c)
        rows.append(row)
    return rows


def dusk_desk(size=1200):
    rng = random.Random(11)
    lines = [(rng.randint(520, 900), rng.randint(760, 860), rng.randint(40, 200), rng.uniform(-0.4, 0.4)) for _ in range(40)]
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            c = mix((236, 222, 200), (214, 196, 170), y / size)  # wall
            if 180 <= x < 1020 and 120 <= y < 640:  # window: dusk sky
                c = mix((255, 170, 110), (120, 110, 190), (640 - y) / 520)
                if abs(x - 600) < 8 or abs(y - 380) < 8:
                    c = (90, 70, 60)
                sun = math.hypot(x - 760, y - 560)
                if sun < 70:
                    c = mix((255, 240, 200), c, sun / 70)
            elif 160 <= x < 1040 and 100 <= y < 660:
                c = (110, 84, 66)  # frame
            if y >= 780:  # desk
                c = mix((140, 98, 64), (96, 64, 40), (y - 780) / 420)
                if (y - 780) % 37 < 2:
                    c = mix(c, (70, 46, 30), 0.5)
            if 480 <= x < 940 and 700 <= y < 900 - (x - 480) // 12:  # sketchbook page
                c = (248, 246, 238)
                for lx, ly, ll, slope in lines:
                    if lx <= x < lx + ll and abs((y - ly) - (x - lx) * slope) < 1.5:
                        c = (60, 60, 70)
            if math.hypot(x - 330, y - 760) < 70 and y < 800:  # desk lamp head
                c = (60, 90, 110)
            row += bytes(c)
        rows.append(row)
    return rows


if __name__ == "__main__":
    os.makedirs(ROOT, exist_ok=True)
    write_png(os.path.join(ROOT, "lookBack.png"), 1920, 1080, night_town())
    write_png(os.path.join(ROOT, "lookBackAlbum.png"), 1200, 1200, dusk_desk())
    print("wrote", os.path.normpath(ROOT))
