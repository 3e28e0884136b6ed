//! Structural-schema checks, as the API server enforces them.
