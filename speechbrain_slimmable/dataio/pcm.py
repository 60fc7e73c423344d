"""Raw 16-bit PCM read from a byte stream (e.g. a microphone on stdin).

``arecord -t raw -f S16_LE -r 16000 -c 1`` and ``sox -d -t raw -b 16 -e
signed -r 16000 -c 1 -`` write raw samples; plain ``arecord`` writes a WAV
header first, which is read and checked (rate, channels, 16 bits) instead
of being taken for audio.

Authors
 * speechbrain-slimmable developers 2026
"""

import struct

import numpy

WAV_FORMAT_PCM = 1


def read_pcm_chunks(stream, sample_rate, name="stdin", chunk_samples=1600):
    """Yield chunks of mono 16-bit little-endian samples from ``stream``.

    Arguments
    ---------
    stream : file-like
        A binary stream (``sys.stdin.buffer``); read until its end.
    sample_rate : int
        The rate the samples must be at (checked against a WAV header).
    name : str
        How errors name the stream.
    chunk_samples : int
        Samples read at a time (the first chunk holds 6 more, the last
        may be shorter).

    Yields
    ------
    numpy.ndarray
        ``(samples,)`` int16.

    Raises
    ------
    ValueError
        For a WAV header of another rate, several channels or another
        sample format, or a stream ending inside a sample (an odd number
        of bytes); the message names the stream and the byte position.

    Example
    -------
    >>> import io
    >>> data = numpy.arange(20, dtype="<i2").tobytes()
    >>> [len(c) for c in read_pcm_chunks(io.BytesIO(data), 16000,
    ...     chunk_samples=8)]  # the first holds the 6 samples sniffed too
    [14, 6]
    >>> list(read_pcm_chunks(io.BytesIO(data[:3]), 16000))
    Traceback (most recent call last):
     ...
    ValueError: stdin ends inside a 16-bit sample at byte 3: expected raw 16-bit little-endian mono PCM
    """
    head = _read(stream, 12)
    position = 0
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        position = _skip_wav_header(stream, sample_rate, name)
        head = b""
    pending = head
    while True:
        data = _read(stream, 2 * chunk_samples)
        block = pending + data
        usable = len(block) - len(block) % 2
        if usable:
            yield numpy.frombuffer(block[:usable], dtype="<i2").copy()
        position += usable
        pending = block[usable:]
        if not data:
            break
    if pending:
        raise ValueError(
            f"{name} ends inside a 16-bit sample at byte "
            f"{position + len(pending)}: expected raw 16-bit little-endian "
            "mono PCM"
        )


def _skip_wav_header(stream, sample_rate, name):
    """Read WAV chunks up to the data; check the format; return bytes read."""
    position = 12
    while True:
        header = _read(stream, 8)
        if len(header) < 8:
            raise ValueError(f"{name}: WAV header without a data chunk")
        kind, size = header[:4], struct.unpack("<I", header[4:])[0]
        position += 8
        if kind == b"data":
            return position
        body = _read(stream, size + size % 2)
        position += len(body)
        if kind == b"fmt ":
            tag, channels, rate = struct.unpack("<HHI", body[:8])
            bits = struct.unpack("<H", body[14:16])[0]
            if channels != 1:
                raise ValueError(
                    f"{name} has {channels} channels: pipe mono audio "
                    "(arecord -c 1, sox ... -c 1)"
                )
            if rate != sample_rate:
                raise ValueError(
                    f"{name} is sampled at {rate} Hz but the model reads "
                    f"{sample_rate} Hz (arecord -r {sample_rate}, sox ... "
                    f"-r {sample_rate})"
                )
            if bits != 16 or tag not in (WAV_FORMAT_PCM, 0xFFFE):
                raise ValueError(
                    f"{name} holds {bits}-bit samples (format {tag}): pipe "
                    "16-bit PCM (arecord -f S16_LE, sox ... -b 16)"
                )


def _read(stream, size):
    """Read exactly ``size`` bytes, fewer only at the end of the stream."""
    data = b""
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            break
        data += more
    return data
