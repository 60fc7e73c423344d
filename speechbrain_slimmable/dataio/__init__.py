"""Keyword-spotting data: audio files, labelled folders, streams.

``audio`` reads and checks waveforms, ``folders`` lists a
``<class>/<file>.wav`` folder and splits it by speaker, ``synthetic`` makes
a small stand-in dataset, ``kws_streams`` joins clips into long streams for
detection and ``pcm`` reads raw or WAV audio from a pipe.
"""
