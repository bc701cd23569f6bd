"""Pen strokes from digit images: the centre lines a pen would have followed.

1. `thin`: Zhang-Suen thinning (Zhang & Suen, CACM 1984), for a whole batch at once. Each
   pass looks at every ink pixel's eight neighbours, coded as one byte, and peels off the
   pixels a table says are removable without breaking or shortening a line; two alternating
   sub-passes (south-east, then north-west) keep the line in the middle of the stroke.
2. `trace`: the one-pixel-wide skeleton as a graph (pixels joined to their 8 neighbours,
   except diagonal links that a corner pixel already joins), cut at its ends and junctions
   into ordered point paths. Short spurs, the thinning's artefacts at stroke corners, are
   pruned; each path is smoothed a little, as a hand moves smoothly, not pixel by pixel.

`strokes_of` does both for a batch of digits, thinned at three times their size. At 28x28 a
stroke is only 2-3 pixels wide: thinning there closes small loops and bends corners, and a
thick digit's centre lines can come out as another digit. Traced at 3x, MNIST's test digits
read clearly better than at 2x, and 4x reads no better than 3x at twice the cost (figures in
the commit history).

Before thinning, `open_filled_loops` gives back the loops a bold pen filled with ink. The
thinning of a solid blob is a point or a short line, so the head of a bold 9 traced as the
end of a 7 or a 1, a bold 8 as a 6 or a 0, a bold 6 as a bent 1. A pen drew a loop there: ink
much deeper inside the digit than its strokes are wide (`FILLED_DEPTH` of their half-widths)
is a filled loop, and taking out its core leaves a ring whose centre line is that loop.
"""

import numpy as np

# Neighbours in Zhang-Suen's order P2..P9: north, then clockwise. Bit k of a pixel's code is set
# when neighbour P(k + 2) is ink.
NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
INK_ABOVE = 0.5         # MNIST grey levels above this are ink for thinning
SPUR_LENGTH = 2         # end branches this short (pixels) are thinning artefacts
UPSAMPLE = 3            # strokes_of thins digits at this many times their size
THIN_CHUNK = 8192       # images thinned together (bounds the temporary arrays)
# Ink deeper than this many half-widths of the digit's typical stroke is the core of a filled
# loop. Crossing strokes are at most about 1.4 half-widths deep (the disc that fits where two
# strokes cross); of MNIST's 10,000 test digits traced with 1.8, 22 more read right than without
# the opening and 6 fewer (bold 3s and 5s whose thick middle opened into a small loop);
# 1.6 opened more crossings (42 more, 25 fewer) and 2.2 hardly any loops (4 more, 2 fewer).
FILLED_DEPTH = 1.8


