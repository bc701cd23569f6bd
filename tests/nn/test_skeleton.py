"""Tests for nn.ink.skeleton: thinning digit images to centre lines and tracing them into paths."""

import numpy as np

from nn.ink.skeleton import open_filled_loops, strokes_of, thin, trace


def picture(rows):
    """A bool image from strings: '#' is ink."""
    return np.array([[c == "#" for c in row] for row in rows])


def ends(skeleton):
    """Skeleton pixels with exactly one 8-neighbour."""
    padded = np.pad(skeleton, 1).astype(int)
    neighbours = sum(np.roll(np.roll(padded, dr, 0), dc, 1)
                     for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)[1:-1, 1:-1]
    return skeleton & (neighbours == 1)


def test_a_thick_bar_thins_to_a_one_pixel_line_along_its_middle():
    image = np.zeros((1, 20, 28))
    image[0, 8:13, 3:25] = 1.0  # 5 pixels thick
    skeleton = thin(image)[0]
    rows = np.flatnonzero(skeleton.any(axis=1))
    assert list(rows) == [10], "one row, the middle one"
    assert skeleton[10].sum() >= 15, "about as long as the bar"


def test_a_thick_ring_thins_to_a_closed_loop_without_ends():
    r, c = np.mgrid[:28, :28]
    distance = np.hypot(r - 13.5, c - 13.5)
    image = ((distance > 6) & (distance < 9)).astype(np.float32)[None]
    skeleton = thin(image)[0]
    assert skeleton.sum() > 30
    assert not ends(skeleton).any()
    paths = trace(skeleton)
    assert len(paths) == 1 and np.array_equal(paths[0][0], paths[0][-1]), "one closed path"


def test_thinning_a_batch_thins_each_image_alone():
    images = np.zeros((3, 28, 28), np.float32)
    images[0, 5:20, 10:14] = 1
    images[2, 12:16, 4:24] = 1
    batch = thin(images)
    for image, skeleton in zip(images, batch):
        np.testing.assert_array_equal(skeleton, thin(image[None])[0])
    assert not batch[1].any()


def test_an_l_is_one_path_from_end_to_end_in_order():
    skeleton = picture(["#....",
                        "#....",
                        "#....",
                        "#####"])
    (path,) = trace(skeleton)
    assert {tuple(path[0]), tuple(path[-1])} == {(0.0, 0.0), (4.0, 3.0)}  # (x, y)
    steps = np.hypot(*np.diff(path, axis=0).T)
    assert len(path) == 8 and steps.max() < 1.5, "neighbouring pixels, in order"


def test_a_t_is_three_paths_meeting_at_the_junction():
    skeleton = picture(["#######",
                        "...#...",
                        "...#...",
                        "...#..."])
    paths = trace(skeleton)
    assert len(paths) == 3
    junction = (3.0, 0.0)
    assert all(junction in {tuple(p[0]), tuple(p[-1])} for p in paths)


def test_a_short_spur_is_pruned_and_a_long_branch_kept():
    spur = picture(["........",
                    "....#...",
                    "########"])
    paths = trace(spur)
    assert len(paths) == 1 and len(paths[0]) == 8, "the one-pixel spur is gone"
    branch = picture(["....#...",
                      "....#...",
                      "....#...",
                      "########"])
    assert len(trace(branch)) == 3


def test_a_lone_pixel_is_a_dot_and_a_diagonal_line_is_one_path():
    assert [p.tolist() for p in trace(picture(["...", ".#.", "..."]))] == [[[1.0, 1.0]]]
    (path,) = trace(np.eye(5, dtype=bool))
    assert len(path) == 5


def test_strokes_of_a_drawn_plus_gives_its_two_bars():
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 12:15, 4:24] = 1
    image[0, 4:24, 12:15] = 1
    (strokes,) = strokes_of(image)
    points = np.concatenate(strokes)
    assert len(strokes) == 4, "four arms from the centre"
    np.testing.assert_allclose(points.min(axis=0), 5, atol=1.5)
    np.testing.assert_allclose(points.max(axis=0), 22, atol=1.5)


def bold_nine():
    """A 28x28 bold 9: a solid disc (a loop the pen filled with ink) on a 3-pixel stem."""
    r, c = np.mgrid[:28, :28]
    image = (np.hypot(r - 9, c - 14) < 6).astype(np.float32)
    image[9:25, 17:20] = 1
    return image


def loops(strokes):
    """How many of the paths are closed (a loop traces back to where it started)."""
    return sum(len(p) > 2 and np.allclose(p[0], p[-1]) for p in strokes)


def test_a_loop_filled_with_ink_is_traced_as_a_loop():
    (strokes,) = strokes_of(bold_nine()[None])
    assert loops(strokes) == 1, "the head of the 9 is a loop again"
    # and without the opening, thinning makes the solid head no loop at all
    assert loops(trace(thin(np.kron(bold_nine(), np.ones((3, 3)))[None])[0])) == 0


def test_strokes_that_cross_or_bend_keep_all_their_ink():
    ink = np.zeros((3, 84, 84), bool)
    ink[0, 36:45, 10:74] = ink[0, 10:74, 36:45] = True                 # a plus, 9 pixels thick
    ink[1, 36:45, 10:74] = ink[1, 36:74, 36:45] = True                 # a T
    r, c = np.mgrid[:84, :84]
    ink[2] = np.abs(np.hypot(r - 42, c - 42) - 25) < 5                  # a ring
    np.testing.assert_array_equal(open_filled_loops(ink), ink)


def test_an_empty_pad_and_an_empty_batch_are_left_as_they_are():
    assert not open_filled_loops(np.zeros((1, 84, 84), bool)).any()
    assert open_filled_loops(np.zeros((0, 84, 84), bool)).shape == (0, 84, 84)
    assert strokes_of(np.zeros((0, 28, 28))) == []
