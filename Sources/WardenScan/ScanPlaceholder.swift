// Replaced by the scanner (issue 3).
