// Replaced by the SBOM generator.
