"""The Python side of scripts/interop/attest.sh: securesystemslib DSSE and in-toto-attestation.

  verify ENVELOPE PUBLIC.pem      exit 0 if the DSSE signature verifies and the payload is a valid
                                  in-toto Statement v1 with a SLSA Provenance v1 predicate
  sign PRIVATE.pem SUBJECT OUT    write a DSSE envelope (CryptoSigner) over a SLSA v1 statement
                                  whose subject is SUBJECT's sha256
"""
import hashlib
import json
import sys

from cryptography.hazmat.primitives import serialization
from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement
from in_toto_attestation.v1 import statement_pb2
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

SLSA = "https://slsa.dev/provenance/v1"


def verify(envelope_path, public_path):
    with open(envelope_path) as f:
        data = json.load(f)
    # securesystemslib only tries keys whose keyid equals the signature's (issue #416); read it
    # first, because from_dict consumes the dict.
    keyid = data["signatures"][0].get("keyid", "")
    envelope = Envelope.from_dict(data)
    with open(public_path, "rb") as f:
        public = serialization.load_pem_public_key(f.read())
    key = SSlibKey.from_crypto(public)
    key = SSlibKey(keyid, key.keytype, key.scheme, key.keyval)
    envelope.verify([key], 1)
    st = json.loads(envelope.payload)
    pb = json_format.ParseDict(st, statement_pb2.Statement())
    statement.Statement.copy_from_pb(pb).validate()
    if st["predicateType"] != SLSA:
        raise SystemExit(f"predicateType is {st['predicateType']}")
    pred = json_format.ParseDict(st["predicate"], provenance_pb2.Provenance())  # strict: unknown fields fail
    assert pred.build_definition.build_type, "buildType is required"
    assert pred.build_definition.HasField("external_parameters"), "externalParameters is required"
    assert pred.run_details.builder.id, "runDetails.builder.id is required"
    print("verified", len(st["subject"]), "subject(s)")


def sign(private_path, subject_path, out_path):
    with open(private_path, "rb") as f:
        private = serialization.load_pem_private_key(f.read(), password=None)
    with open(subject_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    st = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": subject_path.rsplit("/", 1)[-1], "digest": {"sha256": digest}}],
        "predicateType": SLSA,
        "predicate": {
            "buildDefinition": {"buildType": "https://example.com/python-build/v1", "externalParameters": {"script": "train.py"}},
            "runDetails": {"builder": {"id": "https://example.com/builder"}},
        },
    }
    envelope = Envelope(json.dumps(st).encode(), "application/vnd.in-toto+json", {})
    envelope.sign(CryptoSigner(private))
    with open(out_path, "w") as f:
        json.dump(envelope.to_dict(), f)


if __name__ == "__main__":
    {"verify": verify, "sign": sign}[sys.argv[1]](*sys.argv[2:])
