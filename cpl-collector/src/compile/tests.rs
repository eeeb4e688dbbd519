//! Unit tests of the compilation scheme: the exact OTTL emitted for every mapping.
