"""Serializes batches of tf.train.Example records from numpy arrays, without building protos.

Building one tf.train.Example per instance in Python costs tens of microseconds, more than all the
rest of data preparation; here the protobuf wire format is written with numpy for the whole batch
at once. Each record is laid out in one row of a byte matrix with a fixed slot per field (as wide
as the field can get), a boolean matrix marks the bytes a record actually uses, and selecting
those bytes in row-major order gives all records back to back. Features are written in sorted
name order, so a record equals tf.train.Example.SerializeToString(deterministic=True) byte for
byte.

Wire format: Example{features=1: Features{feature=1 (map entry: key=1, value=2): Feature{
float_list=2 | int64_list=3: {value=1, packed}}}}.
"""

import numpy as np

_INT64_LIST = 0x1A  # Feature.int64_list, field 3, length-delimited
_FLOAT_LIST = 0x12  # Feature.float_list, field 2, length-delimited
_MAX_VARINT_BYTES = 4  # values below 2**28
_MAX_HEADER_BYTES = 1 + 5  # tag and a length below 2**35


def _varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag, payload_length):
    """Tag and length of a length-delimited field; returns (header bytes, total length)."""
    header = bytes([tag]) + _varint(payload_length)
    return header, len(header) + payload_length


def _varint_bytes(values):
    """Bytes per value of the varint encoding of an int array of values in [0, 2**28)."""
    top = int(values.max(initial=0))
    if values.size and (values.min() < 0 or top >= 1 << (7 * _MAX_VARINT_BYTES)):
        raise ValueError("feature values must be in [0, 2**28) for the packed int64 encoder")
    return 1 + (top >= 1 << 7) + (top >= 1 << 14) + (top >= 1 << 21)


def _packed_varints(values, num_bytes):
    """Varints of values [batch, width] in slots of num_bytes bytes per value.

    Returns:
      (bytes, present): uint8 and bool arrays [batch, width * num_bytes]; present marks the bytes
      a value uses. Built as contiguous per-byte planes stacked once: numpy is slow at writing
      3-byte strided views.
    """
    v = values.astype(np.uint32)
    has_byte = [np.ones(v.shape, bool)] + [v >= (1 << (7 * k)) for k in range(1, num_bytes)]
    planes = []
    for k in range(num_bytes):
        more = has_byte[k + 1].view(np.uint8) << 7 if k + 1 < num_bytes else 0
        planes.append(((v >> (7 * k)) & 0x7F).astype(np.uint8) | more)
    shape = (v.shape[0], v.shape[1] * num_bytes)
    return np.stack(planes, axis=2).reshape(shape), np.stack(has_byte, axis=2).reshape(shape)


def _lookup_bytes(make, keys, cache, out, present):
    """Writes the byte string make(key) of each row into the row's slot of out, present
    [batch, slot width]; each string is built once per key. Returns the lengths [batch]."""
    if keys.min(initial=0) == keys.max(initial=0):  # one string for all rows (fixed-width features)
        unique, inverse = keys[:1], None
    else:
        unique, inverse = np.unique(keys, return_inverse=True)
    table = np.zeros((len(unique), out.shape[1]), np.uint8)
    table_present = np.zeros((len(unique), out.shape[1]), bool)
    lengths = np.zeros(len(unique), np.int64)
    for i, key in enumerate(unique.tolist()):
        if key not in cache:
            cache[key] = np.frombuffer(make(key), np.uint8)
        string = cache[key]
        table[i, : len(string)] = string
        table_present[i, : len(string)] = True
        lengths[i] = len(string)
    if inverse is None:
        out[:], present[:] = table, table_present
        return np.full(len(keys), lengths[0] if len(keys) else 0)
    out[:], present[:] = table[inverse], table_present[inverse]
    return lengths[inverse]


class _FeaturePrefixes:
    """The bytes before a feature's packed values, which depend on how many bytes those take."""

    def __init__(self, name, kind_tag):
        self.key = name.encode()
        self.kind_tag = kind_tag
        self.cache = {}

    def max_bytes(self, max_payload_bytes):
        return len(self(max_payload_bytes))

    def __call__(self, n):
        list_header, list_length = _field(0x0A, n) if n else (b"", 0)
        feature_header, feature_length = _field(self.kind_tag, list_length)
        key_header, key_length = _field(0x0A, len(self.key))
        value_header, value_length = _field(0x12, feature_length)
        entry_header, _ = _field(0x0A, key_length + value_length)
        return entry_header + key_header + self.key + value_header + feature_header + list_header


class ExampleEncoder:
    """Encodes batches of Examples with fixed feature names; caches the per-length headers.

    Args:
      int_names: names of int64 features.
      float_names: names of float features.
    """

    def __init__(self, int_names, float_names):
        self._features = [
            (
                name,
                name in int_names,
                _FeaturePrefixes(name, _INT64_LIST if name in int_names else _FLOAT_LIST),
            )
            for name in sorted(list(int_names) + list(float_names))
        ]
        self._example_headers = {}

    def encode(self, features):
        """Serializes a batch.

        Args:
          features: dict name -> array [batch, width]: non-negative ints for int features, floats
            for float features.

        Returns:
          (data, lengths): the serialized Examples back to back as bytes, and int64 array [batch]
          of their lengths.
        """
        # Slot widths: the Example header, then per feature its prefix and its packed values.
        values, slots = [], [_MAX_HEADER_BYTES]
        for name, is_int, prefixes in self._features:
            v = np.asarray(features[name])
            value_bytes = _varint_bytes(v) if is_int else 4
            values.append((v, value_bytes))
            slots += [prefixes.max_bytes(v.shape[1] * value_bytes), v.shape[1] * value_bytes]
        batch = len(values[0][0])
        bounds = np.concatenate([[0], np.cumsum(slots)]).tolist()
        data = np.empty((batch, bounds[-1]), np.uint8)
        present = np.empty((batch, bounds[-1]), bool)
        slot = lambda array, i: array[:, bounds[i] : bounds[i + 1]]
        body_lengths = np.zeros(batch, np.int64)
        for f, ((v, value_bytes), (_, is_int, prefixes)) in enumerate(zip(values, self._features)):
            prefix_slot, value_slot = 1 + 2 * f, 2 + 2 * f
            width = v.shape[1]
            if not is_int:
                slot(data, value_slot)[:] = (
                    np.ascontiguousarray(v, "<f4").view(np.uint8).reshape(batch, -1)
                )
                slot(present, value_slot)[:] = True
                n = np.full(batch, 4 * width)
            elif value_bytes == 1:  # the common case of masks, segment ids and labels
                slot(data, value_slot)[:] = v
                slot(present, value_slot)[:] = True
                n = np.full(batch, width)
            else:
                slot(data, value_slot)[:], slot(present, value_slot)[:] = _packed_varints(
                    v, value_bytes
                )
                n = slot(present, value_slot).sum(axis=1)
            body_lengths += n + _lookup_bytes(
                prefixes, n, prefixes.cache, slot(data, prefix_slot), slot(present, prefix_slot)
            )
        lengths = body_lengths + _lookup_bytes(
            lambda n: b"\x0a" + _varint(n),
            body_lengths,
            self._example_headers,
            slot(data, 0),
            slot(present, 0),
        )
        return data[present].tobytes(), lengths