def _removable_tables():
    """Two (256,) bool tables: may a pixel with this neighbour code go, in sub-pass 1 / 2?"""
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1                # (256, 8): P2..P9
    p2, _, p4, _, p6, _, p8, _ = bits.T
    count = bits.sum(axis=1)
    rises = ((bits == 0) & (np.roll(bits, -1, axis=1) == 1)).sum(axis=1)  # 0 -> 1, circular
    common = (count >= 2) & (count <= 6) & (rises == 1)
    first = common & (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
    second = common & (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
    return first, second


_REMOVABLE = _removable_tables()


def thin(images):
    """Skeletons of a batch: images (n, h, w) with ink = high -> (n, h, w) bool, one pixel wide.

    A pixel is ink when its value is above INK_ABOVE (images as floats in [0, 1]).
    """
    images = np.asarray(images)
    return np.concatenate([_thin_chunk(images[i:i + THIN_CHUNK] > INK_ABOVE)
                           for i in range(0, len(images), THIN_CHUNK)] or [images > INK_ABOVE])


def _thin_chunk(ink):
    n, h, w = ink.shape
    padded = np.zeros((n, h + 2, w + 2), np.uint8)
    padded[:, 1:-1, 1:-1] = ink
    active = np.arange(n)  # the images a pass still changed; the others are skeletons already
    while len(active):
        part = padded[active]
        inner = part[:, 1:-1, 1:-1]
        changed = np.zeros(len(active), bool)
        for table in _REMOVABLE:
            code = np.zeros((len(active), h, w), np.uint8)
            for bit, (dr, dc) in enumerate(NEIGHBOURS):
                code |= part[:, 1 + dr:h + 1 + dr, 1 + dc:w + 1 + dc] << bit
            remove = table[code] & (inner == 1)
            inner[remove] = 0
            changed |= remove.any(axis=(1, 2))
        padded[active] = part
        active = active[changed]
    return padded[:, 1:-1, 1:-1].astype(bool)


def open_filled_loops(ink):
    """Ink (n, h, w) bool with the core of every filled loop taken out (see the module's
    docstring): each image's pixels deeper than FILLED_DEPTH times its typical half-width.

    A pixel's depth is how many 3x3 erosions it survives (1 at the edge of the ink); the
    typical half-width is the median depth of the ridge, the pixels no neighbour is deeper
    than, which run along the middle of every stroke.
    """
    depth = _depth(ink)
    return ink & ~(depth > FILLED_DEPTH * _ridge_median(depth)[:, None, None])


def _depth(ink):
    """(n, h, w) int16: how many 3x3 erosions each ink pixel survives; 0 outside the ink."""
    depth = np.zeros(ink.shape, np.int16)
    layer = ink.copy()
    while layer.any():
        depth += layer
        eroded = layer.copy()               # ink whose eight neighbours are all ink
        for neighbour in _neighbours(layer):
            eroded &= neighbour
        layer = eroded
    return depth


def _ridge_median(depth):
    """(n,) the median depth of each image's ridge pixels (0 for an image without ink)."""
    n, h, w = depth.shape
    ridge = depth > 0
    for neighbour in _neighbours(depth):
        ridge &= depth >= neighbour
    # Depths are small integers: a histogram per image gives its median without sorting.
    deepest = int(depth.max(initial=0)) + 1
    image, value = np.nonzero(ridge.reshape(n, h * w))
    counts = np.bincount(image * deepest + depth.reshape(n, h * w)[image, value],
                         minlength=n * deepest).reshape(n, deepest)
    below = np.cumsum(counts, axis=1)
    return np.argmax(below * 2 >= below[:, -1:], axis=1)  # half the ridge at or below it


def _neighbours(a):
    """The eight (n, h, w) arrays whose pixel is that of ``a`` (n, h, w) at each of
    NEIGHBOURS' offsets, zero (no ink) beyond the border."""
    n, h, w = a.shape
    padded = np.pad(a, ((0, 0), (1, 1), (1, 1)))
    return [padded[:, 1 + dr:h + 1 + dr, 1 + dc:w + 1 + dc] for dr, dc in NEIGHBOURS]


def trace(skeleton):
    """Ordered paths of a skeleton (h, w) bool: a list of (k, 2) float arrays of (x, y) points.

    x is the column and y the row of a pixel's centre. Paths run between ends and junctions
    (a loop with neither is one closed path); an isolated pixel is a path of one point.
    """
    skeleton = np.array(skeleton, dtype=bool)
    for _ in range(2):  # pruning can leave a new short spur where two spurs met
        graph = _pixel_graph(skeleton)
        spurs = [path for path in _paths(graph) if _is_spur(path, graph)]
        for path in spurs:
            for pixel in path[:-1]:  # keep the junction it hangs from
                skeleton[pixel] = False
        if not spurs:
            break
    graph = _pixel_graph(skeleton)
    return [_smooth(np.array(path, dtype=np.float64)[:, ::-1]) for path in _paths(graph)]


def _pixel_graph(skeleton):
    """{(row, col): set of linked (row, col)}: 8-neighbours, minus diagonals with a shortcut."""
    ink = {tuple(p) for p in np.argwhere(skeleton).tolist()}
    graph = {}
    for r, c in ink:
        links = set()
        for dr, dc in NEIGHBOURS:
            if (r + dr, c + dc) not in ink:
                continue
            # A diagonal step is redundant when a pixel next to both already links them.
            if dr and dc and ((r + dr, c) in ink or (r, c + dc) in ink):
                continue
            links.add((r + dr, c + dc))
        graph[(r, c)] = links
    return graph


def _paths(graph):
    """Lists of pixels from node to node (a node: degree other than 2), then the loops."""
    nodes = [p for p, links in graph.items() if len(links) != 2]
    seen, paths = set(), []
    for node in sorted(nodes):
        if not graph[node]:
            paths.append([node])
        for step in sorted(graph[node]):
            if (node, step) not in seen:
                paths.append(_walk(graph, node, step, seen))
    for pixel in sorted(graph):  # whatever is left is made of loops
        for step in sorted(graph[pixel]):
            if (pixel, step) not in seen:
                paths.append(_walk(graph, pixel, step, seen))
    return paths


def _walk(graph, start, step, seen):
    """Follow links from start through step until a node, or back to start."""
    path, previous, current = [start], start, step
    seen.add((start, step))
    seen.add((step, start))
    while True:
        path.append(current)
        if current == start or len(graph[current]) != 2:
            return path
        (following,) = graph[current] - {previous}
        seen.add((current, following))
        seen.add((following, current))
        previous, current = current, following


def _is_spur(path, graph):
    """A short branch from an end (degree 1) to a junction (degree 3 or more)."""
    degrees = sorted((len(graph[path[0]]), len(graph[path[-1]])))
    return degrees[0] == 1 and degrees[1] >= 3 and len(path) - 1 <= SPUR_LENGTH


def _smooth(points):
    """Points (k, 2) with the inner ones averaged 1-2-1 with their neighbours; ends kept."""
    if len(points) < 3:
        return points
    smooth = points.copy()
    smooth[1:-1] = (points[:-2] + 2 * points[1:-1] + points[2:]) / 4
    return smooth


def strokes_of(images):
    """Each digit's strokes: images (n, 28, 28) or (n, 784) -> n lists of (k, 2) (x, y) paths.

    The digits are thinned at UPSAMPLE times their size, enlarged by linear interpolation,
    with their filled loops opened first.
    """
    images = np.asarray(images, dtype=np.float32)
    side = round(np.sqrt(images[0].size)) if len(images) else 28
    up = _upsample_matrix(side, UPSAMPLE)
    large = up @ images.reshape(len(images), side, side) @ up.T
    return [[(path + 0.5) / UPSAMPLE - 0.5 for path in trace(skeleton)]
            for skeleton in thin(open_filled_loops(large > INK_ABOVE))]


def _upsample_matrix(n, factor):
    """(n * factor, n) linear interpolation weights: pixel centres stay where they were."""
    position = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, n - 1)
    weights = np.zeros((n * factor, n), np.float32)
    rows = np.arange(n * factor)
    np.add.at(weights, (rows, low), 1 - (position - low))
    np.add.at(weights, (rows, high), position - low)
    return weights
