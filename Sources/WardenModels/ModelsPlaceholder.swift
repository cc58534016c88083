// Placeholder until this module's issue lands its first file.
