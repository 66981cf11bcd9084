"""ficaudio: fan fiction in, multi-voice audiobook out.

The pipeline, one module per stage:
ingest -> split -> attribute -> synthesize -> assemble -> encode/tag.
"""

__version__ = "0.1.0"
