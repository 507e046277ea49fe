#!/usr/bin/env python3
"""Regenerates the .npy and .csv fixtures of DatasetsTests (run from anywhere with numpy installed).

The values are small and exact in binary so that the Swift tests can compare them exactly:
    a[i, j] = i + j / 4 - 1.5   (shape 4 x 3), and the 1-D vector v[i] = 0.125 * i - 1 (length 5).
"""
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def matrix(dtype):
    i, j = np.meshgrid(np.arange(4), np.arange(3), indexing="ij")
    return (i + j / 4 - 1.5).astype(dtype)


def vector(dtype):
    return (0.125 * np.arange(5) - 1).astype(dtype)


def raw_npy(header_dict_text, payload, version=(1, 0)):
    """A .npy file with a hand-written header (for malformed fixtures)."""
    header = header_dict_text.encode("latin1")
    prefix_len = 10 if version[0] == 1 else 12
    pad = (64 - (prefix_len + len(header) + 1) % 64) % 64
    header = header + b" " * pad + b"\n"
    length = struct.pack("<H", len(header)) if version[0] == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes(version) + length + header + payload


def main():
    np.save(path("f4_2d.npy"), matrix("<f4"))
    np.save(path("f8_2d.npy"), matrix("<f8"))
    np.save(path("f4_1d.npy"), vector("<f4"))
    np.save(path("f8_1d.npy"), vector("<f8"))
    np.save(path("f8_fortran.npy"), np.asfortranarray(matrix("<f8")))
    np.save(path("f4_fortran.npy"), np.asfortranarray(matrix("<f4")))
    np.save(path("f8_bigendian.npy"), matrix(">f8"))
    np.save(path("f4_bigendian.npy"), matrix(">f4"))
    with open(path("f8_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, matrix("<f8"), version=(2, 0))
    with open(path("f4_v3.npy"), "wb") as f:
        np.lib.format.write_array(f, matrix("<f4"), version=(3, 0))
    # Native ('=') byte order and an empty 0 x 3 array, hand-written headers.
    with open(path("f8_native.npy"), "wb") as f:
        f.write(raw_npy("{'descr': '=f8', 'fortran_order': False, 'shape': (4, 3), }",
                        matrix("<f8").tobytes()))
    np.save(path("f8_empty.npy"), np.zeros((0, 3), dtype="<f8"))

    # Malformed files.
    good = open(path("f8_2d.npy"), "rb").read()
    with open(path("bad_truncated.npy"), "wb") as f:
        f.write(good[:-5])
    with open(path("bad_magic.npy"), "wb") as f:
        f.write(b"\x93NUMPZ" + good[6:])
    np.save(path("bad_dtype_i4.npy"), np.arange(6, dtype="<i4").reshape(2, 3))
    np.save(path("bad_dtype_object.npy"), np.array([[1.0, "a"]], dtype=object), allow_pickle=True)
    with open(path("bad_absurd_shape.npy"), "wb") as f:
        f.write(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000000, 3000000000000), }",
                        b"\0" * 16))
    with open(path("bad_large_shape.npy"), "wb") as f:
        f.write(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 2), }",
                        b"\0" * 16))
    with open(path("bad_header.npy"), "wb") as f:
        f.write(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3", b"\0" * 96))
    np.save(path("bad_3d.npy"), np.zeros((2, 2, 2), dtype="<f8"))
    with open(path("bad_too_short.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01")

    # CSV fixtures.
    with open(path("with_header.csv"), "w") as f:
        f.write('"x","y position",z\n1,2,3\n\n4.5,-5e-1,6\n  \n7,8,9\n')
    with open(path("no_header.csv"), "w") as f:
        f.write("1,2\r\n3,4\r\n")
    with open(path("bad_cell.csv"), "w") as f:
        f.write("a,b,c\n1,2,3\n4,5,6\n\n7,8,abc\n")


if __name__ == "__main__":
    main()
