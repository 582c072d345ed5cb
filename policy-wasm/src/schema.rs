//! Schema walk: unknown or misspelled fields, wrong types and enum values, with their paths.
