"""Reading, checking and writing pmae data: schemas, converter, validation, bundles, files."""
