"""drillbook.signoff: attestations that people signed a report, and whether it changed since.

Each attestation holds the SHA-256 digest of the report file's bytes when it was signed. That
shows whether the report changed afterwards; it is not a cryptographic signature (anyone who
can edit the sign-off file can write a new digest).
"""

from drillbook.signoff.attestation import Attestation, digest_file, make_attestation
from drillbook.signoff.store import append_attestation, load_attestations, signoff_path

__all__ = [
    "Attestation",
    "append_attestation",
    "digest_file",
    "load_attestations",
    "make_attestation",
    "signoff_path",
]
