// Replaced by the format parsers (issue 3).
