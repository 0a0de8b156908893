"""One module per console language: a flat dict from label key to text."""
