"""Operations on a trained supernet: cut, recalibrate, measure.

``extract`` cuts a plain subnet at one width, ``recalibration``
re-estimates BatchNorm statistics for widths outside the trained list and
``profile`` counts parameters and multiply-accumulates per width. The
common names are also importable from ``speechbrain_slimmable`` itself.
"""
