"""Unpack Unix ``compress`` (.Z) files, which Python's standard library cannot read.

UCI still publishes its older data sets, the pen digits among them, as ``.Z`` files: the LZW
compression of the 1980s ``compress`` program. LZW needs no stored dictionary: the reader
rebuilds the writer's table as it goes. Every code is either a byte (0-255) or a string seen
before, and after each code the table learns the previous string plus the first byte of this
one. Codes start 9 bits wide and widen by one bit each time the table fills the current width,
up to the width in the header; code 256 clears the table (compress's "block mode", its
default since 1985 and the only mode read here).

One habit of ``compress`` must be copied exactly: it writes codes in groups of eight (n_bits
bytes), and when the width changes or the table is cleared, the rest of the current group is
padding to skip.
"""

MAGIC = b"\x1f\x9d"
FIRST_WIDTH = 9
CLEAR = 256


class NotCompressed(ValueError):
    """The bytes are not a whole, valid .Z stream."""


def uncompress(data, limit):
    """The bytes that ``compress`` packed into ``data``; at most ``limit`` of them.

    Raises NotCompressed for a wrong header, a code that cannot occur, or more than ``limit``
    bytes of output (a file far larger than expected is not the one wanted).
    """
    if len(data) < 3 or data[:2] != MAGIC:
        raise NotCompressed("no .Z header")
    max_width = data[2] & 0x1F
    block_mode = bool(data[2] & 0x80)
    # Only what compress writes by default is read: block mode, codes of 10 to 16 bits.
    if not FIRST_WIDTH < max_width <= 16 or not block_mode:
        raise NotCompressed("not written the way compress writes by default")
    body = data[3:] + b"\0\0\0"  # reading a code may look two bytes past the last one
    total_bits = (len(data) - 3) * 8
    # Code 256 is CLEAR, and the first string learnt is 257.
    table = [bytes([i]) for i in range(256)] + [b""]
    width, group_start, position = FIRST_WIDTH, 0, 0
    table_full_at = 1 << max_width

    def widest(width):
        """The last table entry before codes widen past ``width`` bits (never, at the most)."""
        return (1 << width) - 1 if width < max_width else table_full_at

    widen_past = widest(FIRST_WIDTH)
    out, previous = bytearray(), None

    def next_group(position):
        """The first bit of the group after the one ``position`` is in."""
        size = width * 8
        return group_start + -(-(position - group_start) // size) * size

    while True:
        if len(table) > widen_past:
            position = group_start = next_group(position)
            width += 1
            widen_past = widest(width)
        if position + width > total_bits:
            break
        byte = position >> 3
        code = ((int.from_bytes(body[byte:byte + 3], "little") >> (position & 7))
                & ((1 << width) - 1))
        position += width
        if previous is None:
            if code > 255:
                raise NotCompressed("the first code is not a byte")
            previous = table[code]
            out += previous
            continue
        if code == CLEAR:
            # compress then learns one string at 256, which no code can name (it is CLEAR).
            del table[256:]
            position = group_start = next_group(position)
            width, widen_past = FIRST_WIDTH, widest(FIRST_WIDTH)
            continue
        if code < len(table):
            entry = table[code]
        elif code == len(table):      # the string being defined right now: previous + its start
            entry = previous + previous[:1]
        else:
            raise NotCompressed(f"code {code} before it was defined")
        out += entry
        if len(out) > limit:
            raise NotCompressed(f"more than {limit} bytes")
        if len(table) < table_full_at:
            table.append(previous + entry[:1])
        previous = entry
    return bytes(out)
