# (filled in by its owner; see the header comment)
