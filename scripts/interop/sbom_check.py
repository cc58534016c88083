"""Validates an SBOM with the official validators: `cyclonedx FILE` (cyclonedx-python-lib's strict
JSON validator, CycloneDX 1.6) or `spdx FILE` (spdx-tools' parser + full SPDX 2.3 validation).
Exit 0 when valid; 1 with the errors otherwise."""
import sys

kind, path = sys.argv[1], sys.argv[2]
if kind == "cyclonedx":
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(path).read(), all_errors=True)
    if errors:
        for error in errors:
            print(error.data.message if hasattr(error, "data") else error)
        sys.exit(1)
else:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    messages = validate_full_spdx_document(parse_file(path))
    if messages:
        for message in messages:
            print(message.validation_message)
        sys.exit(1)
print("valid")
